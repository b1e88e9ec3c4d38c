import type { ExtensionManifest } from './manifest.js';
import type { Item, NodeUsage, NodeWait, RouteResponse, WaitResolution } from './types.js';

export interface TestHarnessOptions {
  /** Extension folder that contains mify.extension.json and the built entry. */
  folder: string;
  /** Workspace the calls act in (default `ws_test`). */
  workspaceId?: string;
  /** Kernel log level (default `silent`). */
  logLevel?: string;
  /**
   * Lets `http.fetch` reach loopback and private addresses, as the operator setting
   * `MIFY_ALLOW_PRIVATE_NETWORK=true` does, so tests can call stub servers on 127.0.0.1.
   * Cloud metadata addresses stay blocked. Default false.
   */
  allowPrivateNetwork?: boolean;
}

/** Input of {@link TestHarness.runNode}. */
export interface TestNodeInput {
  items: Item[];
  parameters?: Record<string, unknown>;
  ports?: Record<string, Item[]>;
  typeVersion?: number;
  /** Loop nodes: the `state` returned by the previous activation. */
  state?: unknown;
  /** Loop nodes: the activation number, from 1. Default 1 for loop nodes. */
  iteration?: number;
  /** Wait nodes: outcome of the wait, as the kernel passes it at the node's second call. */
  resume?: WaitResolution;
}

/** Full output of a node, split into ports, usage, loop state and wait request as the kernel splits it. */
export interface TestNodeResult {
  /** Items per output port. Empty when the node requested a wait. */
  ports: Record<string, Item[]>;
  usage?: NodeUsage;
  /** Loop nodes: the state for the next activation. */
  state?: unknown;
  /** Wait nodes: the wait that the node requested. */
  wait?: NodeWait;
  /** Deltas the node reported with `ctx.host.runs.progress`, in order. */
  progress: string[];
}

/** An extension loaded into the production sandbox, with the real host API over an in-memory database. */
export interface TestHarness {
  readonly manifest: ExtensionManifest;
  readonly workspaceId: string;
  /**
   * Runs a node type of the extension and returns the items per output port. `usage` and,
   * for loop nodes, `state` are accepted and left out. A wait request is an error, so use
   * `runNodeResult` for wait nodes.
   */
  runNode(type: string, input: TestNodeInput): Promise<Record<string, Item[]>>;
  /** Runs a node type of the extension and returns its ports, usage, loop state, wait request and progress deltas. */
  runNodeResult(type: string, input: TestNodeInput): Promise<TestNodeResult>;
  /** Calls a contributed route as the kernel would. */
  callRoute(method: string, path: string, request?: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> }): Promise<RouteResponse>;
  /** Stores a credential that `ctx.host.credentials.get(name)` returns. */
  addCredential(name: string, type: string, data: Record<string, unknown>): Promise<void>;
  /** Host API calls the extension made, from the audit log. */
  hostCalls(): Promise<Array<{ action: string; allowed: boolean }>>;
  close(): Promise<void>;
}

/**
 * Loads an extension into the same sandbox the kernel uses in production
 * (isolated-vm or Extism WASM, with the manifest's limits and permissions).
 * The sandbox lives in `@mify/kernel`, which this function loads at run time,
 * so add it as a dev dependency of the extension. Run Node with `--no-node-snapshot`.
 *
 * @example
 * import { createTestHarness } from '@mify/sdk/testing';
 *
 * const harness = await createTestHarness({ folder: new URL('..', import.meta.url).pathname });
 * const out = await harness.runNode('acme.text.upper', { items: [{ json: { text: 'hi' } }] });
 * // out.main[0].json.text === 'HI'
 * await harness.close();
 */
export async function createTestHarness(options: TestHarnessOptions): Promise<TestHarness> {
  // A computed specifier keeps the kernel out of the SDK's compile-time dependencies.
  const specifier = ['@mify', 'kernel', 'testing'].join('/');
  let kernel: { createExtensionTestHarness(options: TestHarnessOptions): Promise<TestHarness> };
  try {
    kernel = (await import(specifier)) as typeof kernel;
  } catch (error) {
    throw new Error(`Failed to load @mify/kernel, which contains the sandbox that the test harness runs extensions in: ${(error as Error).message}. Add @mify/kernel as a dev dependency of the extension.`, { cause: error });
  }
  return kernel.createExtensionTestHarness(options);
}
