import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type KernelConfig } from '../config.js';
import type { KernelServices } from '../container.js';
import { createKernel, type Kernel } from '../kernel.js';
import { createLogger } from '../logger.js';
import { startServer, type RunningServer } from '../server.js';
import { openTestDatabase, type DatabaseBackend } from './databases.js';

export interface TestKernel {
  kernel: Kernel;
  server: RunningServer;
  /** Base URL on 127.0.0.1 with an ephemeral port. */
  url: string;
  config: KernelConfig;
  /** Sends a real HTTP request to the test server. */
  fetch(pathname: string, init?: RequestInit & { json?: unknown; key?: string; cookie?: string; workspace?: string }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts a kernel on a fresh, migrated database of the given back end and
 * serves it over real HTTP on 127.0.0.1.
 */
export async function startTestKernel(
  backend: DatabaseBackend['name'],
  options: {
    env?: Record<string, string>;
    extraRoutes?: (services: () => KernelServices) => KernelServices['routes'];
    /** Prepares the data directory before the kernel starts. */
    beforeStart?: (dataDir: string) => void;
    /** False to leave loading the extensions to the test (`kernel.services.extensionHost.start()`), as `mify start` does after it listens. */
    loadExtensions?: boolean;
  } = {},
): Promise<TestKernel> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-test-'));
  options.beforeStart?.(dataDir);
  const database = await openTestDatabase(backend);
  const config = loadConfig({
    MIFY_DATA_DIR: dataDir,
    MIFY_LOG_LEVEL: 'silent',
    MIFY_PORT: '1',
    MIFY_RATE_LIMIT_IP_PER_MINUTE: '100000',
    MIFY_RATE_LIMIT_KEY_PER_MINUTE: '100000',
    ...options.env,
  });
  const kernel = await createKernel({
    config,
    logger: createLogger({ level: 'silent' }),
    overrides: { db: database.db },
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
    ...(options.loadExtensions === false ? { loadExtensions: false } : {}),
  });
  const server = await startServer(kernel, { host: '127.0.0.1', port: 0, webDir: path.join(dataDir, 'no-studio') });

  return {
    kernel,
    server,
    url: server.url,
    config,
    fetch(pathname, init = {}) {
      const { json, key, cookie, workspace, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set('content-type', 'application/json');
      if (key) headers.set('authorization', `Bearer ${key}`);
      if (cookie) headers.set('cookie', cookie);
      if (workspace) headers.set('x-mify-workspace', workspace);
      return fetch(`${server.url}${pathname}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    async close() {
      await server.close();
      await database.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Returns the `name=value` part of the session cookie set by a response. */
export function sessionCookie(response: Response): string {
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith('mify_session='));
  if (!header) throw new Error(`response ${response.status} set no session cookie`);
  return header.split(';')[0]!;
}

/** Runs first-run setup over HTTP and returns the owner's cookie and workspace. */
export async function setupOwner(t: TestKernel, input: { email?: string; workspace?: string } = {}) {
  const response = await t.fetch('/api/setup', { method: 'POST', json: { email: input.email ?? 'owner@example.com', password: 'correct-horse-1', workspace: input.workspace ?? 'Alpha' } });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string }; workspace: { id: string; slug: string } };
  return { cookie: sessionCookie(response), userId: body.user.id, workspace: body.workspace };
}
