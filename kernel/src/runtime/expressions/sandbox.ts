import ivm from 'isolated-vm';

import type { Item } from '../../graphs/model.js';
import type { Logger } from '../../logger.js';
import { LruMap } from './lru.js';
import {
  EXPRESSION_BODY_PREFIX,
  EXPRESSION_BODY_SUFFIX,
  EXPRESSION_PARAMETERS,
  Phase,
  SANDBOX_BOOTSTRAP_SOURCE,
  SANDBOX_BOOTSTRAP_URL,
  type SandboxConfig,
} from './sandbox-source.js';

/** isolated-vm 5.0.4 rejects a run that passed its `timeout` option with exactly this message. */
const TIMED_OUT_MESSAGE = 'Script execution timed out.';

/** Wall-clock limit for creating an isolate: the bootstrap freezes every built-in, which takes a few milliseconds. */
const SETUP_TIMEOUT_MS = 5_000;

/**
 * Wall-clock time a call may take beyond `timeoutMs` per expression, in milliseconds. It
 * covers parsing the request and loading scope data. The watchdog stops a single slow
 * expression long before; this limit only matters when the kernel's event loop is too busy
 * to run the watchdog.
 */
const CALL_ALLOWANCE_MS = 1_000;

/** Filename of expressions compiled again to locate a syntax error. */
const EXPRESSION_FILENAME = 'expression';

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

/** Counters of one sandbox since it was created. */
export interface ExpressionSandboxStats {
  /** Expressions compiled, counting again those compiled anew after the cache dropped them or the isolate was replaced. */
  compiledExpressions: number;
  /** Expressions found already compiled when a call needed them. */
  cacheHits: number;
  /** Expressions compiled in the current isolate. */
  cachedExpressions: number;
  /** Calls into the sandbox. */
  calls: number;
  /** Isolates created; more than one means earlier ones were replaced after a failure. */
  isolatesCreated: number;
}

/**
 * A parameter string as the sandbox evaluates it: a number is an index into
 * `SandboxCall.sources` and stands for a single expression that keeps its type; an array
 * mixes literal text and indices and is joined to a string.
 */
export type SandboxSite = number | Array<string | number>;

/** One crossing into the sandbox: what to evaluate, for which items, and the scope data the sandbox may fetch. */
export interface SandboxCall {
  /** Distinct expression sources (the text between the braces) the sites refer to. */
  sources: readonly string[];
  sites: readonly SandboxSite[];
  /** JSON array of `{ vars, run, now }` objects, referred to by the items. */
  contextsJson: string;
  /** JSON of each item: `[contextIndex, inputGroup, nodesGroup, itemIndex, json]`. */
  itemsJson: readonly string[];
  /** Fetch all items of a node at the first lookup, because several items will need them. */
  batch: boolean;
  /** Expressions evaluated per item, to turn a progress position into an item and an expression. */
  expressionsPerItem: number;
  /** `$input` data, by the group number the request's items refer to. */
  inputGroups: readonly Item[][];
  /** `$node` data, by group number. */
  nodeGroups: ReadonlyArray<Record<string, Item[]>>;
}

/** Where a stopped call was: the expression at `position` when `phase` is `evaluating`. */
export interface SandboxStop {
  reason: 'timeout' | 'memory' | 'crashed';
  phase: 'setup' | 'evaluating';
  position: number;
  detail: string;
}

export type SandboxOutcome = { ok: true; responseJson: string } | { ok: false; stop: SandboxStop };

/** Position of a syntax error inside an expression's source, counting lines and columns from 1. */
export interface SyntaxErrorLocation {
  line: number;
  column: number;
  /** The error lies past the last character, e.g. `1 +`. */
  atEnd: boolean;
}

interface Loaded {
  isolate: ivm.Isolate;
  evaluate: ivm.Reference<(requestJson: string) => string>;
  progress: Int32Array;
}

interface ActiveCall {
  readonly call: SandboxCall;
  readonly loaded: Loaded;
  phase: number;
  position: number;
  /** Isolate CPU time when the watchdog first saw the current phase and position, in ns. */
  sinceCpuNs: bigint;
  /** Why the watchdog stopped the call, set before it disposes the isolate. */
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
 * two sampling intervals of its own CPU time.
 */
export class ExpressionSandbox {
  readonly #options: ExpressionSandboxOptions;
  readonly #timeoutNs: bigint;
  readonly #watchdogIntervalMs: number;
  #loaded: Promise<Loaded> | undefined;
  #active: ActiveCall | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;
  /** Ids of the expressions compiled in the current isolate, by source. */
  readonly #compiled: LruMap<string, number>;
  #nextExpressionId = 1;
  readonly #stats = { compiledExpressions: 0, cacheHits: 0, calls: 0, isolatesCreated: 0 };

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
   * or with why the sandbox stopped; rejects only when the sandbox was disposed or could not
   * be created.
   */
  run(call: SandboxCall): Promise<SandboxOutcome> {
    return this.#enqueue(() => this.#run(call));
  }

  /** Compiles an expression without running it and returns where its syntax error is, if V8 reports one. */
  locateSyntaxError(source: string): Promise<SyntaxErrorLocation | undefined> {
    return this.#enqueue(async () => {
      const { isolate } = await this.#load();
      const text = `(function (${EXPRESSION_PARAMETERS.join(', ')}) {${EXPRESSION_BODY_PREFIX}${source}${EXPRESSION_BODY_SUFFIX}\n})`;
      try {
        const script = await isolate.compileScript(text, { filename: EXPRESSION_FILENAME });
        script.release();
        return undefined;
      } catch (error) {
        return parseLocation(error, source);
      }
    });
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
    const active: ActiveCall = { call, loaded, phase: -1, position: -1, sinceCpuNs: loaded.isolate.cpuTime, stop: undefined };
    this.#active = active;
    this.#startWatchdog();
    this.#stats.calls++;

    const expressionCount = Math.max(1, call.expressionsPerItem * call.itemsJson.length);
    try {
      const responseJson = await loaded.evaluate.apply(undefined, [requestJson], {
        timeout: CALL_ALLOWANCE_MS + this.#options.timeoutMs * expressionCount,
      });
      return { ok: true, responseJson };
    } catch (error) {
      if (this.#disposed) throw new Error('The expression evaluator was disposed during the evaluation.', { cause: error });
      const stop = active.stop ?? this.#classify(error, loaded);
      this.#discard(loaded, stop);
      return { ok: false, stop };
    } finally {
      this.#active = undefined;
    }
  }

  /**
   * Builds the request JSON. Sources not compiled in the current isolate go into its
   * `compile` list, and expressions the cache drops to make room go into `evict`, so the
   * isolate holds the same expressions as `#compiled`.
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
      this.#options.logger.debug({ isolateNumber: this.#stats.isolatesCreated, ms: Math.round(performance.now() - startedAt) }, 'expression sandbox created');
      return { isolate, evaluate, progress: new Int32Array(progressBuffer) };
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw new Error(`Could not create the expression sandbox: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Answers a scope lookup from inside the sandbox. Runs on the kernel's main thread while a call waits for it. */
  #fetchScope(kind: unknown, group: unknown, name: unknown, index: unknown): string {
    const call = this.#active?.call;
    if (call === undefined || typeof group !== 'number') return 'null';

    let items: Item[] | undefined;
    if (kind === 'names') {
      return JSON.stringify(Object.keys(call.nodeGroups[group] ?? {}));
    } else if (kind === 'node') {
      const outputs = call.nodeGroups[group];
      if (outputs !== undefined && typeof name === 'string' && Object.hasOwn(outputs, name)) items = outputs[name];
    } else if (kind === 'input') {
      items = call.inputGroups[group];
    }
    if (items === undefined) return 'null';

    try {
      if (index === null) return JSON.stringify(items.map(toSandboxItem));
      if (typeof index !== 'number' || !Number.isInteger(index)) return 'null';
      const item = items.at(index);
      return item === undefined ? 'null' : JSON.stringify(toSandboxItem(item));
    } catch (error) {
      // The sandbox sees this message as an error thrown by the expression that asked.
      const source = kind === 'input' ? 'the input items' : `the output of node ${JSON.stringify(name)}`;
      throw new Error(`${source} cannot be converted to JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  #classify(error: unknown, loaded: Loaded): SandboxStop {
    const message = error instanceof Error ? error.message : String(error);
    const phase = Atomics.load(loaded.progress, 0) === Phase.evaluating ? 'evaluating' : 'setup';
    const position = Atomics.load(loaded.progress, 1);

    // isolated-vm disposes an isolate on its own only when it passes its memory limit.
    if (message.includes('memory limit') || loaded.isolate.isDisposed) {
      return { reason: 'memory', phase, position, detail: `the expression sandbox ran out of memory (limit ${this.#options.memoryLimitMb} MiB)` };
    }
    if (message === TIMED_OUT_MESSAGE) {
      return { reason: 'timeout', phase, position, detail: `used more than ${this.#options.timeoutMs} ms of CPU time` };
    }
    return { reason: 'crashed', phase, position, detail: `the expression sandbox stopped unexpectedly (${message})` };
  }

  /** Drops an isolate after a failed call, so the next call starts from a fresh one. */
  #discard(loaded: Loaded, stop: SandboxStop): void {
    if (!loaded.isolate.isDisposed) loaded.isolate.dispose();
    this.#loaded = undefined;
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
    if (phase !== active.phase || position !== active.position) {
      active.phase = phase;
      active.position = position;
      active.sinceCpuNs = cpuNs;
      return;
    }

    if (phase === Phase.evaluating && cpuNs - active.sinceCpuNs > this.#timeoutNs) {
      active.stop = { reason: 'timeout', phase: 'evaluating', position, detail: `used more than ${this.#options.timeoutMs} ms of CPU time` };
      isolate.dispose();
    }
  }

  #handleCatastrophicError(isolate: ivm.Isolate, message: string): void {
    // NOTE: isolated-vm advises ending the process after this callback, because V8 may have
    // lost track of the isolate's resources. The kernel disposes the isolate and logs at
    // fatal level, so the operator decides whether to restart.
    this.#options.logger.fatal({ message }, 'isolated-vm reported a catastrophic error in the expression sandbox');
    const active = this.#active;
    if (active !== undefined && active.loaded.isolate === isolate) {
      active.stop ??= { reason: 'crashed', phase: 'evaluating', position: Atomics.load(active.loaded.progress, 1), detail: `V8 lost control of the expression sandbox (${message})` };
    }
    if (!isolate.isDisposed) isolate.dispose();
  }
}

/**
 * The item as expressions see it. Binary entries keep `mimeType` and `fileName` but not
 * their base64 `data`, so files never travel into the sandbox.
 */
function toSandboxItem(item: Item): Record<string, unknown> {
  const result: Record<string, unknown> = { json: item.json };
  if (item.binary !== undefined) {
    const binary: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(item.binary)) {
      binary[key] = entry.fileName === undefined ? { mimeType: entry.mimeType } : { mimeType: entry.mimeType, fileName: entry.fileName };
    }
    result.binary = binary;
  }
  if (item.pairedItem !== undefined) result.pairedItem = item.pairedItem;
  return result;
}

/** Reads `[expression:LINE:COLUMN]` from an isolated-vm compile error and maps it into the expression's source. */
function parseLocation(error: unknown, source: string): SyntaxErrorLocation | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /\[expression:(\d+):(\d+)\]$/.exec(message);
  if (match === null) return undefined;

  // Line 1 holds the function head and "use strict", line 2 `return (`, and the source starts on line 3.
  const line = Number(match[1]) - 2;
  const column = Number(match[2]);
  const sourceLines = source.split('\n');
  if (line < 1) return undefined;
  if (line > sourceLines.length) {
    const last = sourceLines[sourceLines.length - 1] ?? '';
    return { line: sourceLines.length, column: last.length + 1, atEnd: true };
  }
  return { line, column, atEnd: false };
}
