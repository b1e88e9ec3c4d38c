/**
 * Messages between the kernel's main thread and the worker thread that runs one
 * extension's Extism plugin. Every message is structured-cloned by `postMessage`.
 */
import type { MessagePort } from 'node:worker_threads';

import type { CompiledWasmModule } from './webassembly-api.js';

/** Data handed to a new worker through `workerData`. */
export interface WorkerBootData {
  extensionId: string;
  module: CompiledWasmModule;
  /** Passed to Extism: host names the SDK's own `http_request` may reach. */
  allowedHosts: string[];
  /** Passed to Extism: WASI preopens, guest path -> host path. */
  allowedPaths: Record<string, string>;
  /** Whether the module imports WASI preview 1 (`wasi_snapshot_preview1`). */
  useWasi: boolean;
  /** Calls after which the worker calls `plugin.reset()` to drop the host memory blocks of past calls. */
  resetEvery: number;
  /** Upper bound on host memory blocks the guest may allocate between two resets, in bytes. */
  hostMemoryLimitBytes: number;
  /** Maximum plugin log lines forwarded per call; later lines are counted and reported once. */
  logLinesPerCall: number;
  /**
   * Int32 cell that the main thread sets to 1 (and notifies) after it posts a
   * host-call response on `hostCallPort`. The worker resets it to 0 before each request.
   */
  hostCallSignal: SharedArrayBuffer;
  /** Port on which host-call responses arrive; the worker reads it with `receiveMessageOnPort`. */
  hostCallPort: MessagePort;
}

export type MainToWorkerMessage =
  | { type: 'instantiate' }
  | { type: 'invoke'; callId: number; exportName: string; input: string }
  | { type: 'memory_usage' };

/** Failure reason of a call inside the worker. The main thread maps it to an `ExtensionCallError` reason. */
export type WorkerFailureReason = 'threw' | 'memory' | 'not_found';

export type PluginLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Sizes the worker can observe; used by tests and by operators chasing leaks. */
export interface WasmMemoryUsage {
  /** Current size of the guest's exported `memory`, in bytes (0 when it exports none). */
  linearMemoryBytes: number;
  /** Bytes of Extism host memory blocks created since the last `plugin.reset()`. */
  hostBlockBytes: number;
  /** Bytes held by plugin variables (`var_set`), which survive resets. */
  variableBytes: number;
  /** Calls since the last `plugin.reset()`. */
  callsSinceReset: number;
  /** V8 heap in use by the worker thread, in bytes. */
  workerHeapUsedBytes: number;
  /** Memory outside the worker's V8 heap (array buffers among it), in bytes. */
  workerExternalBytes: number;
}

export type WorkerToMainMessage =
  | { type: 'booted' }
  | { type: 'instantiated' }
  | { type: 'instantiate_failed'; message: string }
  | { type: 'result'; callId: number; output: string | null }
  | { type: 'failed'; callId: number; reason: WorkerFailureReason; message: string }
  | { type: 'host_call'; callId: number; request: string }
  | { type: 'log'; level: PluginLogLevel; message: string }
  | { type: 'memory_usage'; usage: WasmMemoryUsage };

/** Reply on `hostCallPort` to one `host_call` message. `response` is the JSON text the guest reads. */
export interface HostCallResponseMessage {
  response: string;
}
