/**
 * A model server stand-in on 127.0.0.1 that speaks the OpenAI Chat Completions wire
 * protocol (`POST /v1/chat/completions`). Each test queues the replies the "model" gives, in
 * order, and reads `requests` to check what the agent sent, including tool results.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** Tool call id; default `call_<n>`. */
  id?: string;
}

/** One scripted model reply: text, tool calls, or both, with the token counts to report. */
export interface ScriptedReply {
  content?: string;
  toolCalls?: ScriptedToolCall[];
  /** Default 10 prompt and 5 completion tokens. */
  usage?: { promptTokens: number; completionTokens: number };
}

/** A recorded chat request: the parsed JSON body the provider adapter sent. */
export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; description: string; parameters: Record<string, unknown> } }>;
  response_format?: { type: string; json_schema?: { name: string; schema: Record<string, unknown> } };
}

export interface ChatStub {
  /** Base URL with `/v1`, as the openai-compatible credential's baseUrl. */
  baseUrl: string;
  requests: ChatRequestBody[];
  /** Queues replies; each request takes the next one. */
  script(...replies: ScriptedReply[]): void;
  /** Replies not yet taken. */
  pending(): number;
  reset(): void;
  close(): Promise<void>;
}

export const text = (content: string, usage?: ScriptedReply['usage']): ScriptedReply => ({ content, ...(usage ? { usage } : {}) });
export const json = (value: unknown, usage?: ScriptedReply['usage']): ScriptedReply => ({ content: JSON.stringify(value), ...(usage ? { usage } : {}) });
export const calls = (...toolCalls: ScriptedToolCall[]): ScriptedReply => ({ content: '', toolCalls });

export async function startChatStub(): Promise<ChatStub> {
  let queue: ScriptedReply[] = [];
  let callCounter = 0;
  const requests: ChatRequestBody[] = [];

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        send(404, { error: { message: `no route ${request.method} ${request.url}`, type: 'invalid_request_error' } });
        return;
      }
      if (request.headers.authorization !== 'Bearer stub-key') {
        send(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequestBody;
      requests.push(body);
      const reply = queue.shift();
      if (!reply) {
        send(500, { error: { message: `the test scripted no reply for request ${requests.length}`, type: 'server_error' } });
        return;
      }

      const toolCalls = (reply.toolCalls ?? []).map((call) => ({ id: call.id ?? `call_${++callCounter}`, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } }));
      const usage = reply.usage ?? { promptTokens: 10, completionTokens: 5 };
      send(200, {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: 1_750_000_000,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content ?? null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
            finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
          },
        ],
        usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens },
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    script: (...replies) => queue.push(...replies),
    pending: () => queue.length,
    reset() {
      queue = [];
      requests.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
