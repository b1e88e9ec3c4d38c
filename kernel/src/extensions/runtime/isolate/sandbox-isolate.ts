import ivm from 'isolated-vm';

import type { Logger } from '../../../logger.js';
import type { HostBridge, InvokeRequest } from '../types.js';
import { type CallFailure, type DecodedResult, decodeDispatchResult, encodeHostError, encodeHostResult, parseSandboxJson, sandboxFrames } from './envelope.js';
import type { IsolateLimits } from './limits.js';
import { FINISHED_REQUEST_ID, SANDBOX_BOOTSTRAP_SOURCE, SANDBOX_BOOTSTRAP_URL, type SandboxConfig } from './sandbox-source.js';
import type { CallWatchdog, WatchedCall } from './watchdog.js';

/** isolated-vm 5.0.4 rejects a run that passed its `timeout` option with exactly this message. */
const TIMED_OUT_MESSAGE = 'Script execution timed out.';

/**
 * Isolates whose thread isolated-vm parked after a catastrophic error. They are referenced for
 * the life of the process, so that garbage collection never disposes an isolate whose thread
 * is parked inside it.
 */
const PARKED_ISOLATES: ivm.Isolate[] = [];

export interface SandboxIsolateOptions {
  /** Sequence number within the runtime, used in logs. */
  id: number;
  code: string;
  limits: IsolateLimits;
  config: SandboxConfig;
  watchdog: CallWatchdog;
  logger: Logger;
  /**
   * V8 code cache of the bundle, shared by the isolates of one runtime. The first isolate
   * fills it and later ones (pool growth, replacements) compile faster from it. It only ever
   * contains data this kernel produced, never data from an extension package.
   */
  compileCache: { data?: ivm.ExternalCopy<ArrayBuffer> };
}

/**
 * Result of `SandboxIsolate.run` for an invocation it started on the kernel's thread that was
 * still running at the end of its slice. Nothing of the invocation left the isolate: its host
 * calls and log lines were only queued, and the isolate is disposed before they would run. The
 * caller runs the invocation again, on an isolate thread.
 */
export const OUTRAN_SLICE = Symbol('outran the kernel-thread slice');

/** Raised by `SandboxIsolate.create` when the bundle cannot be loaded. */
export class SandboxLoadError extends Error {
  readonly failure: CallFailure;

  constructor(failure: CallFailure) {
    super(failure.detail, { cause: failure.cause });
    this.name = 'SandboxLoadError';
    this.failure = failure;
  }
}

interface ActiveCall {
  readonly callId: number;
  readonly bridge: HostBridge;
  readonly cpuStartNs: bigint;
  readonly wallDeadlineMs: number;
  /** Reason the kernel stopped the isolate during this call, set before it disposes it. */
  failure: CallFailure | undefined;
  /**
   * Settles with the call's outcome envelope. `dispose` rejects it, which ends the call even
   * when isolated-vm never settles its own promise, as after a catastrophic error.
   */
  waiting: { resolve: (outcome: unknown) => void; reject: (error: Error) => void } | undefined;
}

type ApplyRef = ivm.Reference<(...args: unknown[]) => unknown>;

/**
 * One isolate with one context, the sandbox bootstrap and the extension bundle loaded. It
 * runs one invocation at a time, which the pool guarantees. After a failure other than
 * `not_found` it disposes itself, and the pool replaces it.
 */
export class SandboxIsolate implements WatchedCall {
  readonly id: number;
  readonly #options: SandboxIsolateOptions;
  readonly #isolate: ivm.Isolate;
  readonly #cpuBudgetNs: bigint;
  #dispatch: ApplyRef | undefined;
  #settleHostCall: ApplyRef | undefined;
  #start: ApplyRef | undefined;
  #take: ApplyRef | undefined;
  #active: ActiveCall | undefined;
  /** The call that finished last. Log lines it sent may reach the kernel after its result. */
  #finished: ActiveCall | undefined;
  #nextCallId = 0;
  #disposedByKernel = false;
  /** Set after a catastrophic error, when isolated-vm has parked the isolate's thread. */
  #parked = false;
  #settling = 0;
  #onQuiet: (() => void) | undefined;

  private constructor(options: SandboxIsolateOptions) {
    this.id = options.id;
    this.#options = options;
    this.#cpuBudgetNs = BigInt(options.limits.timeoutMs) * 1_000_000n;
    this.#isolate = new ivm.Isolate({
      memoryLimit: options.limits.memoryLimitMb,
      onCatastrophicError: (message) => this.#handleCatastrophicError(message),
    });
  }

  /**
   * Creates an isolate and loads the bundle into it.
   *
   * @throws SandboxLoadError when the bundle does not compile, imports a module, throws or
   * runs out of time or memory at top level, or has no default export object.
   */
  static async create(options: SandboxIsolateOptions): Promise<SandboxIsolate> {
    const sandbox = new SandboxIsolate(options);
    try {
      await sandbox.#load();
      return sandbox;
    } catch (error) {
      const failure = error instanceof SandboxLoadError ? error.failure : sandbox.#loadFailure(error);
      sandbox.dispose();
      throw new SandboxLoadError(failure);
    }
  }

  get isDisposed(): boolean {
    return this.#parked || this.#isolate.isDisposed;
  }

  /**
   * Runs one invocation. Extension failures come back as `{ ok: false }`, never as a throw.
   *
   * With `sliceMs`, the invocation starts synchronously on the kernel's thread, which saves
   * the two thread hand-overs an isolate-thread call costs (about 16 µs of CPU when calls
   * overlap, 70 µs when they do not, against 4 µs). Code that resumes after a host call still
   * runs on an isolate thread. An invocation still running after `sliceMs` is stopped before
   * anything it did left the isolate, the isolate is disposed, and `OUTRAN_SLICE` is returned.
   *
   * @param inputJson - the input as JSON, or undefined for an undefined input
   * @param sliceMs - longest time the invocation may hold the kernel's thread, or undefined to
   *   run it on an isolate thread from the start
   */
  async run(request: InvokeRequest, inputJson: string | undefined, bridge: HostBridge, sliceMs?: number): Promise<DecodedResult | typeof OUTRAN_SLICE> {
    const { limits, config } = this.#options;
    const call: ActiveCall = {
      callId: ++this.#nextCallId,
      bridge,
      cpuStartNs: this.#isolate.cpuTime,
      wallDeadlineMs: performance.now() + limits.wallTimeoutMs,
      failure: undefined,
      waiting: undefined,
    };
    this.#active = call;
    this.#options.watchdog.watch(this);

    let envelope: unknown;
    let outran = false;
    try {
      envelope = sliceMs === undefined
        ? await this.#waitFor(call, this.#dispatch!.apply(undefined, [request.kind, request.name, inputJson, call.callId], { timeout: limits.timeoutMs, result: { promise: true } }))
        : await this.#runOnKernelThread(call, request, inputJson, sliceMs);
    } catch (error) {
      if (error === OUTRAN_SLICE) {
        outran = true;
        return OUTRAN_SLICE;
      }
      return this.#fail(call.failure ?? this.#terminationFailure(error));
    } finally {
      this.#active = undefined;
      // Log lines of an invocation stopped at the end of its slice were only queued; they are dropped.
      if (!outran) this.#finished = call;
      this.#options.watchdog.unwatch(this);
    }

    if (this.#cpuUsedNs(call) > this.#cpuBudgetNs) return this.#fail(this.#cpuTimeout());

    const decoded = decodeDispatchResult(envelope, config.bundleUrl, config.maxOutputChars);
    if (!decoded.ok && decoded.failure.reason !== 'not_found') this.dispose();
    return decoded;
  }

  /**
   * Starts an invocation on the kernel's thread and returns its outcome envelope, or a promise
   * of it when the invocation awaits a host call. isolated-vm runs pending promise reactions
   * before `applySync` returns and counts them against its timeout, so an invocation that
   * needs no host call has finished when `take` runs.
   *
   * @throws OUTRAN_SLICE when the invocation was still running after `sliceMs`
   */
  #runOnKernelThread(call: ActiveCall, request: InvokeRequest, inputJson: string | undefined, sliceMs: number): unknown {
    try {
      this.#start!.applySync(undefined, [request.kind, request.name, inputJson, call.callId], { timeout: sliceMs });
    } catch (error) {
      if (call.failure !== undefined || this.#isolate.isDisposed || !(error instanceof Error) || error.message !== TIMED_OUT_MESSAGE) throw error;
      // isolated-vm stops the code but keeps the isolate, whose state may now be half changed.
      this.dispose();
      throw OUTRAN_SLICE;
    }
    const outcome = this.#take!.applySync(undefined, [call.callId], { timeout: sliceMs });
    if (outcome !== undefined) return outcome;
    return this.#waitFor(call, undefined);
  }

  /** Returns a promise of the call's outcome: `settled`'s, or the one the sandbox reports later with FINISHED_REQUEST_ID. */
  #waitFor(call: ActiveCall, settled: Promise<unknown> | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      call.waiting = { resolve, reject };
      settled?.then(resolve, reject);
    });
  }

  /**
   * Returns a promise that settles once host-call results still being delivered into the
   * isolate have run, or undefined when none are. The pool waits for it before reusing the
   * isolate, so leftover work of one call cannot eat into the next call's budget.
   */
  whenQuiet(): Promise<void> | undefined {
    if (this.#settling === 0) return undefined;
    return new Promise((resolve) => {
      const previous = this.#onQuiet;
      this.#onQuiet = () => {
        previous?.();
        resolve();
      };
    });
  }

  checkDeadline(nowMs: number): void {
    const call = this.#active;
    if (call === undefined) return;

    if (nowMs > call.wallDeadlineMs) {
      this.#abort(call, {
        reason: 'timeout',
        detail: `did not finish within its wall-clock limit of ${this.#options.limits.wallTimeoutMs} ms, for example because it awaited a host call that never settled`,
      });
    } else if (this.#cpuUsedNs(call) > this.#cpuBudgetNs) {
      this.#abort(call, this.#cpuTimeout());
    }
  }

  /** Disposes the isolate. Safe to call more than once. */
  dispose(): void {
    this.#disposedByKernel = true;
    if (!this.#parked && !this.#isolate.isDisposed) this.#isolate.dispose();
    this.#active?.waiting?.reject(new Error('Isolate is disposed'));
  }

  async #load(): Promise<void> {
    const { config, limits, code, compileCache } = this.#options;
    const timeout = limits.timeoutMs;
    const context = await this.#isolate.createContext();

    const setup = await context.eval(SANDBOX_BOOTSTRAP_SOURCE, { filename: SANDBOX_BOOTSTRAP_URL, timeout, reference: true });
    const hostStart = new ivm.Callback(
      (callId: unknown, requestId: unknown, method: unknown, argsJson: unknown) => this.#startHostCall(callId, requestId, method, argsJson),
      { ignored: true },
    );
    const api = (await setup.apply(undefined, [hostStart, JSON.stringify(config)], { timeout, result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
    const install = (await api.get('install', { reference: true })) as ApplyRef;
    this.#dispatch = (await api.get('dispatch', { reference: true })) as ApplyRef;
    this.#settleHostCall = (await api.get('settleHostCall', { reference: true })) as ApplyRef;
    this.#start = (await api.get('start', { reference: true })) as ApplyRef;
    this.#take = (await api.get('take', { reference: true })) as ApplyRef;
    setup.release();
    api.release();

    const module = await this.#isolate.compileModule(code, {
      filename: config.bundleUrl,
      ...(compileCache.data ? { cachedData: compileCache.data } : { produceCachedData: true }),
    });
    const produced = (module as unknown as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    if (compileCache.data === undefined && produced !== undefined) compileCache.data = produced;

    const imports = module.dependencySpecifiers;
    if (imports.length > 0) {
      throw new SandboxLoadError({
        reason: 'threw',
        detail: `the bundle imports ${imports.map((specifier) => JSON.stringify(specifier)).join(', ')}; bundle every dependency into the entry file, because the isolate runtime provides no modules`,
      });
    }
    await module.instantiate(context, (specifier) => {
      throw new Error(`Module ${JSON.stringify(specifier)} is not available in the isolate runtime.`);
    });
    await module.evaluate({ timeout });

    const problem = await install.apply(undefined, [module.namespace.derefInto()], { timeout });
    install.release();
    if (problem !== '') throw new SandboxLoadError({ reason: 'not_found', detail: String(problem) });
  }

  #loadFailure(error: unknown): CallFailure {
    const termination = this.#terminationFailure(error);
    if (termination.reason !== 'crashed') return termination;

    // Anything else is an error of the bundle itself: a SyntaxError or a throw at top level.
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
    const frames = sandboxFrames(stack, this.#options.config.bundleUrl);
    const cause = new Error(message);
    cause.name = name;
    cause.stack = [`${name}: ${message}`, ...frames].join('\n');
    return { reason: 'threw', detail: `${name}: ${message}`, cause };
  }

  /** Classifies an error that isolated-vm raised because the isolate stopped. */
  #terminationFailure(error: unknown): CallFailure {
    const message = error instanceof Error ? error.message : String(error);
    const { memoryLimitMb, timeoutMs } = this.#options.limits;

    // isolated-vm disposes an isolate on its own only when it passes its memory limit.
    if (message.includes('memory limit') || (this.#isolate.isDisposed && !this.#disposedByKernel)) {
      return { reason: 'memory', detail: `exceeded the isolate heap limit of ${memoryLimitMb} MiB` };
    }
    if (message === TIMED_OUT_MESSAGE) {
      return { reason: 'timeout', detail: `used more than ${timeoutMs} ms of CPU time` };
    }
    return { reason: 'crashed', detail: `the isolate stopped unexpectedly (${message})` };
  }

  #cpuTimeout(): CallFailure {
    return { reason: 'timeout', detail: `used more than ${this.#options.limits.timeoutMs} ms of CPU time` };
  }

  #cpuUsedNs(call: ActiveCall): bigint {
    return this.#isolate.isDisposed ? 0n : this.#isolate.cpuTime - call.cpuStartNs;
  }

  #fail(failure: CallFailure): DecodedResult {
    this.dispose();
    return { ok: false, failure };
  }

  /** Records why the call stops, then disposes the isolate, which rejects the pending dispatch. */
  #abort(call: ActiveCall, failure: CallFailure): void {
    call.failure ??= failure;
    this.dispose();
  }

  /** Receives a host call from the sandbox. isolated-vm runs it on the kernel's main thread and ignores its errors. */
  #startHostCall(callId: unknown, requestId: unknown, method: unknown, argsJson: unknown): void {
    // Request id 0 marks a log line, which the sandbox does not wait for.
    const call = this.#active?.callId === callId ? this.#active : requestId === 0 && this.#finished?.callId === callId ? this.#finished : undefined;
    // Any other call id belongs to a finished invocation. The sandbox has already dropped that
    // call's promise, so the host call is not made.
    if (call === undefined) return;

    if (requestId === FINISHED_REQUEST_ID) {
      if (call.waiting !== undefined && typeof argsJson === 'string') {
        call.waiting.resolve(argsJson);
      } else if (call === this.#active) {
        this.#abort(call, { reason: 'crashed', detail: 'the sandbox sent an outcome the kernel did not wait for' });
      }
      return;
    }
    if (typeof requestId !== 'number' || typeof method !== 'string' || typeof argsJson !== 'string') {
      if (call === this.#active) this.#abort(call, { reason: 'crashed', detail: 'the sandbox sent a malformed host call' });
      return;
    }
    void this.#forwardHostCall(call, requestId, method, argsJson);
  }

  async #forwardHostCall(call: ActiveCall, requestId: number, method: string, argsJson: string): Promise<void> {
    let payload: string;
    try {
      const args = parseSandboxJson(argsJson);
      if (!Array.isArray(args)) throw new TypeError(`Host call "${method}": arguments must be a JSON array.`);
      payload = encodeHostResult(await call.bridge.call(method, args));
    } catch (error) {
      if (requestId === 0) this.#options.logger.debug({ err: error, method }, 'extension log line rejected by the host');
      payload = encodeHostError(error);
    }

    if (requestId === 0 || this.#active !== call || this.#isolate.isDisposed) return;
    this.#deliverHostResult(call, requestId, payload);
  }

  /**
   * Hands a host-call result to the sandbox. The extension code that continues after the
   * `await` runs inside this apply, so it gets the remaining CPU budget of the call as its
   * timeout.
   */
  #deliverHostResult(call: ActiveCall, requestId: number, payload: string): void {
    const remainingMs = Number(this.#cpuBudgetNs - this.#cpuUsedNs(call)) / 1e6;
    if (remainingMs <= 0) {
      this.#abort(call, this.#cpuTimeout());
      return;
    }

    this.#settling++;
    this.#settleHostCall!.apply(undefined, [requestId, payload], { timeout: Math.ceil(remainingMs) })
      .then(undefined, (error: unknown) => {
        if (this.#active === call) {
          this.#abort(call, this.#terminationFailure(error));
        } else if (!this.#isolate.isDisposed) {
          // The invocation already returned, but work it left behind ran out of time.
          this.#options.logger.warn({ isolateId: this.id, err: error }, 'work left running after an invocation was stopped; isolate disposed');
          this.dispose();
        }
      })
      .finally(() => {
        this.#settling--;
        if (this.#settling > 0) return;
        const onQuiet = this.#onQuiet;
        this.#onQuiet = undefined;
        onQuiet?.();
      });
  }

  /**
   * Handles an error V8 cannot recover from, such as one allocation larger than the heap can
   * ever grow. isolated-vm 5.0.4 then parks the isolate's thread in an endless sleep, so the
   * call's own promise never settles: ending the call here is what lets the kernel go on.
   *
   * NOTE: the parked thread and the isolate's heap (about the memory limit) stay allocated
   * until the process exits, and isolated-vm advises ending the process. The kernel logs at
   * fatal level and goes on serving, so the operator decides when to restart.
   */
  #handleCatastrophicError(message: string): void {
    if (this.#parked) return;
    this.#parked = true;
    PARKED_ISOLATES.push(this.#isolate);
    this.#options.logger.fatal({ isolateId: this.id, message, parkedIsolates: PARKED_ISOLATES.length }, 'isolated-vm reported a catastrophic isolate error; its thread and memory stay allocated until the process restarts');
    const call = this.#active;
    if (call !== undefined) {
      this.#abort(call, { reason: 'crashed', detail: `V8 lost control of the isolate (${message})` });
    } else {
      this.dispose();
    }
  }
}
