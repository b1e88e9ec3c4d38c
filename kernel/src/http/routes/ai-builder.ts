import { z } from 'zod';
import type { Principal } from '../../auth/identity.js';
import type { KernelServices } from '../../container.js';
import { AiBuilderService, DEFAULT_AI_BUILDER_ATTEMPTS, MAX_AI_BUILDER_ATTEMPTS } from '../../graphs/ai-builder.js';
import { mifyGraphSchema } from '../../graphs/model.js';
import type { GraphActor } from '../../graphs/records.js';
import { defineRoute, type RouteSpec } from '../route.js';

/** Maximum length of a request to the builder, in characters. */
export const MAX_AI_BUILDER_PROMPT_CHARS = 20_000;

const generateBodySchema = z.strictObject({
  prompt: z.string().trim().min(1).max(MAX_AI_BUILDER_PROMPT_CHARS).describe(`What the graph should do, in natural language (1-${MAX_AI_BUILDER_PROMPT_CHARS} characters)`),
  provider: z.string().min(1).max(200).optional().describe('Provider id of the LLM gateway, such as openai; required when several providers are active'),
  model: z.string().min(1).max(200).optional().describe('Model id as the provider names it; required'),
  credential: z.string().min(1).max(200).optional().describe('Credential id or name the provider reads its API key from'),
  save: z.boolean().default(false).describe('Save the generated graph as a new graph of the workspace'),
  name: z.string().trim().min(1).max(200).optional().describe('Name of the saved graph; default: the first line of the prompt'),
  maxAttempts: z.number().int().min(1).max(MAX_AI_BUILDER_ATTEMPTS).default(DEFAULT_AI_BUILDER_ATTEMPTS).describe(`Model calls including repairs, 1-${MAX_AI_BUILDER_ATTEMPTS}`),
});

const generateResultSchema = z.object({
  graph: mifyGraphSchema.describe('The generated graph, valid against the installed node types'),
  attempts: z.number().int().describe('Model calls made, the first reply included'),
  graphId: z.string().nullable().describe('Id of the saved graph when save was set, otherwise null'),
});

function actorOf(principal: Principal): GraphActor {
  if (principal.type === 'api_key' && principal.apiKeyId) return { type: 'api_key', id: principal.apiKeyId };
  return { type: 'user', id: principal.userId ?? 'unknown' };
}

/** Defines the AI builder route, which generates a graph from a request in natural language. */
export function aiBuilderRoutes(services: () => KernelServices): RouteSpec[] {
  const builder = () => {
    const { llmGateway, contributions, nodeTypes, graphService, logger } = services();
    return new AiBuilderService({ gateway: llmGateway, contributions, nodeTypes: () => nodeTypes.snapshot(), graphService, logger });
  };

  return [
    defineRoute({
      method: 'post',
      path: '/api/ai-builder/generate',
      operationId: 'generateGraph',
      summary: 'Generate a valid graph from a request in natural language with a model of the LLM gateway; invalid answers are sent back with the validation problems for repair, and a 422 lists the last problems',
      tags: ['graphs'],
      auth: 'workspace',
      access: 'write',
      idempotent: true,
      body: generateBodySchema,
      responses: { 201: { description: 'The generated graph, the attempts it took, and the saved graph id', schema: generateResultSchema } },
      handler: async ({ principal, body }) => {
        const result = await builder().generate(principal!.workspaceId, actorOf(principal!), body);
        const headers: Record<string, string> = result.saved ? { location: `/api/graphs/${result.saved.id}` } : {};
        return { status: 201, body: { graph: result.graph, attempts: result.attempts, graphId: result.saved?.id ?? null }, headers };
      },
    }),
  ];
}
