// One person's connection to the live document of a graph: edits of others come
// in as whole graphs, local edits go out as the difference, and everyone's
// pointer position and selection travel through Yjs awareness.
import { HocuspocusProvider } from '@hocuspocus/provider';
import { readGraphFromDoc, writeGraphToDoc, type GraphJson } from '@mify/sdk/graph-doc';
import * as Y from 'yjs';

/** Someone else editing the graph, as their awareness state says. */
export interface Collaborator {
  clientId: number;
  name: string;
  color: string;
  /** Pointer position in graph coordinates (the canvas's flow coordinates), or null when outside the canvas. */
  cursor: { x: number; y: number } | null;
  /** Ids of the nodes they have selected. */
  selection: string[];
}

export type CollabStatus = 'connecting' | 'connected' | 'disconnected' | 'refused';

export interface CollabSessionOptions {
  graphId: string;
  /** WebSocket URL of the collaboration endpoint; defaults to `/api/collab` on this origin. */
  url?: string;
  /** API key or session token; empty to use the session cookie. */
  token?: string;
  user: { id: string; name: string };
  /** Called with the whole graph after another person's edit, and once after the first sync. */
  onGraph(graph: GraphJson): void;
  onCollaborators(collaborators: Collaborator[]): void;
  onStatus?(status: CollabStatus, reason?: string): void;
  /** Called when the server answers whether this connection may edit. */
  onReadOnly?(readOnly: boolean): void;
}

/** Colours for collaborators' cursors, readable on light and dark canvases. */
export const COLLABORATOR_COLORS = ['#d9480f', '#1971c2', '#2f9e44', '#9c36b5', '#e8590c', '#0c8599', '#c2255c', '#5f3dc4'];

/** Returns the cursor colour of a user: the same user always gets the same colour. */
export function colorFor(userId: string): string {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return COLLABORATOR_COLORS[hash % COLLABORATOR_COLORS.length]!;
}

/** Default endpoint: `ws(s)://<this host>/api/collab`. */
export function defaultCollabUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/collab`;
}

/** Reads collaborators from awareness states, leaving out this client and states without a user. */
export function collaboratorsFrom(states: Map<number, Record<string, unknown>>, ownClientId: number): Collaborator[] {
  const result: Collaborator[] = [];
  for (const [clientId, state] of states) {
    if (clientId === ownClientId) continue;
    const user = state.user as { name?: unknown; color?: unknown } | undefined;
    if (!user || typeof user.name !== 'string') continue;
    const cursor = state.cursor as { x?: unknown; y?: unknown } | null | undefined;
    result.push({
      clientId,
      name: user.name,
      color: typeof user.color === 'string' ? user.color : COLLABORATOR_COLORS[0]!,
      cursor: cursor && typeof cursor.x === 'number' && typeof cursor.y === 'number' ? { x: cursor.x, y: cursor.y } : null,
      selection: Array.isArray(state.selection) ? state.selection.filter((id): id is string => typeof id === 'string') : [],
    });
  }
  return result.sort((a, b) => a.name.localeCompare(b.name) || a.clientId - b.clientId);
}

/** Origin of this client's own transactions, so its own edits are not reported back to it. */
const LOCAL_ORIGIN = { source: 'studio' };

/**
 * @example
 * const session = new CollabSession({ graphId, user, onGraph: (g) => canvas.load(g), onCollaborators: (c) => (peers = c) });
 * session.update(graph); // after each local edit
 * session.destroy();     // when leaving the page
 */
export class CollabSession {
  readonly doc = new Y.Doc();
  private readonly provider: HocuspocusProvider;
  private synced = false;

  constructor(private readonly options: CollabSessionOptions) {
    this.provider = new HocuspocusProvider({
      url: options.url ?? defaultCollabUrl(window.location),
      name: options.graphId,
      document: this.doc,
      token: options.token ?? '',
      onStatus: ({ status }) => options.onStatus?.(status as CollabStatus),
      onAuthenticationFailed: ({ reason }) => options.onStatus?.('refused', reason),
      onAuthenticated: ({ scope }) => options.onReadOnly?.(scope === 'readonly'),
      onSynced: ({ state }) => {
        if (!state || this.synced) return;
        this.synced = true;
        options.onGraph(readGraphFromDoc(this.doc));
      },
      onAwarenessChange: () => this.reportCollaborators(),
    });
    this.provider.setAwarenessField('user', { name: options.user.name, color: colorFor(options.user.id) });
    this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (origin === LOCAL_ORIGIN || !this.synced) return;
      options.onGraph(readGraphFromDoc(this.doc));
    });
  }

  /** Whether the first sync with the server is done; local edits before it are not sent. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** Sends a local edit: the document is changed where it differs from `graph`. */
  update(graph: GraphJson): void {
    if (!this.synced) return;
    writeGraphToDoc(this.doc, graph, LOCAL_ORIGIN);
  }

  /** The graph as the live document has it now. */
  graph(): GraphJson {
    return readGraphFromDoc(this.doc);
  }

  /** Shares this person's pointer position in graph coordinates, or null when it left the canvas. */
  moveCursor(position: { x: number; y: number } | null): void {
    this.provider.setAwarenessField('cursor', position);
  }

  /** Shares which nodes this person has selected. */
  select(nodeIds: string[]): void {
    this.provider.setAwarenessField('selection', nodeIds);
  }

  private reportCollaborators(): void {
    const states = this.provider.awareness?.getStates() as Map<number, Record<string, unknown>> | undefined;
    this.options.onCollaborators(states ? collaboratorsFrom(states, this.doc.clientID) : []);
  }

  destroy(): void {
    this.provider.destroy();
    this.doc.destroy();
  }
}
