/**
 * The code tool: a JavaScript function body run by the `code.run` host API in an isolate of
 * its own, with the model's arguments as `args`. Its return value is the observation.
 */
import type { JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import { ANY_OBJECT_SCHEMA, observationText, type AgentTool } from './types.js';

export function codeTool(ctx: NodeContext, declaration: JsonObject, base: { name: string; description: string; path: string }): AgentTool {
  const source = declaration.source;
  if (typeof source !== 'string' || source.trim() === '') {
    throw invalidParameter(`${base.path}.source must be the body of a JavaScript function that reads args, such as "return args.a + args.b;".`);
  }
  const timeoutMs = declaration.timeoutMs;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 30_000)) {
    throw invalidParameter(`${base.path}.timeoutMs must be an integer from 1 to 30000, got ${JSON.stringify(timeoutMs)}.`);
  }

  return {
    kind: 'code',
    name: base.name,
    description: base.description || 'Runs a JavaScript function with the arguments as args.',
    parameters: (declaration.parameters as JsonObject | undefined) ?? ANY_OBJECT_SCHEMA,
    async invoke(args) {
      const result = await ctx.host.code.run({ source, parameterNames: ['args'], calls: [[args]], ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}) });
      const logs = result.logs.length > 0 ? `\nconsole:\n${result.logs.join('\n')}` : '';
      return `${observationText(result.results[0] ?? null)}${logs}`;
    },
  };
}
