import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';

import type { Logger } from '../../../logger.js';
import { MifyError } from '../../../errors.js';
import { spawnModuleWorker } from '../../../worker-threads.js';
import { ExtensionCallError, type ExtensionFailureReason, type HostBridge } from '../types.js';
import type {
  HostCallResponseMessage,
  MainToWorkerMessage,
  WasmMemoryUsage,
  WorkerBootData,
  WorkerToMainMessage,
} from './protocol.js';

/** Everything a worker needs besides the module; see `WorkerBootData` for each field. */
export type PluginWorkerConfig = Omit<WorkerBootData, 'hostCallSignal' | 'hostCallPort'> & {
  /** V8 heap limits of the worker thread (not its WASM linear memory, which the module's declared maximum bounds). */
  resourceLimits: ResourceLimits;
  logger: Logger;
};

type PendingRequest =
  | { kind: 'boot' | 'instantiate'; resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  | {
      kind: 'invoke';
      callId: number;
      exportName: string;
      host: HostBridge;
      resolve: (output: string | null) => void;
      reject: (error: Error) => void;
      timer: NodeJS.Timeout;
    }
  | { kind: 'memory_usage'; resolve: (usage: WasmMemoryUsage) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

/**
 * How long a new worker thread may take to load its code before it counts as
 * crashed, in milliseconds. A whole cold start (runtime creation and first call)
 * took 45 ms from dist/ and 120 to 330 ms through tsx in bench/sandbox/RESULTS-wasm.md,
 * so the margin is for heavily loaded hosts.
 */
const WORKER_BOOT_TIMEOUT_MS = 30_000;

/** How long `memoryUsage()` waits for the worker's reply, in milliseconds. */
const MEMORY_USAGE_TIMEOUT_MS = 5_000;

/** Starts the worker thread that runs the plugin (`worker.ts`). */
function spawnWorker(options: ConstructorParameters<typeof Worker>[1]): Worker {
  return spawnModuleWorker(import.meta.url, 'worker', options);
}

function errorCode(error: unknown): string | undefined {
  if (error instanceof MifyError) return error.code;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/**
 * One worker thread running one instance of an extension's Extism plugin, with
 * the main-thread side of its watchdog and host-call channel. A `PluginWorker`
 * that timed out, crashed or was terminated stays dead, and the runtime
 * starts a new one for the next call.
 */
export class PluginWorker {
  readonly #config: PluginWorkerConfig;
  readonly #worker: Worker;
  readonly #hostCallPort: MessagePort;
  readonly #hostCallSignal: Int32Array;
  #pending: PendingRequest | null = null;
  #nextCallId = 1;
  #dead = false;

  private constructor(config: PluginWorkerConfig) {
    this.#config = config;

    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    this.#hostCallPort = channel.port1;
    this.#hostCallSignal = new Int32Array(signal);

    const { resourceLimits, logger: _logger, ...bootFields } = config;
    const workerData: WorkerBootData = { ...bootFields, hostCallSignal: signal, hostCallPort: channel.port2 };

    this.#worker = spawnWorker({
      workerData,
      transferList: [channel.port2],
      resourceLimits,
      // Node 20 marks its WASI module, which Extism imports, as experimental. Other warnings still print.
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });

    this.#worker.on('message', (message: WorkerToMainMessage) => this.#onMessage(message));
    this.#worker.on('error', (error: Error) => this.#onError(error));
    this.#worker.on('exit', (code: number) => this.#onExit(code));

    // An idle worker does not keep the process alive. A call in progress does, through its watchdog timer.
    this.#worker.unref();
  }

  /**
   * Starts a worker and instantiates the plugin in it. Instantiation runs the
   * module's start function, so it is held to `timeoutMs` like a call. The time
   * the thread takes to load its own code is not counted.
   */
  static async start(config: PluginWorkerConfig, timeoutMs: number): Promise<PluginWorker> {
    const pluginWorker = new PluginWorker(config);

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pluginWorker.#fail(`crashed: its worker thread did not start within ${WORKER_BOOT_TIMEOUT_MS} ms`, 'crashed');
      }, WORKER_BOOT_TIMEOUT_MS);
      pluginWorker.#pending = { kind: 'boot', resolve, reject, timer };
    });

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pluginWorker.#fail(`timed out after ${timeoutMs} ms while instantiating its module (the start function may not return)`, 'timeout');
      }, timeoutMs);
      pluginWorker.#pending = { kind: 'instantiate', resolve, reject, timer };
      pluginWorker.#post({ type: 'instantiate' });
    });

    return pluginWorker;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Calls `exportName` with the JSON text `input` and resolves to the plugin's
   * output text (`null` when it set none). A call running longer than
   * `timeoutMs` of wall time, host calls included, terminates the worker.
   * Rejects with `ExtensionCallError`.
   */
  invoke(exportName: string, input: string, host: HostBridge, timeoutMs: number): Promise<string | null> {
    if (this.#dead || this.#pending !== null) {
      return Promise.reject(this.#error('crashed', 'has no idle worker for this call (internal error: calls must be queued)'));
    }

    const callId = this.#nextCallId;
    this.#nextCallId += 1;

    return new Promise<string | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(`timed out after ${timeoutMs} ms in export '${exportName}'; its worker was terminated and the next call starts a new one`, 'timeout');
      }, timeoutMs);
      this.#pending = { kind: 'invoke', callId, exportName, host, resolve, reject, timer };
      this.#post({ type: 'invoke', callId, exportName, input });
    });
  }

  /** Reads the worker's memory figures. Only valid between calls. */
  memoryUsage(): Promise<WasmMemoryUsage> {
    if (this.#dead || this.#pending !== null) {
      return Promise.reject(this.#error('crashed', 'has no idle worker to read memory usage from'));
    }

    return new Promise<WasmMemoryUsage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(`did not report memory usage within ${MEMORY_USAGE_TIMEOUT_MS} ms`, 'crashed');
      }, MEMORY_USAGE_TIMEOUT_MS);
      this.#pending = { kind: 'memory_usage', resolve, reject, timer };
      this.#post({ type: 'memory_usage' });
    });
  }

  /** Terminates the worker. A call in progress fails with `reason` and `message`. */
  async terminate(message = 'was stopped: its WASM runtime was disposed while the call ran', reason: ExtensionFailureReason = 'crashed'): Promise<void> {
    this.#fail(message, reason);
    await this.#worker.terminate();
  }

  #post(message: MainToWorkerMessage): void {
    this.#worker.postMessage(message);
  }

  #error(reason: ExtensionFailureReason, message: string, cause?: unknown): ExtensionCallError {
    return new ExtensionCallError(this.#config.extensionId, reason, message, cause === undefined ? undefined : { cause });
  }

  #takePending(): PendingRequest | null {
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null) clearTimeout(pending.timer);
    return pending;
  }

  /** Marks the worker dead, fails the pending request and terminates the thread (without waiting). */
  #fail(message: string, reason: ExtensionFailureReason, cause?: unknown): void {
    const pending = this.#takePending();
    const wasDead = this.#dead;
    this.#dead = true;

    if (pending !== null) pending.reject(this.#error(reason, message, cause));
    if (!wasDead) {
      this.#hostCallPort.close();
      void this.#worker.terminate();
    }
  }

  #onMessage(message: WorkerToMainMessage): void {
    switch (message.type) {
      case 'log':
        this.#config.logger[message.level]({ source: 'plugin' }, message.message);
        return;
      case 'host_call':
        void this.#serviceHostCall(message.callId, message.request);
        return;
      case 'booted':
      case 'instantiated': {
        const expected = message.type === 'booted' ? 'boot' : 'instantiate';
        if (this.#pending?.kind !== expected) return;
        const pending = this.#takePending() as Extract<PendingRequest, { kind: 'boot' | 'instantiate' }>;
        pending.resolve();
        return;
      }
      case 'instantiate_failed': {
        this.#fail(`failed to instantiate its module: ${message.message}`, 'crashed');
        return;
      }
      case 'result': {
        if (this.#pending?.kind !== 'invoke' || this.#pending.callId !== message.callId) return;
        const pending = this.#takePending() as Extract<PendingRequest, { kind: 'invoke' }>;
        pending.resolve(message.output);
        return;
      }
      case 'failed': {
        if (this.#pending?.kind !== 'invoke' || this.#pending.callId !== message.callId) return;
        const pending = this.#takePending() as Extract<PendingRequest, { kind: 'invoke' }>;
        const prefix = message.reason === 'memory' ? 'exceeded its memory limit' : 'failed';
        pending.reject(this.#error(message.reason, `${prefix} in export '${pending.exportName}': ${message.message}`));
        return;
      }
      case 'memory_usage': {
        const pending = this.#takePending();
        if (pending?.kind === 'memory_usage') pending.resolve(message.usage);
        return;
      }
    }
  }

  #onError(error: Error): void {
    if (errorCode(error) === 'ERR_WORKER_OUT_OF_MEMORY') {
      this.#fail(`exceeded the heap limit of its worker thread (${this.#config.resourceLimits.maxOldGenerationSizeMb} MiB); the next call starts a new worker`, 'memory', error);
      return;
    }
    this.#fail(`crashed its worker thread: ${error.message}; the next call starts a new worker`, 'crashed', error);
  }

  #onExit(code: number): void {
    if (this.#dead) return;
    this.#fail(`crashed: its worker thread exited with code ${code}; the next call starts a new worker`, 'crashed');
  }

  /**
   * Runs one host call for the guest and posts the response. The worker is
   * blocked in `Atomics.wait` until `#hostCallSignal` changes, so the response
   * goes out before the signal is set.
   */
  async #serviceHostCall(callId: number, request: string): Promise<void> {
    const response = await this.#runHostCall(callId, request);
    if (this.#dead) return;

    const message: HostCallResponseMessage = { response };
    this.#hostCallPort.postMessage(message);
    Atomics.store(this.#hostCallSignal, 0, 1);
    Atomics.notify(this.#hostCallSignal, 0);
  }

  async #runHostCall(callId: number, request: string): Promise<string> {
    const pending = this.#pending;
    if (pending?.kind !== 'invoke' || pending.callId !== callId) {
      return hostCallFailure('no_invocation', 'host calls are only available while an export is being invoked, not while the module is instantiated');
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(request);
    } catch (error) {
      return hostCallFailure('invalid_request', `mify_host_call expects the JSON text {"method": string, "args": array}; parsing failed: ${(error as Error).message}`);
    }

    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { method?: unknown }).method !== 'string') {
      return hostCallFailure('invalid_request', 'mify_host_call expects {"method": string, "args": array}; "method" is missing or not a string');
    }
    const { method, args = [] } = parsed as { method: string; args?: unknown };
    if (!Array.isArray(args)) {
      return hostCallFailure('invalid_request', `mify_host_call for '${method}': "args" must be an array`);
    }

    try {
      const result = await pending.host.call(method, args);
      return JSON.stringify({ ok: true, result: result ?? null });
    } catch (error) {
      this.#config.logger.debug({ method, err: error }, 'host call from WASM plugin failed');
      return hostCallFailure(errorCode(error) ?? 'host_call_failed', error instanceof Error ? error.message : String(error));
    }
  }
}

function hostCallFailure(code: string, message: string): string {
  return JSON.stringify({ ok: false, error: { code, message } });
}
