import { ValidationError } from '../../../errors.js';
import type { Logger } from '../../../logger.js';
import { ExtensionCallError, type ExtensionFailureReason, type ExtensionRuntime, type HostBridge, type InvokeRequest, type SandboxLimits } from '../types.js';
import type { CallFailure } from './envelope.js';
import { ExtensionRuntimeDisposedError } from './errors.js';
import { IsolatePool, type IsolatePoolStats } from './isolate-pool.js';
import {
  MAX_HOST_ARGS_CHARS,
  MAX_LOG_CALLS_PER_INVOCATION,
  MAX_LOG_LINE_CHARS,
  MAX_MEMORY_LIMIT_MB,
  MAX_OUTPUT_CHARS,
  MAX_PENDING_HOST_CALLS,
  MAX_TIMEOUT_MS,
  type IsolateLimits,
  resolveIsolateLimits,
} from './limits.js';
import { OUTRAN_SLICE, SandboxIsolate, SandboxLoadError } from './sandbox-isolate.js';
import { ITEMS_PORT_FIELD, type SandboxConfig } from './sandbox-source.js';
import { CallWatchdog } from './watchdog.js';

/**
 * Host methods that get a shortcut on `ctx.host` when the caller passes no list, e.g.
 * `ctx.host.kv.get('k')` for `ctx.host.call('kv.get', ['k'])`. The extension host passes
 * the host API's full method table instead. Every method stays reachable through `ctx.host.call`.
 */
export const DEFAULT_HOST_METHODS: readonly string[] = [
  'kv.get', 'kv.set', 'kv.delete', 'kv.list',
  'collections.get', 'collections.put', 'collections.delete', 'collections.find',
  'http.fetch',
];

/** Invocation kinds and the word used for them in messages. */
const KIND_LABELS: Readonly<Record<InvokeRequest['kind'], string>> = {
  node: 'node',
  route: 'route',
  trigger: 'trigger',
  importer: 'importer',
  exporter: 'exporter',
  provider: 'provider',
  hook: 'hook',
};

/** Start of the message for each failure reason, before the contribution label. */
const FAILURE_VERBS: Record<ExtensionFailureReason, string> = {
  threw: 'threw in',
  timeout: 'timed out in',
  memory: 'ran out of memory in',
  crashed: 'crashed in',
  invalid_output: 'returned invalid output from',
  not_found: 'has no',
};

/** Advice on the next step, appended to the message of each failure reason. */
const FAILURE_HINTS: Partial<Record<ExtensionFailureReason, string>> = {
  timeout: `; reduce the work per call or raise timeoutMs in the manifest (kernel maximum ${MAX_TIMEOUT_MS} ms)`,
  memory: `; process less data per call or raise memoryLimitMb in the manifest (kernel maximum ${MAX_MEMORY_LIMIT_MB} MiB)`,
  invalid_output: `; return plain JSON data of at most ${MAX_OUTPUT_CHARS} characters`,
};

/** Minimum gap between two failure log lines of one runtime, in milliseconds. Failures in between are counted. */
const FAILURE_LOG_INTERVAL_MS = 1_000;

export interface IsolateRuntimeOptions {
  /** Manifest id of the extension, e.g. `mify.control`. */
  extensionId: string;
  /** The bundled JavaScript: an ES module without imports whose default export comes from `defineExtension`. */
  code: string;
  /** Limits from the manifest. Values past the kernel maxima are lowered (see limits.ts). */
  limits: SandboxLimits;
  /** Maximum number of isolates of this extension alive at once: the manifest's `limits.concurrency`. Default DEFAULT_POOL_SIZE (2). */
  poolSize?: number | undefined;
  /** Wall-clock deadline of one invocation, in milliseconds. Default `timeoutMs × WALL_TIMEOUT_FACTOR`. */
  wallTimeoutMs?: number;
  /** Dotted host method names that get a shortcut on `ctx.host`. Default DEFAULT_HOST_METHODS. */
  hostMethods?: readonly string[];
  logger: Logger;
  /** Called after every failed invocation, e.g. to feed a FailureWindow. Exceptions it throws are logged. */
  onFailure?: (reason: ExtensionFailureReason, error: ExtensionCallError) => void;
  /**
   * Maximum time, in milliseconds, an invocation may run on the kernel's thread before it is
   * moved to an isolate thread (see `IsolateExtensionRuntime.invoke`). Default 0: every
   * invocation runs on an isolate thread. Give it only to code shipped with MIFY, such as
   * KERNEL_THREAD_SLICE_MS for the bundled extensions, because of the catastrophic errors
   * described at KERNEL_THREAD_SLICE_MS.
   */
  kernelThreadSliceMs?: number;
}

/** Pool counters of an isolate runtime, and where its invocations started. */
export interface IsolateRuntimeStats extends IsolatePoolStats {
  /** Invocations that started on the kernel's thread, including those that outran their slice. */
  startedOnKernelThread: number;
  /** Invocations that started on an isolate thread, including the runs again of those that outran their slice. */
  startedOnIsolateThread: number;
  /** Invocations stopped at the end of their slice of the kernel's thread and run again on an isolate thread. */
  outranSlice: number;
  /** Contributions (`kind:name`) that now start on an isolate thread, because one of their invocations outran its slice. */
  offKernelThread: string[];
  /** Slice of the kernel's thread an invocation starts with, in milliseconds, or null when every invocation starts on an isolate thread. */
  kernelThreadSliceMs: number | null;
}

/** The isolate implementation of ExtensionRuntime, with its effective limits and pool counters. */
export interface IsolateRuntime extends ExtensionRuntime {
  readonly kind: 'isolate';
  readonly limits: IsolateLimits;
  stats(): IsolateRuntimeStats;
}

/**
 * Creates the isolate runtime of one extension and loads its bundle into a first isolate,
 * so a broken bundle fails here and not on the first call.
 *
 * Each invocation has an isolate to itself for its whole duration. Arguments and results
 * cross the boundary as JSON strings, so no kernel object is reachable from the sandbox.
 * A call that throws, runs out of CPU time, wall-clock time or memory, or returns invalid
 * output rejects with an ExtensionCallError, and its isolate is replaced.
 *
 * Inside the isolate, `invoke({ kind: 'node', name, input })` calls
 * `nodes[name].execute(ctx, input)` of the bundle's default export (route and trigger:
 * `handle`, importer: `import`, exporter: the importer's `export`, provider: `call`, hook: the function itself). `ctx` is a
 * frozen object `{ extensionId, kind, name, host, log }`: `host.call(method, args)` and the
 * `hostMethods` shortcuts return promises of the HostBridge result, and `log.info(message,
 * fields)` (also debug, warn, error) and `console.*` send log lines without waiting.
 *
 * @throws ExtensionCallError when the bundle cannot be loaded.
 * @throws ValidationError when a limit is not a positive number.
 *
 * @example
 * const runtime = await createIsolateRuntime({
 *   extensionId: 'mify.control',
 *   code: bundleSource,
 *   limits: { memoryLimitMb: 64, timeoutMs: 1_000 },
 *   logger,
 *   onFailure: () => failures.record(),
 * });
 * const output = await runtime.invoke({ kind: 'node', name: 'mify.control.if', input }, hostBridge);
 * await runtime.dispose();
 */
export async function createIsolateRuntime(options: IsolateRuntimeOptions): Promise<IsolateRuntime> {
  const limits = resolveIsolateLimits({ limits: options.limits, poolSize: options.poolSize, wallTimeoutMs: options.wallTimeoutMs });
  const logger = options.logger.child({ extensionId: options.extensionId, runtime: 'isolate' });
  if (limits.adjusted.length > 0) {
    logger.warn({ requested: options.limits, poolSize: options.poolSize, effective: limits }, 'isolate limits adjusted to the kernel bounds');
  }

  const runtime = new IsolateExtensionRuntime(options, limits, logger);
  await runtime.start();
  return runtime;
}

class IsolateExtensionRuntime implements IsolateRuntime {
  readonly extensionId: string;
  readonly kind = 'isolate' as const;
  readonly limits: IsolateLimits;
  readonly #options: IsolateRuntimeOptions;
  readonly #logger: Logger;
  readonly #pool: IsolatePool;
  readonly #watchdog: CallWatchdog;
  readonly #config: SandboxConfig;
  readonly #compileCache: SandboxIsolateCompileCache = {};
  #nextIsolateId = 0;
  #disposed = false;
  #lastFailureLogMs = -Infinity;
  #suppressedFailureLogs = 0;
  /** Slice of the kernel's thread each invocation starts with, in milliseconds, or undefined for none. */
  readonly #sliceMs: number | undefined;
  /** Contributions (`kind:name`) that once outran the slice, and so start on an isolate thread. */
  readonly #offThread = new Set<string>();
  readonly #starts = { startedOnKernelThread: 0, startedOnIsolateThread: 0, outranSlice: 0 };

  constructor(options: IsolateRuntimeOptions, limits: IsolateLimits, logger: Logger) {
    this.extensionId = options.extensionId;
    this.limits = limits;
    this.#options = options;
    this.#logger = logger;
    this.#watchdog = new CallWatchdog(Math.min(250, Math.max(10, Math.floor(limits.timeoutMs / 4))));
    this.#config = {
      extensionId: options.extensionId,
      bundleUrl: `mify-extension:///${encodeURIComponent(options.extensionId)}/bundle.js`,
      maxOutputChars: MAX_OUTPUT_CHARS,
      maxHostArgsChars: MAX_HOST_ARGS_CHARS,
      maxPendingHostCalls: MAX_PENDING_HOST_CALLS,
      maxLogCallsPerInvocation: MAX_LOG_CALLS_PER_INVOCATION,
      maxLogLineChars: MAX_LOG_LINE_CHARS,
      hostMethods: validateHostMethods(options.hostMethods ?? DEFAULT_HOST_METHODS),
    };
    this.#pool = new IsolatePool({ maxSize: limits.poolSize, create: () => this.#createIsolate(), logger });
    const sliceMs = options.kernelThreadSliceMs ?? 0;
    if (!Number.isFinite(sliceMs) || sliceMs < 0) {
      throw new ValidationError(`Invalid kernelThreadSliceMs ${sliceMs} for extension '${options.extensionId}': expected 0 (off) or a positive number of milliseconds.`, [
        { path: 'kernelThreadSliceMs', message: 'expected a number of at least 0' },
      ]);
    }
    this.#sliceMs = sliceMs === 0 ? undefined : Math.max(1, Math.min(Math.round(sliceMs), limits.timeoutMs));
  }

  async start(): Promise<void> {
    const startedAt = performance.now();
    this.#pool.seed(await this.#createIsolate());
    this.#logger.info({ limits: this.limits, startMs: Math.round(performance.now() - startedAt) }, 'isolate runtime started');
  }

  /**
   * Runs one invocation in an isolate of the pool.
   *
   * With `kernelThreadSliceMs`, each invocation starts on the kernel's thread, for at most
   * that slice, because handing a call to an isolate thread and its result back
   * costs more than a short node takes. Code that resumes after a host call runs on an
   * isolate thread. An invocation still running at the end of its slice is stopped before
   * any of its host calls or log lines ran, and its isolate is discarded. It runs again from
   * the start on an isolate thread, as every later call of that contribution does. So each
   * slow contribution of an extension keeps the kernel's thread busy for one slice at most.
   */
  async invoke(request: InvokeRequest, host: HostBridge): Promise<unknown> {
    if (this.#disposed) throw new ExtensionRuntimeDisposedError(this.extensionId);

    const label = this.#validate(request);
    const inputJson = this.#encodeInput(request, label);
    const key = `${request.kind}:${request.name}`;

    let result = await this.#runInPool(request, inputJson, host, this.#offThread.has(key) ? undefined : this.#sliceMs);
    if (result === OUTRAN_SLICE) {
      this.#starts.outranSlice++;
      if (!this.#offThread.has(key)) {
        this.#offThread.add(key);
        this.#logger.info({ kind: label, name: request.name, sliceMs: this.#sliceMs }, 'invocation outran its slice of the kernel thread; this contribution now runs on an isolate thread');
      }
      result = await this.#runInPool(request, inputJson, host, undefined);
    }

    if (result === OUTRAN_SLICE) throw new Error('An invocation on an isolate thread reported a kernel-thread slice; this is a bug in the isolate runtime.');
    if (result.ok) return result.value;
    if (this.#disposed) throw new ExtensionRuntimeDisposedError(this.extensionId);
    throw this.#reportFailure(label, request.name, result.failure);
  }

  async #runInPool(request: InvokeRequest, inputJson: string | undefined, host: HostBridge, sliceMs: number | undefined): ReturnType<SandboxIsolate['run']> {
    let sandbox: SandboxIsolate;
    try {
      sandbox = await this.#pool.acquire();
    } catch (error) {
      if (this.#disposed) throw new ExtensionRuntimeDisposedError(this.extensionId);
      // A replacement isolate could not load the bundle, which counts as a failed call too.
      if (error instanceof ExtensionCallError) this.#notifyFailure(error);
      throw error;
    }

    if (sliceMs === undefined) this.#starts.startedOnIsolateThread++;
    else this.#starts.startedOnKernelThread++;
    try {
      return await sandbox.run(request, inputJson, host, sliceMs);
    } finally {
      this.#pool.release(sandbox);
    }
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;

    this.#disposed = true;
    this.#pool.close(new ExtensionRuntimeDisposedError(this.extensionId));
    this.#watchdog.stop();
    this.#compileCache.data?.release();
    this.#compileCache.data = undefined;
    this.#logger.info('isolate runtime disposed');
  }

  stats(): IsolateRuntimeStats {
    return { ...this.#pool.stats(), ...this.#starts, offKernelThread: [...this.#offThread], kernelThreadSliceMs: this.#sliceMs ?? null };
  }

  async #createIsolate(): Promise<SandboxIsolate> {
    const id = ++this.#nextIsolateId;
    try {
      const sandbox = await SandboxIsolate.create({
        id,
        code: this.#options.code,
        limits: this.limits,
        config: this.#config,
        watchdog: this.#watchdog,
        logger: this.#logger,
        compileCache: this.#compileCache,
      });
      this.#logger.debug({ isolateId: id }, 'isolate created');
      return sandbox;
    } catch (error) {
      if (!(error instanceof SandboxLoadError)) throw error;
      const loadError = new ExtensionCallError(this.extensionId, error.failure.reason, `failed to load its bundle: ${error.failure.detail}${FAILURE_HINTS[error.failure.reason] ?? ''}`, {
        cause: error.failure.cause,
      });
      this.#logger.error({ err: loadError, isolateId: id }, 'extension bundle failed to load');
      throw loadError;
    }
  }

  /** Returns the label of the request's kind. An unknown kind is reported as not found. */
  #validate(request: InvokeRequest): string {
    const label = Object.hasOwn(KIND_LABELS, request.kind) ? KIND_LABELS[request.kind] : undefined;
    if (typeof request.name !== 'string' || request.name.length === 0) {
      throw new ValidationError(`Invalid invocation of extension '${this.extensionId}': name must be a non-empty contribution name.`, [
        { path: 'name', message: 'expected a non-empty string' },
      ]);
    }
    if (label === undefined) {
      throw this.#reportFailure('contribution', request.name, {
        reason: 'not_found',
        detail: `has no contribution kind ${JSON.stringify(request.kind)}; expected one of ${Object.keys(KIND_LABELS).join(', ')}`,
      });
    }
    return label;
  }

  #encodeInput(request: InvokeRequest, label: string): string | undefined {
    try {
      return JSON.stringify(request.kind === 'node' ? withSharedItems(request.input) : request.input);
    } catch (error) {
      throw new ValidationError(`Input for ${label} '${request.name}' of extension '${this.extensionId}' is not JSON-serialisable: ${(error as Error).message}`, [
        { path: 'input', message: 'expected a JSON value' },
      ]);
    }
  }

  #reportFailure(label: string, name: string, failure: CallFailure): ExtensionCallError {
    const message = failure.reason === 'not_found'
      ? failure.detail
      : `${FAILURE_VERBS[failure.reason]} ${label} '${name}': ${failure.detail}${FAILURE_HINTS[failure.reason] ?? ''}`;
    const error = new ExtensionCallError(this.extensionId, failure.reason, message, { cause: failure.cause });

    this.#logFailure(error, label, name);
    this.#notifyFailure(error);
    return error;
  }

  #notifyFailure(error: ExtensionCallError): void {
    try {
      this.#options.onFailure?.(error.reason, error);
    } catch (callbackError) {
      this.#logger.error({ err: callbackError }, 'onFailure callback threw');
    }
  }

  /** Logs at most one failure line per FAILURE_LOG_INTERVAL_MS and counts the lines it skipped. */
  #logFailure(error: ExtensionCallError, label: string, name: string): void {
    const now = performance.now();
    if (now - this.#lastFailureLogMs < FAILURE_LOG_INTERVAL_MS) {
      this.#suppressedFailureLogs++;
      return;
    }

    this.#logger.warn({ reason: error.reason, kind: label, name, err: error, suppressed: this.#suppressedFailureLogs }, 'extension call failed');
    this.#lastFailureLogMs = now;
    this.#suppressedFailureLogs = 0;
  }
}

type SandboxIsolateCompileCache = Parameters<typeof SandboxIsolate.create>[0]['compileCache'];

/** Checks that each shortcut name has the form `namespace.method`, e.g. `kv.get`. */
function validateHostMethods(methods: readonly string[]): readonly string[] {
  const problems = methods
    .map((method, index) => ({ method, index }))
    .filter(({ method }) => typeof method !== 'string' || !/^[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*$/.test(method) || method.startsWith('call.'))
    .map(({ method, index }) => ({ path: `hostMethods[${index}]`, message: `expected "namespace.method" such as "kv.get" (namespace not "call"), got ${JSON.stringify(method)}` }));
  if (problems.length > 0) throw new ValidationError('Invalid hostMethods for the isolate runtime.', problems);
  return methods;
}

/**
 * Replaces a node input's `items` by the name of the port whose array it is, in
 * `ITEMS_PORT_FIELD`. `items` is the array of the first input port, beside `ports`, so it
 * would otherwise cross into the isolate twice. The dispatcher in the sandbox sets `items` to
 * that port's array again. With 1,000 items this halves the input's JSON.
 */
function withSharedItems(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const { items, ports } = input as { items?: unknown; ports?: unknown };
  if (!Array.isArray(items) || typeof ports !== 'object' || ports === null) return input;
  for (const port of Object.keys(ports)) {
    if ((ports as Record<string, unknown>)[port] !== items) continue;
    const { items: _shared, ...rest } = input as Record<string, unknown>;
    return { ...rest, [ITEMS_PORT_FIELD]: port };
  }
  return input;
}

