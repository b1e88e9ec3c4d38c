import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { KernelServices } from '../container.js';
import type { CollabService } from './collab-service.js';

/** Path of the WebSocket endpoint. */
export const COLLAB_PATH = '/api/collab';

/** The live collaboration endpoint of a server, whose service loads with the first connection. */
export interface CollabEndpoint {
  /** Number of open documents and connections, both 0 before the first connection. */
  stats(): { documents: number; connections: number };
  /** Refuses new connections, then stores every open document and closes the connections. */
  close(): Promise<void>;
}

/**
 * Serves WebSocket upgrades of `COLLAB_PATH` on `server`, and refuses other upgrade requests.
 * The collaboration service, with Hocuspocus and Yjs, is imported and created on the first
 * upgrade of that path. Loading it at start-up took about 60 ms and 12 MiB, which a kernel
 * whose graphs are not edited live in the studio does not need.
 */
export function attachCollab(server: http.Server, services: KernelServices): CollabEndpoint {
  let loading: Promise<CollabService> | undefined;
  let loaded: CollabService | undefined;
  let closed = false;
  const log = services.logger.child({ component: 'collab' });

  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== COLLAB_PATH && !url.pathname.startsWith(`${COLLAB_PATH}/`)) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    if (closed) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
      return;
    }
    loading ??= import('./collab-service.js').then(({ CollabService }) => (loaded = new CollabService(services)));
    loading.then(
      (service) => service.handleUpgrade(request, socket, head),
      (error: unknown) => {
        log.error({ err: error }, 'the collaboration service failed to load');
        socket.end('HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\n\r\n');
      },
    );
  });

  return {
    stats: () => loaded?.stats() ?? { documents: 0, connections: 0 },
    async close() {
      closed = true;
      const service = await loading?.catch(() => undefined);
      await service?.close();
    },
  };
}
