import { MifyError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ExpressionEvaluator, ExpressionScope, ItemParameters } from '../types.js';
import { type DataPath, lookUpDataPath, parseDataPath } from './data-paths.js';
import { ExpressionError, type ExpressionFailureReason } from './errors.js';
import { LruMap } from './lru.js';
import { containsTemplate, replaceAtPaths, TemplateParser } from './parameters.js';
import { type EvaluationPlan, type PlannedExpression, planEvaluation } from './plan.js';
import { ExpressionSandbox } from './sandbox.js';
import type { ExpressionSandboxStats, SandboxStop } from './sandbox-protocol.js';
import type { SyntaxErrorLocation } from './syntax-location.js';
import { ScopeGroups } from './scope-groups.js';
import { displayExpression } from './template.js';

export interface ExpressionEvaluatorOptions {
  /** Heap limit of the sandbox isolate, in MiB. Default 64; at least 8, the smallest isolated-vm 5.0.4 accepts. */
  memoryLimitMb?: number;
  /** CPU time one expression may use, in milliseconds. Default 100. */
  timeoutMs?: number;
  /** Distinct expressions kept compiled, and parameter strings kept parsed. Default 5,000. */
  cacheSize?: number;
  logger: Logger;
}

/** The kernel's evaluator: `ExpressionEvaluator` plus counters for tests and benchmarks. */
export interface SandboxedExpressionEvaluator extends ExpressionEvaluator {
  stats(): ExpressionSandboxStats;
}

const DEFAULTS = { memoryLimitMb: 64, timeoutMs: 100, cacheSize: 5_000 } satisfies Omit<Required<ExpressionEvaluatorOptions>, 'logger'>;

/** Smallest heap isolated-vm 5.0.4 accepts for an isolate, in MiB. */
const MIN_MEMORY_LIMIT_MB = 8;

/**
 * Largest request or response of one sandbox call, in UTF-16 code units. Items beyond it go
 * into further calls, which keeps one call's data well inside the default 64 MiB heap.
 */
const MAX_CALL_CHARS = 4 * 1024 * 1024;

/** Largest number of items in one sandbox call. */
const MAX_ITEMS_PER_CALL = 10_000;

/**
 * Creates the evaluator of parameter expressions. It keeps one isolated-vm isolate, created
 * at the first evaluation that needs it, and evaluates all expressions of one parameters
 * object for one item, or for many items, in one call into it.
 *
 * @example
 * const evaluator = createExpressionEvaluator({ logger });
 * const parameters = await evaluator.resolveParameters({ url: '=https://api.example.com/users/{{ $json.id }}' }, scope, { nodeName: 'Fetch' });
 * await evaluator.dispose();
 */
export function createExpressionEvaluator(options: ExpressionEvaluatorOptions): SandboxedExpressionEvaluator {
  const memoryLimitMb = options.memoryLimitMb ?? DEFAULTS.memoryLimitMb;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const cacheSize = options.cacheSize ?? DEFAULTS.cacheSize;
  requireNumber('memoryLimitMb', memoryLimitMb, MIN_MEMORY_LIMIT_MB);
  requireNumber('timeoutMs', timeoutMs, 1);
  requireNumber('cacheSize', cacheSize, 1);

  return new IsolateExpressionEvaluator({ memoryLimitMb, timeoutMs, cacheSize: Math.floor(cacheSize), logger: options.logger });
}

function requireNumber(name: string, value: number, min: number): void {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return;

  throw new ValidationError(`Invalid expression evaluator option ${name}: expected a number of at least ${min}, got ${String(value)}.`, [
    { path: name, message: `expected a finite number >= ${min}` },
  ]);
}

class IsolateExpressionEvaluator implements SandboxedExpressionEvaluator {
  readonly #sandbox: ExpressionSandbox;
  readonly #parser: TemplateParser;
  readonly #logger: Logger;
  /** Syntax error positions by expression source; only sources that failed to compile get here. */
  readonly #syntaxLocations = new LruMap<string, SyntaxErrorLocation | null>(1_000);
  /** Parsed `$json` paths by expression source, null for a source that is not one (see data-paths.ts). */
  readonly #dataPaths: LruMap<string, DataPath | null>;

  constructor(options: Required<ExpressionEvaluatorOptions>) {
    this.#logger = options.logger;
    this.#parser = new TemplateParser(options.cacheSize);
    this.#dataPaths = new LruMap(options.cacheSize);
    this.#sandbox = new ExpressionSandbox({
      memoryLimitMb: options.memoryLimitMb,
      timeoutMs: options.timeoutMs,
      cacheSize: options.cacheSize,
      maxResponseChars: MAX_CALL_CHARS,
      logger: options.logger,
    });
  }

  hasExpressions(value: unknown): boolean {
    return containsTemplate(value);
  }

  async resolveParameters(parameters: Record<string, unknown>, scope: ExpressionScope, where: { nodeName: string }): Promise<Record<string, unknown>> {
    const [result] = await this.resolveParametersForItems(parameters, [scope], where);
    if (!result!.ok) throw result!.error;
    return result!.parameters;
  }

  async resolveParametersForItems(parameters: Record<string, unknown>, scopes: readonly ExpressionScope[], where: { nodeName: string }): Promise<ItemParameters[]> {
    const plan = planEvaluation(this.#parser.findSites(parameters));

    if (plan.invalidSite !== undefined) {
      const site = plan.invalidSite;
      const message = site.template.kind === 'invalid' ? site.template.message : '';
      const error = new ExpressionError({ nodeName: where.nodeName, parameterPath: site.label, expression: site.text, reason: 'template', detail: message });
      return scopes.map(() => ({ ok: false, error }));
    }
    if (plan.sources.length === 0) {
      return scopes.map(() => ({ ok: true, parameters: replaceAtPaths(parameters, plan.sites, plan.fixedValues) }));
    }

    const results: ItemParameters[] = new Array(scopes.length);
    const groups = new ScopeGroups();
    const itemsJson: string[] = [];
    const pending: number[] = [];
    const paths = this.#pathsOf(plan);
    scopes.forEach((scope, index) => {
      try {
        itemsJson[index] = groups.itemJson(scope);
      } catch (error) {
        const detail = `the item's json cannot be converted to JSON (${error instanceof Error ? error.message : String(error)})`;
        results[index] = { ok: false, error: this.#error(plan, 0, where, 'runtime', detail) };
        return;
      }
      const values = paths === null ? undefined : resolveDataPaths(plan, paths, scope.json);
      if (values === undefined) pending.push(index);
      else results[index] = { ok: true, parameters: replaceAtPaths(parameters, plan.sites, values) };
    });

    if (pending.length > 0) await this.#evaluate(parameters, plan, groups, itemsJson, pending, results, where, scopes.length > 1);
    return results;
  }

  stats(): ExpressionSandboxStats {
    return this.#sandbox.stats();
  }

  dispose(): Promise<void> {
    return this.#sandbox.dispose();
  }

  /**
   * Evaluates the `pending` items in as few sandbox calls as the size limits allow. When the
   * sandbox stops a call (time or memory), only the item it was evaluating fails. The other
   * items of that call go into the next one, in a fresh isolate.
   */
  async #evaluate(
    parameters: Record<string, unknown>,
    plan: EvaluationPlan,
    groups: ScopeGroups,
    itemsJson: string[],
    pending: number[],
    results: ItemParameters[],
    where: { nodeName: string },
    batch: boolean,
  ): Promise<void> {
    const contextsJson = groups.contextsJson();
    const expressionsPerItem = plan.expressions.length;
    let queue = pending;
    let maxItems = MAX_ITEMS_PER_CALL;

    while (queue.length > 0) {
      const chunk = takeChunk(queue, itemsJson, maxItems);
      const rest = queue.slice(chunk.length);
      const outcome = await this.#sandbox.run({
        sources: plan.sources,
        sites: plan.sandboxSites,
        contextsJson,
        itemsJson: chunk.map((index) => itemsJson[index]!),
        batch,
        expressionsPerItem,
        inputGroups: groups.inputGroups,
        nodeGroups: groups.nodeGroups,
      });

      if (outcome.ok) {
        const response = JSON.parse(outcome.responseJson) as { done: number; results: unknown[][] };
        if (response.done < 1) throw new MifyError('expression_sandbox_failed', 500, 'The expression sandbox returned no result for a call; this is a kernel bug.');
        const evaluated = response.results.slice(0, response.done);
        const syntaxDetails = await this.#syntaxDetails(plan, evaluated);
        evaluated.forEach((result, offset) => {
          results[chunk[offset]!] = this.#decode(parameters, plan, result, where, syntaxDetails);
        });
        queue = [...chunk.slice(response.done), ...rest];
        continue;
      }

      const { stop } = outcome;
      if (stop.reason === 'crashed') {
        this.#logger.error({ nodeName: where.nodeName, detail: stop.detail }, 'expression sandbox crashed');
        throw new MifyError('expression_sandbox_failed', 500, `Node ${JSON.stringify(where.nodeName)}: ${stop.detail}.`);
      }

      if (stop.reason === 'rejected' || stop.phase === 'settling') {
        if (chunk.length > 1) {
          // The failure came after every item had returned, and nothing shows which item left
          // the Promise behind, so evaluate these items one per call to find it.
          maxItems = 1;
          queue = [...chunk, ...rest];
          continue;
        }
        // The last expression evaluated is named, though an earlier one of the item may have left the Promise.
        const expressionNumber = stop.phase === 'setup' ? 0 : stop.position % expressionsPerItem;
        const reason = stop.reason === 'rejected' ? 'runtime' : stop.reason;
        const error = this.#error(plan, expressionNumber, where, reason, afterReturnDetail(stop));
        if (stop.reason !== 'rejected') this.#logger.warn({ nodeName: where.nodeName, parameterPath: error.parameterPath, reason }, 'expression stopped; the sandbox isolate was replaced');
        results[chunk[0]!] = { ok: false, error };
        queue = rest;
        continue;
      }

      if (stop.phase === 'setup' && chunk.length > 1) {
        // Loading the data of the whole chunk failed; retry with fewer items per call.
        maxItems = Math.ceil(chunk.length / 2);
        queue = [...chunk, ...rest];
        continue;
      }

      const offset = stop.phase === 'setup' ? 0 : Math.floor(stop.position / expressionsPerItem);
      const expressionNumber = stop.phase === 'setup' ? 0 : stop.position % expressionsPerItem;
      const detail = stopDetail(stop);
      const error = this.#error(plan, expressionNumber, where, stop.reason, detail);
      this.#logger.warn({ nodeName: where.nodeName, parameterPath: error.parameterPath, reason: stop.reason }, 'expression stopped; the sandbox isolate was replaced');
      results[chunk[offset]!] = { ok: false, error };
      queue = [...chunk.filter((_, index) => index !== offset), ...rest];
    }
  }

  /** Returns the `$json` path of every expression of the plan, or null when one of them is not a plain path. */
  #pathsOf(plan: EvaluationPlan): DataPath[] | null {
    const paths: DataPath[] = [];
    for (const source of plan.sources) {
      let path = this.#dataPaths.get(source);
      if (path === undefined) {
        path = parseDataPath(source);
        this.#dataPaths.set(source, path);
      }
      if (path === null) return null;
      paths.push(path);
    }
    return paths;
  }

  /** Decodes one item's result from the sandbox response. `syntaxDetails` maps expression numbers to syntax error messages. */
  #decode(parameters: Record<string, unknown>, plan: EvaluationPlan, result: unknown[], where: { nodeName: string }, syntaxDetails: ReadonlyMap<number, string>): ItemParameters {
    if (result[0] === 0) {
      const values = [...plan.fixedValues];
      const sandboxValues = result[1] as unknown[];
      plan.sandboxSiteIndices.forEach((siteIndex, index) => {
        values[siteIndex] = sandboxValues[index];
      });
      for (const index of result[2] as number[]) values[plan.sandboxSiteIndices[index]!] = undefined;
      return { ok: true, parameters: replaceAtPaths(parameters, plan.sites, values) };
    }

    const [, , expressionNumber, reason, errorName, message] = result as FailedItem;
    const detail = (reason === 'syntax' ? syntaxDetails.get(expressionNumber) : undefined) ?? message;
    return { ok: false, error: this.#error(plan, expressionNumber, where, reason, detail, errorName) };
  }

  /** Formats the syntax errors among `results`, which needs a compile in the sandbox for each new one. */
  async #syntaxDetails(plan: EvaluationPlan, results: unknown[][]): Promise<Map<number, string>> {
    const details = new Map<number, string>();
    for (const result of results) {
      if (result[0] !== 1 || result[3] !== 'syntax') continue;
      const [, , expressionNumber, , errorName, message] = result as FailedItem;
      if (details.has(expressionNumber)) continue;
      details.set(expressionNumber, await this.#syntaxDetail(plan.expressions[expressionNumber]!, errorName, message));
    }
    return details;
  }

  #error(plan: EvaluationPlan, expressionNumber: number, where: { nodeName: string }, reason: ExpressionFailureReason, detail: string, errorName = ''): ExpressionError {
    const planned = plan.expressions[expressionNumber] ?? plan.expressions[0]!;
    return new ExpressionError({
      nodeName: where.nodeName,
      parameterPath: plan.sites[planned.siteIndex]!.label,
      expression: displayExpression(planned.expression),
      reason,
      detail,
      errorName: errorName === '' ? undefined : errorName,
    });
  }

  /** Formats a syntax error with its position in the parameter string, counting from 0 as template errors do. */
  async #syntaxDetail(planned: PlannedExpression, errorName: string, message: string): Promise<string> {
    const { source, offset } = planned.expression;
    let location = this.#syntaxLocations.get(source);
    if (location === undefined) {
      location = (await this.#sandbox.locateSyntaxError(source).catch(() => undefined)) ?? null;
      this.#syntaxLocations.set(source, location);
    }

    const name = errorName === '' ? 'SyntaxError' : errorName;
    if (location === null) return `${name}: ${message}`;

    const lines = source.split('\n');
    let position = offset + 2 + location.column - 1;
    for (let line = 0; line < location.line - 1; line++) position += lines[line]!.length + 1;
    if (location.atEnd) return `${name}: the expression ends too early, at position ${position}; complete it before }}`;
    return `${name}: ${message} at position ${position}`;
  }
}

/** A failed item in the sandbox response: `[1, siteIndex, expressionNumber, reason, errorName, message]`. */
type FailedItem = [1, number, number, ExpressionFailureReason, string, string];

/** Explains a failure that happened after the expressions of an item had returned. */
function afterReturnDetail(stop: SandboxStop): string {
  const cause = stop.reason === 'rejected' ? 'a Promise that this or an earlier expression of the item rejected and left unhandled' : 'a Promise callback that this or an earlier expression of the item scheduled';
  return `${stop.detail} (after the expressions returned, in ${cause}); expressions run synchronously, so do not use Promises or import()`;
}

function stopDetail(stop: SandboxStop): string {
  if (stop.reason === 'timeout') return `${stop.detail}; check it for an endless loop, or make it do less work`;
  if (stop.phase === 'setup') return `${stop.detail} while loading the data of this item; pass less data to the node`;
  return `${stop.detail}; the expression may build a very large value or load large node outputs`;
}

/** Result of a `$json` path site that the sandbox must evaluate instead. */
const NEEDS_SANDBOX = Symbol('needs the sandbox');

/**
 * Resolves the sandbox sites of a plan whose expressions are all `$json` paths, the way the
 * sandbox would: a single expression keeps the value's type, and a template joins strings,
 * numbers and booleans as text and objects as JSON. Returns every site's value, or undefined
 * when one path needs the sandbox. `toJson` and `toText` in sandbox-source.ts do the same
 * inside the isolate, so a change to one needs the same change to the other.
 */
function resolveDataPaths(plan: EvaluationPlan, paths: readonly DataPath[], json: unknown): unknown[] | undefined {
  const values = [...plan.fixedValues];
  for (let index = 0; index < plan.sandboxSites.length; index++) {
    const site = plan.sandboxSites[index]!;
    const value = typeof site === 'number' ? singleValue(json, paths[site]!) : templateValue(json, paths, site);
    if (value === NEEDS_SANDBOX) return undefined;
    values[plan.sandboxSiteIndices[index]!] = value;
  }
  return values;
}

/** Returns the value of a site that is one `$json` path, with its type. */
function singleValue(json: unknown, path: DataPath): unknown {
  const found = lookUpDataPath(json, path);
  if (found === undefined) return NEEDS_SANDBOX;

  const { value } = found;
  if (typeof value === 'object' && value !== null) {
    // A copy through JSON, as the value would come out of the sandbox.
    const text = JSON.stringify(value);
    return text.length > MAX_CALL_CHARS ? NEEDS_SANDBOX : JSON.parse(text);
  }
  if (typeof value === 'string') return fitsResponse(value) ? value : NEEDS_SANDBOX;
  // JSON has no negative zero.
  return value === 0 ? 0 : value;
}

/** Returns the text of a template whose expressions are `$json` paths. */
function templateValue(json: unknown, paths: readonly DataPath[], parts: readonly (string | number)[]): unknown {
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const found = lookUpDataPath(json, paths[part]!);
    if (found === undefined) return NEEDS_SANDBOX;
    text += typeof found.value === 'object' && found.value !== null ? JSON.stringify(found.value) : String(found.value);
  }
  return fitsResponse(text) ? text : NEEDS_SANDBOX;
}

/**
 * Checks that a string's JSON fits the sandbox's limit for one value. JSON takes at most six
 * characters per UTF-16 code unit plus the quotes, so only long strings are encoded to check.
 */
function fitsResponse(text: string): boolean {
  return text.length * 6 + 2 <= MAX_CALL_CHARS || JSON.stringify(text).length <= MAX_CALL_CHARS;
}

/** Takes items from the front of `queue` while the call stays within MAX_CALL_CHARS and `maxItems`; always at least one. */
function takeChunk(queue: readonly number[], itemsJson: readonly string[], maxItems: number): number[] {
  const chunk: number[] = [];
  let chars = 0;
  for (const index of queue) {
    const length = itemsJson[index]!.length;
    if (chunk.length > 0 && (chunk.length >= maxItems || chars + length > MAX_CALL_CHARS)) break;
    chunk.push(index);
    chars += length;
  }
  return chunk;
}
