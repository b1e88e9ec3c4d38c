import { z } from 'zod';
import { MifyError } from '../../errors.js';
import { defineHostMethod, type HostCallScope, type HostMethod, type StepProgressSink } from './types.js';

/** The LLM gateway behind `llm.*`; the kernel's LlmGateway implements it. */
export interface HostLlmGateway {
  call(
    operation: 'chat' | 'embed',
    request: { provider?: string; model: string } & Record<string, unknown>,
    context: { workspaceId: string | null; runId?: string; nodeId?: string; stepId?: string; progress?: StepProgressSink; callerExtensionId: string },
  ): Promise<unknown>;
}

const message = z.object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string().max(1_000_000) }).passthrough();

const chatRequest = z
  .object({
    provider: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(200),
    messages: z.array(message).min(1).max(1_000),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    tools: z.array(z.record(z.string(), z.unknown())).max(128).optional(),
    responseFormat: z.enum(['text', 'json']).optional(),
    /** JSON Schema the reply must follow; implies a JSON reply. */
    responseSchema: z.record(z.string(), z.unknown()).optional(),
    toolChoice: z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string().min(1).max(200) }).strict()]).optional(),
    /** Asks the provider to use the vendor's streaming API; its text deltas become `step.progress` events of the caller's step. */
    stream: z.boolean().optional(),
    /** Credential reference (id or name) the provider reads its API key from. */
    credential: z.string().min(1).max(200).optional(),
  })
  .strict();

const embedRequest = z
  .object({
    provider: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(200),
    input: z.array(z.string().max(1_000_000)).min(1).max(2_048),
    credential: z.string().min(1).max(200).optional(),
  })
  .strict();

function gatewayOrFail(gateway: HostLlmGateway | undefined, method: string): HostLlmGateway {
  if (!gateway) throw new MifyError('not_available', 501, `${method} is not available in this kernel: no LLM gateway is configured.`, { method });
  return gateway;
}

/** Context the gateway passes to the provider: the caller's run and step, and its progress sink for streamed chats. */
function gatewayContext(scope: HostCallScope) {
  const { workspaceId, runId, nodeId, stepId, progress, extensionId } = scope.context;
  return { workspaceId, runId, nodeId, stepId, progress, callerExtensionId: extensionId };
}

/** `llm.chat` and `llm.embed`, routed by the gateway to a provider extension. */
export const llmMethods: HostMethod[] = [
  defineHostMethod({
    name: 'llm.chat',
    permission: 'llm:invoke',
    parameters: { request: chatRequest },
    target: ({ request }) => `${request.provider ?? 'default'}/${request.model}`,
    run: ({ request }, scope) =>
      gatewayOrFail(scope.services.llm, 'llm.chat').call('chat', request, gatewayContext(scope)),
  }),
  defineHostMethod({
    name: 'llm.embed',
    permission: 'llm:invoke',
    parameters: { request: embedRequest },
    target: ({ request }) => `${request.provider ?? 'default'}/${request.model}`,
    run: ({ request }, scope) =>
      gatewayOrFail(scope.services.llm, 'llm.embed').call('embed', request, gatewayContext(scope)),
  }),
];
