/**
 * Live collaboration on graphs: a Hocuspocus (Yjs) server in the kernel process, reached by
 * WebSocket at `/api/collab`. Each graph is one document, named by the graph id, laid out as
 * `@mify/sdk/graph-doc` describes. Documents are kept in the `yjs_states` table. Saving a
 * graph still goes through the graph API (`PUT /api/graphs/:id/definition`), so versions
 * and validation work as without collaboration. A draft saved that way is written into the
 * live document.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Hocuspocus, type onAuthenticatePayload, type onLoadDocumentPayload, type onStoreDocumentPayload } from '@hocuspocus/server';
import { readGraphFromDoc, writeGraphToDoc, type GraphJson } from '@mify/sdk/graph-doc';
import { WebSocketServer, type WebSocket } from 'ws';
import * as Y from 'yjs';
import type { Principal } from '../auth/identity.js';
import type { Role } from '../auth/roles.js';
import type { KernelServices } from '../container.js';
import { SESSION_COOKIE } from '../http/middleware.js';
import type { Logger } from '../logger.js';
import { COLLAB_PATH } from './attach.js';

/** Largest WebSocket message a client may send, in bytes (5 MiB). */
export const MAX_COLLAB_MESSAGE_BYTES = 5 * 1024 * 1024;

/** Largest stored document, in bytes (20 MiB); a larger document is not stored and the failure is logged. */
export const MAX_COLLAB_DOCUMENT_BYTES = 20 * 1024 * 1024;

/** Time after the last change before a document is stored, in milliseconds. */
const STORE_DEBOUNCE_MS = 1_000;
/** Maximum time a changing document goes unstored, in milliseconds. */
const STORE_MAX_DEBOUNCE_MS = 5_000;

/** Identity of a connection to a document, set when the connection authenticates. */
export interface CollabContext {
  userId: string | null;
  apiKeyId: string | null;
  workspaceId: string;
  role: Role;
}

/** Origin of transactions the kernel makes itself, which sets them apart from clients' edits. */
const KERNEL_ORIGIN = { source: 'local', kernel: true } as const;

interface LoadedGraph {
  workspaceId: string;
  /** The graph's draft_updated_at that the document matches. */
  draftUpdatedAt: Date;
}

type CollabDeps = Pick<KernelServices, 'db' | 'apiKeyService' | 'sessionService' | 'userService' | 'graphService' | 'logger'>;

function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string' && value.startsWith('\\x')) return Buffer.from(value.slice(2), 'hex');
  throw new Error('The stored Yjs state is not binary data.');
}

/** An authentication failure sent to the client. Hocuspocus closes the connection with its message. */
class CollabAuthError extends Error {
  readonly reason: string;
  constructor(message: string) {
    super(message);
    this.reason = message;
  }
}

export class CollabService {
  readonly hocuspocus: Hocuspocus<CollabContext>;
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_COLLAB_MESSAGE_BYTES });
  private readonly loaded = new Map<string, LoadedGraph>();
  private readonly log: Logger;
  private readonly stopListening: () => void;

  constructor(private readonly deps: CollabDeps) {
    this.log = deps.logger.child({ component: 'collab' });
    this.hocuspocus = new Hocuspocus<CollabContext>({
      name: 'mify-kernel',
      quiet: true,
      debounce: STORE_DEBOUNCE_MS,
      maxDebounce: STORE_MAX_DEBOUNCE_MS,
      onAuthenticate: (data) => this.authenticate(data),
      onLoadDocument: (data) => this.load(data),
      onStoreDocument: (data) => this.store(data),
      afterUnloadDocument: async ({ documentName }) => {
        this.loaded.delete(documentName);
      },
    });
    this.stopListening = deps.graphService.onDraftSaved((saved) => this.applySavedDraft(saved.graphId, saved.draft as GraphJson, saved.draftUpdatedAt));
  }

  /** Takes over a WebSocket upgrade request of `COLLAB_PATH` (see attach.ts). */
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
  }

  private accept(ws: WebSocket, request: http.IncomingMessage): void {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    const webRequest = new Request(`http://${request.headers.host ?? 'localhost'}${request.url ?? COLLAB_PATH}`, { headers });
    const connection = this.hocuspocus.handleConnection(ws, webRequest);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      let bytes: Uint8Array;
      if (Array.isArray(data)) bytes = Buffer.concat(data);
      else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
      else bytes = data;
      connection.handleMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
    ws.on('close', (code: number, reason: Buffer) => connection.handleClose({ code, reason: reason.toString() } as Parameters<typeof connection.handleClose>[0]));
    ws.on('error', (error: Error) => this.log.warn({ err: error }, 'collaboration socket error'));
  }

  /**
   * Accepts an API key or a session token as the provider's token, or the session cookie of
   * the upgrade request when the token is empty. Viewers get a read-only connection.
   */
  private async authenticate(data: onAuthenticatePayload<CollabContext>): Promise<CollabContext> {
    const graph = await this.graphRow(data.documentName);
    if (!graph) throw new CollabAuthError(`Graph '${data.documentName}' was not found; the document name must be a graph id.`);

    let principal: Pick<Principal, 'userId' | 'apiKeyId' | 'workspaceId' | 'role'> | null = null;
    const token = data.token?.trim() ?? '';
    const key = token ? await this.deps.apiKeyService.resolve(token) : null;
    if (key) {
      if (key.workspaceId !== graph.workspaceId) throw new CollabAuthError(`Graph '${data.documentName}' was not found in the API key's workspace.`);
      principal = key;
    } else {
      const sessionToken = token || cookieValue(data.requestHeaders.get('cookie'), SESSION_COOKIE);
      const user = sessionToken ? await this.deps.sessionService.resolve(sessionToken) : null;
      if (!user) throw new CollabAuthError('Sign in first, or pass an API key as the token: the collaboration server found no valid session or key.');
      const role = await this.deps.userService.roleIn(user.userId, graph.workspaceId);
      if (!role) throw new CollabAuthError(`Graph '${data.documentName}' was not found among your workspaces.`);
      principal = { userId: user.userId, apiKeyId: null, workspaceId: graph.workspaceId, role };
    }

    if (principal.role === 'viewer') data.connectionConfig.readOnly = true;
    this.log.debug({ graphId: data.documentName, userId: principal.userId, apiKeyId: principal.apiKeyId, role: principal.role }, 'collaborator connected');
    return { userId: principal.userId, apiKeyId: principal.apiKeyId, workspaceId: principal.workspaceId, role: principal.role };
  }

  /**
   * Loads the stored document. When the draft was saved outside it since (or it was never
   * stored), the draft is written into the document, changing only what differs.
   */
  private async load(data: onLoadDocumentPayload<CollabContext>): Promise<void> {
    const graphId = data.documentName;
    const graph = await this.graphRow(graphId);
    if (!graph) throw new CollabAuthError(`Graph '${graphId}' was not found.`);

    const [stored] = await this.deps.db.query<{ state: unknown; draft_updated_at: Date | string }>('select state, draft_updated_at from yjs_states where graph_id = $1', [graphId]);
    if (stored) Y.applyUpdate(data.document, toBytes(stored.state), KERNEL_ORIGIN);
    const storedAt = stored ? new Date(stored.draft_updated_at).getTime() : -Infinity;
    if (storedAt < graph.draftUpdatedAt.getTime()) writeGraphToDoc(data.document, graph.draft, KERNEL_ORIGIN);
    this.loaded.set(graphId, { workspaceId: graph.workspaceId, draftUpdatedAt: graph.draftUpdatedAt });
  }

  private async store(data: onStoreDocumentPayload<CollabContext>): Promise<void> {
    const graphId = data.documentName;
    const loaded = this.loaded.get(graphId);
    if (!loaded) return;
    const state = Y.encodeStateAsUpdate(data.document);
    if (state.byteLength > MAX_COLLAB_DOCUMENT_BYTES) {
      this.log.error({ graphId, bytes: state.byteLength, limit: MAX_COLLAB_DOCUMENT_BYTES }, 'collaboration document is over the size limit and was not stored; save the graph through the API');
      return;
    }
    try {
      await this.deps.db.query(
        `insert into yjs_states (graph_id, workspace_id, state, draft_updated_at) values ($1, $2, $3, $4)
         on conflict (graph_id) do update set state = excluded.state, draft_updated_at = excluded.draft_updated_at, updated_at = now()`,
        [graphId, loaded.workspaceId, Buffer.from(state), loaded.draftUpdatedAt],
      );
    } catch (error) {
      // A graph deleted while open fails the foreign key; there is nothing left to keep.
      this.log.warn({ err: error, graphId }, 'could not store the collaboration document');
    }
  }

  /** Writes a draft saved through the graph API into the live document, if one is open. */
  private async applySavedDraft(graphId: string, draft: GraphJson, draftUpdatedAt: Date): Promise<void> {
    const loaded = this.loaded.get(graphId);
    if (!loaded || !this.hocuspocus.documents.has(graphId)) return;
    const connection = await this.hocuspocus.openDirectConnection(graphId, { userId: null, apiKeyId: null, workspaceId: loaded.workspaceId, role: 'owner' });
    try {
      await connection.transact((document) => {
        if (JSON.stringify(readGraphFromDoc(document)) !== JSON.stringify(draft)) writeGraphToDoc(document, draft, KERNEL_ORIGIN);
      });
      loaded.draftUpdatedAt = draftUpdatedAt;
    } finally {
      await connection.disconnect();
    }
  }

  private async graphRow(graphId: string): Promise<{ workspaceId: string; draft: GraphJson; draftUpdatedAt: Date } | null> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(graphId)) return null;
    const [row] = await this.deps.db.query<{ workspace_id: string; draft: GraphJson; draft_updated_at: Date | string }>('select workspace_id, draft, draft_updated_at from graphs where id = $1', [graphId]);
    return row ? { workspaceId: row.workspace_id, draft: row.draft, draftUpdatedAt: new Date(row.draft_updated_at) } : null;
  }

  /** Number of open documents and connections, for health and tests. */
  stats(): { documents: number; connections: number } {
    return { documents: this.hocuspocus.getDocumentsCount(), connections: this.hocuspocus.getConnectionsCount() };
  }

  /** Stores every open document and closes all connections. */
  async close(): Promise<void> {
    this.stopListening();
    this.hocuspocus.flushPendingStores();
    for (const [graphId, document] of this.hocuspocus.documents) {
      await this.store({ document, documentName: graphId } as onStoreDocumentPayload<CollabContext>);
    }
    this.hocuspocus.closeConnections();
    for (const client of this.sockets.clients) client.terminate();
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
  }
}
