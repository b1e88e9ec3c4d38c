/**
 * The knowledge-base tool: searches a knowledge base of the workspace through the
 * `knowledge.search` host method and returns the best chunks, numbered, as the observation.
 */
import type { JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import type { AgentTool } from './types.js';

const MODES = ['similarity', 'mmr', 'hybrid'];

export function knowledgeTool(ctx: NodeContext, declaration: JsonObject, base: { name: string; description: string; path: string }): AgentTool {
  const knowledgeBaseId = declaration.knowledgeBaseId;
  if (typeof knowledgeBaseId !== 'string' || knowledgeBaseId === '') throw invalidParameter(`${base.path}.knowledgeBaseId must be the id of a knowledge base of the workspace (see GET /api/knowledge-bases).`);
  const topK = declaration.topK ?? 4;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 20) throw invalidParameter(`${base.path}.topK must be an integer from 1 to 20, got ${JSON.stringify(declaration.topK)}.`);
  const mode = declaration.mode ?? 'similarity';
  if (typeof mode !== 'string' || !MODES.includes(mode)) throw invalidParameter(`${base.path}.mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(declaration.mode)}.`);

  return {
    kind: 'knowledge',
    name: base.name,
    description: base.description || 'Searches the knowledge base and returns the passages that best match the query.',
    parameters: { type: 'object', properties: { query: { type: 'string', description: 'What to look for, in words' } }, required: ['query'] },
    async invoke(args) {
      if (typeof args.query !== 'string' || args.query.trim() === '') throw new Error('the argument query must be a non-empty string');
      const found = await ctx.host.knowledge.search(knowledgeBaseId, { query: args.query, topK, mode: mode as 'similarity' | 'mmr' | 'hybrid' });
      if (found.results.length === 0) return 'No passage matches the query.';
      return found.results.map((result, index) => `[${index + 1}] (chunk ${result.chunkId}, score ${result.score.toFixed(3)})\n${result.text}`).join('\n\n');
    },
  };
}
