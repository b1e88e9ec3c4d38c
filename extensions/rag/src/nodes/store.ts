/** The store node: upserts embedded chunks into a vector collection with an HNSW index. */
import type { Item, JsonObject, NodeContext } from '@mify/sdk';
import { chunkId } from '../chunk/index.js';
import { RagError } from '../errors.js';
import { collectionParameter, enumParameter, readField, stringParameter, type RagNodeInput } from './common.js';

/** Points per `vectors.upsert` call; the host API accepts up to 1,000. */
const UPSERT_BATCH = 500;

/** Key-value key holding how many chunks a document had when it was last stored. */
function chunkCountKey(collection: string, documentId: string): string {
  return `chunk-count:${collection}:${documentId}`;
}

export async function executeStore(ctx: NodeContext, input: RagNodeInput): Promise<{ items: Item[] }> {
  const parameters = input.parameters ?? {};
  const collection = collectionParameter(parameters);
  const metric = enumParameter(parameters, 'metric', ['cosine', 'l2', 'inner_product'] as const, 'cosine');
  const embeddingField = stringParameter(parameters, 'embeddingField', 'embedding');
  const replace = parameters.replaceDocuments !== false;
  if (input.items.length === 0) return { items: [{ json: { collection, stored: 0, deleted: 0, documents: [] } }] };

  const points = input.items.map((item, index) => {
    const vector = readField(item, embeddingField);
    if (!Array.isArray(vector) || vector.length === 0 || !vector.every((value) => typeof value === 'number')) {
      throw new RagError('invalid_argument', `Item ${index} has no embedding in field '${embeddingField}'. Put an Embed node before this one, or set parameter 'embeddingField'.`);
    }
    const id = readField(item, 'chunkId');
    if (typeof id !== 'string' || id === '') throw new RagError('invalid_argument', `Item ${index} has no 'chunkId'. Put a Chunk node before the Embed node.`);
    const documentId = typeof item.json.documentId === 'string' ? item.json.documentId : id;
    const userMetadata = typeof item.json.metadata === 'object' && item.json.metadata !== null && !Array.isArray(item.json.metadata) ? (item.json.metadata as JsonObject) : {};
    const metadata: JsonObject = { ...userMetadata, documentId, position: typeof item.json.position === 'number' ? item.json.position : 0 };
    if (typeof item.json.name === 'string') metadata.name = item.json.name;
    if (Array.isArray(item.json.headings) && item.json.headings.length > 0) metadata.headings = item.json.headings as string[];
    return { id, vector: vector as number[], content: typeof item.json.text === 'string' ? item.json.text : '', metadata };
  });

  await ctx.host.vectors.createCollection(collection, { dimensions: points[0]!.vector.length, metric });

  // Chunk ids are `<document id>#<position>`, so re-storing a document overwrites its chunks in place; chunks past its new end are deleted here.
  let deleted = 0;
  const documents = new Map<string, number>();
  for (const point of points) documents.set(point.metadata.documentId as string, Math.max(documents.get(point.metadata.documentId as string) ?? 0, (point.metadata.position as number) + 1));
  if (replace) {
    for (const [documentId, count] of documents) {
      const previous = await ctx.host.kv.get(chunkCountKey(collection, documentId));
      if (typeof previous === 'number' && previous > count) {
        const stale = Array.from({ length: previous - count }, (_, offset) => chunkId(documentId, count + offset));
        for (let start = 0; start < stale.length; start += 1_000) deleted += await ctx.host.vectors.delete(collection, stale.slice(start, start + 1_000));
      }
    }
  }

  for (let start = 0; start < points.length; start += UPSERT_BATCH) await ctx.host.vectors.upsert(collection, points.slice(start, start + UPSERT_BATCH));
  for (const [documentId, count] of documents) await ctx.host.kv.set(chunkCountKey(collection, documentId), count);

  return { items: [{ json: { collection, stored: points.length, deleted, dimensions: points[0]!.vector.length, documents: [...documents.keys()] } }] };
}
