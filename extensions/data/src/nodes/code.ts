import type { CodeApi, CodeRunResult } from '@mify/sdk';
import { describeValue, ItemError, Parameters, type ExecuteContext, type ExecuteInput, type Item } from '../shared.js';

/** Bounds of the host's `code.run`, repeated here so a bad parameter fails before the host call. */
export const CODE_LIMITS = { maxTimeoutMs: 30_000, minMemoryLimitMb: 8, maxMemoryLimitMb: 128, maxSourceChars: 100_000 } as const;

interface CodeContext extends ExecuteContext {
  host: { code: CodeApi };
  log: ExecuteContext['log'] & { info(message: string, fields?: Record<string, unknown>): void };
}

/** Turns one returned value into items: an array gives several, null gives none, `{ json }` keeps binary. */
function toItems(value: unknown, where: string, nodeName: string): Item[] {
  if (value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ItemError(`Node '${nodeName}': ${where} returned ${describeValue(entry)}${Array.isArray(value) ? ` at index ${index}` : ''}, but items are objects. Return objects such as { total: 3 }, or { json: { ... } }.`);
    }
    const record = entry as Record<string, unknown>;
    const keys = Object.keys(record);
    const isItem = typeof record.json === 'object' && record.json !== null && !Array.isArray(record.json) && keys.every((key) => key === 'json' || key === 'binary');
    return isItem ? (record as unknown as Item) : { json: record };
  });
}

/**
 * `mify.data.code`: runs the user's JavaScript through the host's `code.run`, in a fresh
 * isolate with its own memory and time limits. Mode `allItems` calls the code once with
 * `items`; mode `eachItem` calls it once per item with `$json`, `item` and `index`.
 */
export const code = {
  async execute(ctx: CodeContext, input: ExecuteInput) {
    const params: Parameters = new Parameters(input.parameters ?? {}, ctx.node.name);
    const source = params.string('code');
    if (source.length > CODE_LIMITS.maxSourceChars) params.fail('code', `is ${source.length} characters long, more than the maximum of ${CODE_LIMITS.maxSourceChars}`, 'Shorten the code.');
    const mode = params.string<'allItems' | 'eachItem'>('mode', { default: 'allItems', enum: ['allItems', 'eachItem'] });
    const timeoutMs = params.number('timeoutMs', { default: 1_000, min: 1, max: CODE_LIMITS.maxTimeoutMs, integer: true });
    const memoryLimitMb = params.number('memoryLimitMb', { default: 32, min: CODE_LIMITS.minMemoryLimitMb, max: CODE_LIMITS.maxMemoryLimitMb, integer: true });

    const request =
      mode === 'allItems'
        ? { source, parameterNames: ['items'], calls: [[input.items]], timeoutMs, memoryLimitMb }
        : { source, parameterNames: ['$json', 'item', 'index'], calls: input.items.map((item, index) => [item.json, item, index]), timeoutMs, memoryLimitMb };
    if (request.calls.length === 0) return { items: [] };

    let result: CodeRunResult;
    try {
      result = await ctx.host.code.run(request);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const failure = new Error(`Node '${ctx.node.name}': parameter "code" failed: ${message}`);
      (failure as Error & { code?: string }).code = (error as { code?: string }).code ?? 'code_failed';
      throw failure;
    }

    if (result.logs.length > 0) ctx.log.info('code console output', { lines: result.logs, droppedLines: result.droppedLogLines });
    if (mode === 'allItems') return { items: toItems(result.results[0], 'the code', ctx.node.name) };

    const items: Item[] = [];
    result.results.forEach((value, index) => {
      for (const item of toItems(value, `the code for item ${index}`, ctx.node.name)) {
        const source = input.items[index]!;
        items.push(item.binary === undefined && source.binary !== undefined && !Array.isArray(value) ? { json: item.json, binary: source.binary } : item);
      }
    });
    return { items };
  },
};
