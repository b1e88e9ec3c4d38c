import { ConflictError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_VECTOR_STORES_PER_WORKSPACE } from './limits.js';
import type { VectorMetric, VectorPointInput, VectorQuery, VectorQueryMatch, VectorStore } from './vector-store.js';

/** Owner of the vector stores of the HTTP API in `vector_collections`. */
export const VECTOR_STORE_OWNER = '@vector-stores';

export interface VectorStoreRecord {
  id: string;
  name: string;
  dimensions: number;
  metric: VectorMetric;
  count: number;
  createdAt: Date;
}

/**
 * Vector stores of the HTTP API: vector collections a workspace manages directly, with
 * vectors it computed itself. Addressed by id; names are unique per workspace.
 */
export class VectorStoreService {
  constructor(private readonly deps: { vectors: VectorStore; logger: Logger }) {}

  private namespace(workspaceId: string) {
    return { owner: VECTOR_STORE_OWNER, workspaceKey: workspaceId };
  }

  async create(workspaceId: string, input: { name: string; dimensions: number; metric: VectorMetric }): Promise<VectorStoreRecord> {
    await this.deps.vectors.requireVector();
    const existing = await this.deps.vectors.listCollections(this.namespace(workspaceId));
    if (existing.some((store) => store.name === input.name)) throw new ConflictError(`A vector store named '${input.name}' already exists in this workspace. Choose another name.`, { name: input.name });
    if (existing.length >= MAX_VECTOR_STORES_PER_WORKSPACE) {
      throw new ConflictError(`The workspace has ${MAX_VECTOR_STORES_PER_WORKSPACE} vector stores, the maximum allowed. Delete one
 you no longer need first.`, { limit: MAX_VECTOR_STORES_PER_WORKSPACE });
    }
    const collection = await this.deps.vectors.createCollection(this.namespace(workspaceId), input.name, input);
    this.deps.logger.info({ workspaceId, vectorStoreId: collection.id, dimensions: collection.dimensions }, 'vector store created');
    return { ...collection, count: 0 };
  }

  /** Lists the stores. None can exist without pgvector, so the list is then empty rather than an error. */
  async list(workspaceId: string): Promise<VectorStoreRecord[]> {
    if (!(await this.deps.vectors.hasVector())) return [];
    return this.deps.vectors.listCollections(this.namespace(workspaceId));
  }

  /**
   * Returns a store of the workspace, checking pgvector after the lookup. Without pgvector no
   * store can exist, so an unknown id is `not_found` rather than `unavailable`.

   */
  private async find(workspaceId: string, id: string) {
    const collection = await this.deps.vectors.getCollection(this.namespace(workspaceId), id);
    await this.deps.vectors.requireVector();
    return collection;
  }

  async get(workspaceId: string, id: string): Promise<VectorStoreRecord> {
    const collection = await this.find(workspaceId, id);
    return { ...collection, count: await this.deps.vectors.countPoints(collection) };
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.deps.vectors.deleteCollection(await this.find(workspaceId, id));
  }

  async upsert(workspaceId: string, id: string, points: VectorPointInput[]): Promise<{ upserted: number }> {
    await this.deps.vectors.upsert(await this.find(workspaceId, id), points);
    return { upserted: points.length };
  }

  async query(workspaceId: string, id: string, query: VectorQuery): Promise<VectorQueryMatch[]> {
    return this.deps.vectors.query(await this.find(workspaceId, id), query);
  }

  async deleteVectors(workspaceId: string, id: string, ids: string[]): Promise<{ deleted: number }> {
    return { deleted: await this.deps.vectors.deletePoints(await this.find(workspaceId, id), ids) };
  }
}
