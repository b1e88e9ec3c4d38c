import ivm from 'isolated-vm';

import type { Logger } from '../../logger.js';
import { LruMap } from './lru.js';
import { answerScopeLookup, type ExpressionSandboxStats, type SandboxCall, type SandboxOutcome, type SandboxStop } from './sandbox-protocol.js';
import { Phase, SANDBOX_BOOTSTRAP_SOURCE, SANDBOX_BOOTSTRAP_URL, type SandboxConfig } from './sandbox-source.js';
import { locateSyntaxError, type SyntaxErrorLocation } from './syntax-location.js';

/** isolated-vm 5.0.4 rejects a run that passed its `timeout` option with exactly this message. */
const TIMED_OUT_MESSAGE = 'Script execution timed out.';

/** Wall-clock limit for creating an isolate: the bootstrap freezes every built-in, which takes a few milliseconds. */
const SETUP_TIMEOUT_MS = 5_000;

/**
 * Wall-clock time a call may take beyond `timeoutMs` per expression, in milliseconds. It
 * covers parsing the request and loading scope data. The watchdog stops a single slow
 * expression long before, so this limit only matters when the kernel's event loop is too
 * busy to run the watchdog.
 */
const CALL_ALLOWANCE_MS = 1_000;

/** Largest wall-clock limit of one call, in milliseconds (10 minutes), however many expressions it has. */
const MAX_CALL_WALL_MS = 600_000;

/** Isolates whose thread isolated-vm parked after a catastrophic error, shared by every sandbox of the process. */
const PARKED_ISOLATES: ivm.Isolate[] = [];

export interface ExpressionSandboxOptions {
  /** Heap limit of the isolate, in MiB. */
  memoryLimitMb: number;
  /** CPU time one expression may use, in milliseconds. */
  timeoutMs: number;
  /** Distinct expressions kept compiled in the isolate; the least recently used is dropped first. */
  cacheSize: number;
  /** Largest JSON response of one call, in UTF-16 code units. */
  maxResponseChars: number;
  logger: Logger;
}

interface Loaded {
  isolate: ivm.Isolate;
  evaluate: ivm.Reference<(requestJson: string) => string>;
  progress: Int32Array;
}

interface ActiveCall {
  readonly call: SandboxCall;
  readonly loaded: Loaded;
  /** Ends the call without waiting for the isolate, whose thread isolated-vm parks after a catastrophic error. */
  readonly abandon: (stop: SandboxStop) => void;
  phase: number;
  position: number;
  /** Isolate CPU time when the watchdog first saw the current phase and position, in ns. */
  sinceCpuNs: bigint;
  /** CPU time of the whole process at the same moment, in ns. */
  sinceProcessCpuNs: bigint;
  /** Reason the watchdog stopped the call, set before it disposes the isolate. */
  stop: SandboxStop | undefined;
}

/**
 * One isolate that evaluates expressions, one call at a time, with a heap limit and a CPU
 * limit per expression. A call that runs out of time or memory disposes the isolate; the
 * next call creates a new one.
 *
 * The CPU limit is enforced by a watchdog that samples the isolate's CPU time and the
 * position the sandbox writes before each expression, every `timeoutMs / 10` ms (at most
 * 10 ms). An endless expression is stopped after between `timeoutMs` and `timeoutMs` plus
 * two sampling intervals of its own CPU time, later when the kernel's event loop is too busy
 * to sample on time. isolated-vm's own `timeout` bounds each call's wall-clock time as well.
 */
export class ExpressionSandbox {
  readonly #options: ExpressionSandboxOptions;
  readonly #timeoutNs: bigint;
  readonly #watchdogIntervalMs: number;
  #loaded: Promise<Loaded> | undefined;
  /** The isolate `#loaded` resolved to, for the catastrophic-error handler, which cannot await. */
  #currentIsolate: ivm.Isolate | undefined;
  #active: ActiveCall | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;
  /** Ids of the expressions compiled in the current isolate, by source. */
  readonly #compiled: LruMap<string, number>;
  #nextExpressionId = 1;
  readonly #stats = { compiledExpressions: 0, cacheHits: 0, calls: 0, isolatesCreated: 0, parkedIsolates: 0 };

  constructor(options: ExpressionSandboxOptions) {
    this.#options = options;
    this.#timeoutNs = BigInt(Math.round(options.timeoutMs * 1_000_000));
    this.#watchdogIntervalMs = Math.max(1, Math.min(10, Math.floor(options.timeoutMs / 10)));
    this.#compiled = new LruMap(options.cacheSize);
  }

  stats(): ExpressionSandboxStats {
    return { ...this.#stats, cachedExpressions: this.#compiled.size };
  }

  /**
   * Runs one call once the calls queued before it have finished. Resolves with the response,
   * or with the reason the sandbox stopped. Rejects only when the sandbox was disposed or
   * could not be created.
   */
  run(call: SandboxCall): Promise<SandboxOutcome> {
    return this.#enqueue(() => this.#run(call));
  }

  /** Compiles an expression without running it and returns where its syntax error is, if V8 reports one. */
  locateSyntaxError(source: string): Promise<SyntaxErrorLocation | undefined> {
    return this.#enqueue(async () => locateSyntaxError((await this.#load()).isolate, source));
  }

  /** Disposes the isolate. Calls already queued fail; later calls are rejected. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#stopWatchdog();
    const loaded = this.#loaded;
    this.#loaded = undefined;
    if (loaded === undefined) return;

    try {
      const { isolate } = await loaded;
      if (!isolate.isDisposed) isolate.dispose();
    } catch {
      // The isolate was never created, so there is nothing to dispose.
    }
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      if (this.#disposed) throw new Error('The expression evaluator was disposed; create a new one.');
      return task();
    });
    this.#queue = result.then(undefined, () => undefined);
    return result;
  }

  async #run(call: SandboxCall): Promise<SandboxOutcome> {
    const loaded = await this.#load();
    const requestJson = this.#buildRequest(call);
    let abandon!: (stop: SandboxStop) => void;
    const abandoned = new Promise<SandboxOutcome>((resolve) => {
      abandon = (stop) => resolve({ ok: false, stop });
    });
    const active: ActiveCall = { call, loaded, abandon, phase: -1, position: -1, sinceCpuNs: 0n, sinceProcessCpuNs: 0n, stop: undefined };
    this.#active = active;
    this.#startWatchdog();
    this.#stats.calls++;

    const expressionCount = Math.max(1, call.expressionsPerItem * call.itemsJson.length);
    try {
      const evaluated = loaded.evaluate
        .apply(undefined, [requestJson], { timeout: Math.min(MAX_CALL_WALL_MS, CALL_ALLOWANCE_MS + this.#options.timeoutMs * expressionCount) })
        .then((responseJson): SandboxOutcome => ({ ok: true, responseJson }));
      return await Promise.race([evaluated, abandoned]);
    } catch (error) {
      if (this.#disposed) throw new Error('The expression evaluator was disposed during the evaluation.', { cause: error });
      const stop = active.stop ?? this.#classify(error, loaded);
      if (stop.reason !== 'rejected') this.#discard(loaded, stop);
      return { ok: false, stop };
    } finally {
      this.#active = undefined;
    }
  }

  /**
   * Builds the request JSON. Sources not compiled in the current isolate go into its
   * `compile` list, and expressions the cache drops to make room go into `evict`, so the
   * isolate contains the same expressions as `#compiled`.
   */
  #buildRequest(call: SandboxCall): string {
    const ids = call.sources.map(() => 0);
    const used = new Set<string>(call.sources);
    const compile: Array<[number, string]> = [];
    const evict: number[] = [];

    call.sources.forEach((source, index) => {
      const cached = this.#compiled.get(source);
      if (cached !== undefined) {
        this.#stats.cacheHits++;
        ids[index] = cached;
        return;
      }

      const id = this.#nextExpressionId++;
      ids[index] = id;
      compile.push([id, source]);
      this.#stats.compiledExpressions++;
      for (const [, droppedId] of this.#compiled.set(source, id, used)) evict.push(droppedId);
    });

    const sites = call.sites.map((site) => (typeof site === 'number' ? ids[site] : site.map((part) => (typeof part === 'number' ? ids[part] : part))));
    return `{"evict":${JSON.stringify(evict)},"compile":${JSON.stringify(compile)},"sites":${JSON.stringify(sites)},"contexts":${call.contextsJson},"batch":${call.batch},"items":[${call.itemsJson.join(',')}]}`;
  }

  #load(): Promise<Loaded> {
    this.#loaded ??= this.#create().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    return this.#loaded;
  }

  async #create(): Promise<Loaded> {
    const startedAt = performance.now();
    const isolate = new ivm.Isolate({
      memoryLimit: this.#options.memoryLimitMb,
      onCatastrophicError: (message) => this.#handleCatastrophicError(isolate, message),
    });

    try {
      const context = await isolate.createContext();
      const setup = await context.eval(SANDBOX_BOOTSTRAP_SOURCE, { filename: SANDBOX_BOOTSTRAP_URL, timeout: SETUP_TIMEOUT_MS, reference: true });
      const progressBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
      const fetchScope = new ivm.Callback((kind: unknown, group: unknown, name: unknown, index: unknown) => this.#fetchScope(kind, group, name, index));
      const config: SandboxConfig = { maxResponseChars: this.#options.maxResponseChars };
      const evaluate = (await setup.apply(undefined, [fetchScope, new ivm.ExternalCopy(progressBuffer).copyInto(), JSON.stringify(config)], {
        timeout: SETUP_TIMEOUT_MS,
        result: { reference: true },
      })) as ivm.Reference<(requestJson: string) => string>;
      setup.release();

      this.#stats.isolatesCreated++;
      this.#compiled.clear();
      this.#currentIsolate = isolate;
      this.#options.logger.debug({ isolateNumber: this.#stats.isolatesCreated, ms: Math.round(performance.now() - startedAt) }, 'expression sandbox created');
      return { isolate, evaluate, progress: new Int32Array(progressBuffer) };
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw new Error(`Could not create the expression sandbox: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Looks up scope data for the sandbox. Runs on the kernel's main thread while a call waits for it. */
  #fetchScope(kind: unknown, group: unknown, name: unknown, index: unknown): string {
    const call = this.#active?.call;
    return call === undefined ? 'null' : answerScopeLookup(call, kind, group, name, index);
  }

  #classify(error: unknown, loaded: Loaded): SandboxStop {
    const message = error instanceof Error ? error.message : String(error);
    const phase = phaseName(loaded.progress);
    const position = Atomics.load(loaded.progress, 1);

    // isolated-vm disposes an isolate on its own only when it passes its memory limit.
    if (message.includes('memory limit') || loaded.isolate.isDisposed) {
      return { reason: 'memory', phase, position, detail: `the expression sandbox ran out of memory (limit ${this.#options.memoryLimitMb} MiB)` };
    }
    if (message === TIMED_OUT_MESSAGE) {
      return { reason: 'timeout', phase, position, detail: `used more than ${this.#options.timeoutMs} ms of CPU time` };
    }
    // The isolate is intact, so isolated-vm failed the call for a rejection the code left unhandled.
    return { reason: 'rejected', phase, position, detail: message };
  }

  /** Drops an isolate after a failed call, so the next call starts from a fresh one. */
  #discard(loaded: Loaded, stop: SandboxStop): void {
    if (!loaded.isolate.isDisposed && !PARKED_ISOLATES.includes(loaded.isolate)) loaded.isolate.dispose();
    this.#loaded = undefined;
    this.#currentIsolate = undefined;
    this.#compiled.clear();
    this.#options.logger.debug({ reason: stop.reason, phase: stop.phase }, 'expression sandbox disposed after a failed call; the next call creates a new one');
  }

  #startWatchdog(): void {
    if (this.#watchdog !== undefined) return;
    this.#watchdog = setInterval(() => this.#checkProgress(), this.#watchdogIntervalMs);
    this.#watchdog.unref();
  }

  #stopWatchdog(): void {
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** Stops the active call when one expression has used more than `timeoutMs` of CPU time. */
  #checkProgress(): void {
    const active = this.#active;
    if (active === undefined) {
      this.#stopWatchdog();
      return;
    }

    const { isolate, progress } = active.loaded;
    if (isolate.isDisposed) return;

    const phase = Atomics.load(progress, 0);
    const position = Atomics.load(progress, 1);
    const cpuNs = isolate.cpuTime;
    const processCpuNs = processCpuTimeNs();
    if (phase !== active.phase || position !== active.position) {
      active.phase = phase;
      active.position = position;
      active.sinceCpuNs = cpuNs;
      active.sinceProcessCpuNs = processCpuNs;
      return;
    }

    // isolated-vm 5.0.4 reports the CPU time of the slice still running from a wall clock, so
    // a pause of the process or its isolate thread would count as CPU time. The process's CPU
    // time (all threads) is another upper bound that does not grow in a pause; the smaller
    // of the two is charged.
    const usedNs = min(cpuNs - active.sinceCpuNs, processCpuNs - active.sinceProcessCpuNs);
    const charged = phase === Phase.evaluating || phase === Phase.settling;
    if (charged && usedNs > this.#timeoutNs) {
      active.stop = { reason: 'timeout', phase: phaseName(progress), position, detail: `used more than ${this.#options.timeoutMs} ms of CPU time` };
      isolate.dispose();
    }
  }

  /**
   * Handles an error V8 cannot recover from, such as one allocation larger than the heap can
   * ever grow (e.g. `new Array(5e7).fill(0)`). isolated-vm 5.0.4 then parks the isolate's
   * thread in an endless sleep and the call would never settle, so this handler ends the
   * call, and the next call gets a new isolate.
   *
   * NOTE: the parked isolate's thread and heap (about the memory limit) stay allocated until
   * the process exits, and isolated-vm advises ending the process. The kernel keeps serving
   * and logs at fatal level, so the operator decides when to restart.
   */
  #handleCatastrophicError(isolate: ivm.Isolate, message: string): void {
    const active = this.#active;
    const isActive = active !== undefined && active.loaded.isolate === isolate;
    const alreadyParked = PARKED_ISOLATES.includes(isolate);
    this.#options.logger.fatal({ message, parkedIsolates: PARKED_ISOLATES.length + (alreadyParked ? 0 : 1) }, 'isolated-vm reported a catastrophic error in the expression sandbox; its memory stays allocated until the process restarts');
    if (alreadyParked) return;

    // Referenced forever, so that garbage collection never disposes an isolate whose thread is parked inside it.
    PARKED_ISOLATES.push(isolate);
    this.#stats.parkedIsolates++;
    if (this.#currentIsolate === isolate) {
      this.#loaded = undefined;
      this.#currentIsolate = undefined;
      this.#compiled.clear();
    }

    if (isActive) {
      const phase = phaseName(active.loaded.progress);
      const position = Atomics.load(active.loaded.progress, 1);
      const reason = message.includes('out-of-memory') ? 'memory' : 'crashed';
      const detail = reason === 'memory' ? `the expression sandbox ran out of memory (limit ${this.#options.memoryLimitMb} MiB)` : `V8 lost control of the expression sandbox (${message})`;
      active.stop ??= { reason, phase, position, detail };
      active.abandon(active.stop);
    }
  }
}

/** Names the phase the sandbox last wrote into its progress array. */
function phaseName(progress: Int32Array): SandboxStop['phase'] {
  const phase = Atomics.load(progress, 0);
  if (phase === Phase.evaluating) return 'evaluating';
  if (phase === Phase.settling) return 'settling';
  return 'setup';
}

/** CPU time of the process so far, user and system, all threads, in ns. */
function processCpuTimeNs(): bigint {
  const usage = process.cpuUsage();
  return BigInt(usage.user + usage.system) * 1_000n;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

