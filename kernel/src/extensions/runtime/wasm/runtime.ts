import { readFile } from 'node:fs/promises';

import type { Logger } from '../../../logger.js';
import { withOutputJson } from '../output-json.js';
import { ExtensionCallError, type ExtensionRuntime, type HostBridge, type InvokeRequest, type SandboxLimits } from '../types.js';
import { WasmModuleRejectedError } from './errors.js';
import { enforceMemoryLimit } from './memory-policy.js';
import { PluginWorker, type PluginWorkerConfig } from './plugin-worker.js';
import type { WasmMemoryUsage } from './protocol.js';
import { webAssembly, type CompiledWasmModule } from './webassembly-api.js';

export interface WasmRuntimeOptions {
  extensionId: string;
  /** The module's bytes, or the path of a `.wasm` file. */
  wasm: Uint8Array | string;
  /**
   * `memoryLimitMb` caps the module's declared maximum linear memory and the
   * Extism host memory it may allocate between resets. `timeoutMs` is the wall
   * time one call may take, host calls included.
   */
  limits: SandboxLimits;
  /**
   * Passed to Extism as `allowedHosts`, for plugins that use the PDK's own HTTP
   * request function. The kernel's `http.fetch` host API (through
   * `mify_host_call`) is the preferred network path: it checks the manifest's
   * permissions and logs each request.
   * NOTE: Extism JS SDK 1.0.3 disables `http_request` when the plugin runs on
   * the calling thread, as it does here, so such requests fail whatever this list contains.
   */
  allowedHosts?: string[];
  /** Passed to Extism as `allowedPaths` (WASI preopens, guest path -> host path); used only by modules that import WASI. Default `{}`. */
  allowedPaths?: Record<string, string>;
  /**
   * Contribution name -> WASM export name. A name missing here maps to its last
   * dot-separated segment with every character outside `[A-Za-z0-9_]` replaced
   * by `_` (`mify.sample-wasm.text-stats` -> `text_stats`).
   */
  exports?: Record<string, string>;
  /**
   * Calls between two `plugin.reset()` calls, which free the host memory blocks
   * (inputs, outputs, guest allocations) Extism keeps for each call. Default 1,
   * because a reset only truncates a list in SDK 1.0.3: bench/sandbox/wasm.ts
   * measured no difference beyond noise between resetting every call and every 1000 calls.
   */
  resetEvery?: number;
  logger: Logger;
  /** Called with every failed call, so the extension host can count failures and mark the extension unhealthy. */
  onFailure?: (error: ExtensionCallError) => void;
}

/** A WASM extension's runtime, with the memory figures of its worker for diagnostics. */
export interface WasmExtensionRuntime extends ExtensionRuntime {
  readonly kind: 'wasm';
  /** Memory figures of the live worker, or `null` when no worker runs (before the next call after a failure, or after `dispose()`). */
  memoryUsage(): Promise<WasmMemoryUsage | null>;
}

const DEFAULT_RESET_EVERY = 1;

/** Maximum plugin log lines forwarded to the kernel log per call; the rest are counted. */
const LOG_LINES_PER_CALL = 100;

/**
 * V8 heap of a plugin worker, in MiB: a fixed base for Extism and the worker's
 * own code, plus room for the call's input and output text. Both pass through
 * the worker heap, and neither can be larger than the guest's memory.
 */
const WORKER_HEAP_BASE_MB = 64;
const WORKER_HEAP_PER_MEMORY_MB = 4;

const WASI_IMPORT_MODULE = 'wasi_snapshot_preview1';

const BYTES_PER_MB = 1024 * 1024;
const OUTPUT_EXCERPT_CHARS = 200;

/** Maps a contribution name to its default export name. */
export function defaultExportName(contributionName: string): string {
  const lastSegment = contributionName.split('.').pop() ?? contributionName;
  return lastSegment.replace(/[^A-Za-z0-9_]/g, '_');
}

function validateOptions(options: WasmRuntimeOptions): void {
  const { extensionId, limits, resetEvery } = options;

  if (!Number.isFinite(limits.memoryLimitMb) || limits.memoryLimitMb <= 0) {
    throw new WasmModuleRejectedError(extensionId, `limits.memoryLimitMb must be a positive number of MiB, got ${limits.memoryLimitMb}.`);
  }
  if (!Number.isFinite(limits.timeoutMs) || limits.timeoutMs <= 0) {
    throw new WasmModuleRejectedError(extensionId, `limits.timeoutMs must be a positive number of milliseconds, got ${limits.timeoutMs}.`);
  }
  if (resetEvery !== undefined && (!Number.isInteger(resetEvery) || resetEvery < 1)) {
    throw new WasmModuleRejectedError(extensionId, `resetEvery must be a positive integer number of calls, got ${resetEvery}.`);
  }
}

async function loadModuleBytes(extensionId: string, wasm: Uint8Array | string): Promise<Uint8Array> {
  if (typeof wasm !== 'string') return wasm;

  try {
    return new Uint8Array(await readFile(wasm));
  } catch (error) {
    throw new WasmModuleRejectedError(extensionId, `its module file '${wasm}' could not be read: ${(error as Error).message}. Build the extension or fix "entry" in its manifest.`, { cause: error });
  }
}

async function compileModule(extensionId: string, bytes: Uint8Array): Promise<CompiledWasmModule> {
  try {
    return await webAssembly.compile(bytes);
  } catch (error) {
    throw new WasmModuleRejectedError(extensionId, `its module is not valid WebAssembly: ${(error as Error).message}.`, { cause: error });
  }
}

function checkDeclaredExports(extensionId: string, exportMap: Record<string, string>, functionExports: Set<string>): void {
  for (const [contribution, exportName] of Object.entries(exportMap)) {
    if (functionExports.has(exportName)) continue;
    throw new WasmModuleRejectedError(
      extensionId,
      `contribution '${contribution}' maps to export '${exportName}', which the module does not export as a function. ` +
        `Exported functions: ${[...functionExports].sort().join(', ') || '(none)'}.`,
    );
  }
}

function serializeInput(extensionId: string, request: InvokeRequest): string {
  try {
    return JSON.stringify(request.input ?? null) ?? 'null';
  } catch (error) {
    throw new TypeError(`Input for ${request.kind} '${request.name}' of extension '${extensionId}' is not JSON-serializable: ${(error as Error).message}`, { cause: error });
  }
}

function parseOutput(extensionId: string, exportName: string, output: string | null): unknown {
  if (output === null || output.length === 0) {
    throw new ExtensionCallError(extensionId, 'invalid_output', `returned no output from export '${exportName}'; every export must write one JSON document (write null for no value).`);
  }

  try {
    return withOutputJson(JSON.parse(output) as unknown, output, { stringified: false });
  } catch (error) {
    const excerpt = output.length > OUTPUT_EXCERPT_CHARS ? `${output.slice(0, OUTPUT_EXCERPT_CHARS)}…` : output;
    throw new ExtensionCallError(
      extensionId,
      'invalid_output',
      `returned output from export '${exportName}' that is not valid JSON (${(error as Error).message}): ${JSON.stringify(excerpt)}`,
      { cause: error },
    );
  }
}

/**
 * Loads an extension's WASM module and runs it as an Extism plugin in a worker
 * thread owned by this runtime. Before instantiating, it rejects a module whose
 * linear memory has no declared maximum or one above `limits.memoryLimitMb`
 * (and the kernel cap), and a module lacking an export named in `exports`.
 * Calls run one at a time. A call that times out or crashes its worker fails
 * with `ExtensionCallError`, and the next call starts a new worker.
 *
 * @example
 * const runtime = await createWasmRuntime({
 *   extensionId: 'mify.sample-wasm',
 *   wasm: 'extensions/sample-wasm/dist/plugin.wasm',
 *   limits: { memoryLimitMb: 16, timeoutMs: 2000 },
 *   logger,
 * });
 * const output = await runtime.invoke({ kind: 'node', name: 'mify.sample-wasm.text-stats', input }, hostBridge);
 * await runtime.dispose();
 */
export async function createWasmRuntime(options: WasmRuntimeOptions): Promise<WasmExtensionRuntime> {
  const { extensionId, limits } = options;
  const logger = options.logger.child({ extensionId, runtime: 'wasm' });
  validateOptions(options);

  const bytes = await loadModuleBytes(extensionId, options.wasm);
  const module = await compileModule(extensionId, bytes);
  const memories = enforceMemoryLimit(extensionId, bytes, limits.memoryLimitMb);

  const functionExports = new Set(webAssembly.Module.exports(module).filter((entry) => entry.kind === 'function').map((entry) => entry.name));
  const exportMap = { ...options.exports };
  checkDeclaredExports(extensionId, exportMap, functionExports);

  const workerConfig: PluginWorkerConfig = {
    extensionId,
    module,
    allowedHosts: [...(options.allowedHosts ?? [])],
    allowedPaths: { ...options.allowedPaths },
    useWasi: webAssembly.Module.imports(module).some((entry) => entry.module === WASI_IMPORT_MODULE),
    resetEvery: options.resetEvery ?? DEFAULT_RESET_EVERY,
    hostMemoryLimitBytes: Math.floor(limits.memoryLimitMb * BYTES_PER_MB),
    logLinesPerCall: LOG_LINES_PER_CALL,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_BASE_MB + WORKER_HEAP_PER_MEMORY_MB * Math.ceil(limits.memoryLimitMb) },
    logger,
  };

  let worker: PluginWorker | null;
  try {
    worker = await PluginWorker.start(workerConfig, limits.timeoutMs);
  } catch (error) {
    throw new WasmModuleRejectedError(extensionId, (error as Error).message.replace(`Extension '${extensionId}' `, ''), { cause: error });
  }
  logger.info({ memories, exports: [...functionExports], useWasi: workerConfig.useWasi, resetEvery: workerConfig.resetEvery }, 'WASM extension started');

  let disposed = false;
  let queue: Promise<unknown> = Promise.resolve();

  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function liveWorker(): Promise<PluginWorker> {
    if (worker !== null && !worker.dead) return worker;

    logger.info('starting a new WASM plugin worker after a failed call');
    worker = null;
    worker = await PluginWorker.start(workerConfig, limits.timeoutMs);
    return worker;
  }

  function reportFailure(error: unknown): never {
    if (error instanceof ExtensionCallError && !disposed) {
      const level = error.reason === 'threw' || error.reason === 'invalid_output' ? 'debug' : 'warn';
      logger[level]({ reason: error.reason, err: error }, 'WASM extension call failed');
      options.onFailure?.(error);
    }
    throw error;
  }

  async function invokeExport(exportName: string, input: string, host: HostBridge): Promise<unknown> {
    if (disposed) throw new ExtensionCallError(extensionId, 'not_found', 'is not loaded: its WASM runtime was disposed.');

    const output = await (await liveWorker()).invoke(exportName, input, host, limits.timeoutMs);
    return parseOutput(extensionId, exportName, output);
  }

  return {
    extensionId,
    kind: 'wasm',

    async invoke(request: InvokeRequest, host: HostBridge): Promise<unknown> {
      if (disposed) throw new ExtensionCallError(extensionId, 'not_found', 'is not loaded: its WASM runtime was disposed.');

      const exportName = exportMap[request.name] ?? defaultExportName(request.name);
      if (!functionExports.has(exportName)) {
        return reportFailure(new ExtensionCallError(
          extensionId,
          'not_found',
          `has no export '${exportName}' for ${request.kind} '${request.name}'. Exported functions: ${[...functionExports].sort().join(', ') || '(none)'}.`,
        ));
      }

      const input = serializeInput(extensionId, request);
      return enqueue(() => invokeExport(exportName, input, host)).catch(reportFailure);
    },

    async memoryUsage(): Promise<WasmMemoryUsage | null> {
      return enqueue(async () => (worker === null || worker.dead || disposed ? null : worker.memoryUsage()));
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;

      const current = worker;
      worker = null;
      if (current !== null) await current.terminate();
      logger.info('WASM extension stopped');
    },
  };
}
