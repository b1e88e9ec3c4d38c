/**
 * The OpenAI agent node: one POST /responses request of the OpenAI Responses API (the API
 * OpenAI's Agents SDK calls), with the reply text in `text`.
 */
import { ExtensionError, type JsonObject, type NodeContext } from '@mify/sdk';
import { authHeaders, requiredString, timeoutOf, type NodeParameters } from './http.js';

export async function callOpenAiResponses(ctx: NodeContext, parameters: NodeParameters): Promise<JsonObject> {
  const model = requiredString(parameters, 'model', 'a model id such as gpt-4.1-mini');
  const input = requiredString(parameters, 'input', 'the user input, such as {{ $json.question }}');
  requiredString(parameters, 'credential', 'the name of a mify.remote-agents.bearer credential with the API key');
  const baseUrl = typeof parameters.baseUrl === 'string' && parameters.baseUrl !== '' ? parameters.baseUrl.replace(/\/+$/, '') : 'https://api.openai.com/v1';

  const body: JsonObject = { model, input };
  if (typeof parameters.instructions === 'string' && parameters.instructions !== '') body.instructions = parameters.instructions;
  const response = await ctx.host.http.fetch(`${baseUrl}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await authHeaders(ctx, parameters)) },
    body: JSON.stringify(body),
    timeoutMs: timeoutOf(parameters, 30_000),
  });
  const parsed = JSON.parse(response.body || '{}') as { id?: string; status?: string; output?: Array<{ type?: string; content?: Array<{ type?: string; text?: string }> }>; usage?: JsonObject; error?: { message?: string; type?: string } };
  if (response.status !== 200) {
    throw new ExtensionError(response.status === 429 ? 'rate_limited' : 'remote_error', `OpenAI Responses at ${baseUrl} returned HTTP ${response.status}: ${parsed.error?.message ?? 'no error message'}.`);
  }

  const text = (parsed.output ?? [])
    .filter((entry) => entry.type === 'message')
    .flatMap((entry) => entry.content ?? [])
    .filter((part) => part.type === 'output_text')
    .map((part) => part.text ?? '')
    .join('');
  return { responseId: parsed.id ?? null, status: parsed.status ?? null, text, usage: parsed.usage ?? null };
}
