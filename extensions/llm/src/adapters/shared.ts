/** Input and result types of the wire-format adapters, and helpers they share. */
import type { ProviderDefinition } from '../catalog.js';
import { LlmError, subject } from '../errors.js';
import { postEventStream, type VendorCall } from '../http.js';
import type { ServerSentEvent } from '../sse.js';
import type { ChatMessage, ChatRequest, ChatResponse, CallOptions, Connection, EmbedRequest, ExtensionContext, JsonObject } from '../types.js';

export interface AdapterCall<R> {
  ctx: ExtensionContext;
  provider: ProviderDefinition;
  connection: Connection;
  credential: string | null;
  request: R;
  options: CallOptions;
}

/** A chat result before cost is added. */
export interface ChatResult extends Omit<ChatResponse, 'usage'> {
  usage: { inputTokens: number; outputTokens: number };
  /** True when the vendor reported no usage and the counts are estimates. */
  usageEstimated?: boolean;
  streamEvents?: number;
}

export interface EmbedResult {
  model: string;
  vectors: number[][];
  usage: { inputTokens: number };
  usageEstimated?: boolean;
}

export interface Adapter {
  chat(call: AdapterCall<ChatRequest>): Promise<ChatResult>;
  embed(call: AdapterCall<EmbedRequest>): Promise<EmbedResult>;
}

/** Builds the instruction that requests JSON, for vendors without a native JSON mode for this request. */
export function jsonInstruction(schema: JsonObject | undefined): string {
  if (schema === undefined) return 'Reply with a single JSON object and nothing else.';
  return `Reply with a single JSON object that is valid against this JSON Schema, and nothing else:\n${JSON.stringify(schema)}`;
}

/** Parses tool-call arguments sent as a JSON string, or throws naming the provider, model and tool. */
export function parseToolArguments(provider: string, model: string, tool: string, text: string): JsonObject {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // Reported below.
  }
  throw new LlmError('invalid_provider_response', `${subject(provider, model)} called tool '${tool}' with arguments that are not a JSON object: ${JSON.stringify(text.slice(0, 200))}. Retry, or describe the tool's parameters more plainly.`);
}

/** Throws when a stream ended without its final event, so a truncated reply is never returned as complete. */
export function streamCutOff(provider: string, model: string, events: number, expected: string): LlmError {
  return new LlmError('unavailable', `${subject(provider, model)} cut off its stream after ${events} events, before ${expected}, so the reply is incomplete. Try again, or set stream to false.`);
}

/** Parses one streamed JSON chunk, or throws naming the provider and model. */
export function parseChunk(provider: string, model: string, data: string, index: number): Record<string, unknown> {
  try {
    const value = JSON.parse(data) as unknown;
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new LlmError('invalid_provider_response', `${subject(provider, model)} sent stream event ${index + 1} that is not JSON: ${JSON.stringify(data.slice(0, 200))}. Check that the base URL points at the vendor's API, or set stream to false.`);
}

/** Returns the id a tool call is known by; the Gemini API sends calls without ids, so one is made from the index and name. */
export function toolCallId(index: number, name: string): string {
  return `call_${index}_${name}`;
}

/** Finds the name of the tool that a tool message replies to, from the assistant message that called it. */
export function toolNameFor(messages: ChatMessage[], id: string | undefined): string | undefined {
  for (const message of messages) {
    const call = message.toolCalls?.find((candidate) => candidate.id === id);
    if (call) return call.name;
  }
  return undefined;
}


/** Builds a chat reply from a vendor's stream, one server-sent event at a time. */
export interface StreamAssembler {
  /** Adds the event with this 0-based index and returns the reply text it added ('' for none). */
  add(event: ServerSentEvent, index: number): string;
  /** Returns the reply after `events` events; throws when the stream ended before its final event. */
  finish(events: number): ChatResult;
}

/**
 * Sends a streaming chat request and assembles the reply as the events arrive. The text of
 * each piece of the body is reported with `runs.progress`, which the kernel records as a
 * `step.progress` event of the step the call works for (or ignores outside a step).
 */
export async function streamChat(call: AdapterCall<ChatRequest>, vendorCall: VendorCall, assembler: StreamAssembler): Promise<ChatResult> {
  let count = 0;
  await postEventStream(call.ctx, vendorCall, async (events) => {
    let delta = '';
    for (const event of events) delta += assembler.add(event, count++);
    if (delta !== '') await reportProgress(call, delta);
  });
  return { ...assembler.finish(count), streamEvents: count };
}

/** Largest delta one `runs.progress` call takes, in characters, as the kernel enforces it. */
const MAX_PROGRESS_DELTA_CHARS = 64 * 1024;

async function reportProgress(call: AdapterCall<ChatRequest>, delta: string): Promise<void> {
  for (let start = 0; start < delta.length; start += MAX_PROGRESS_DELTA_CHARS) {
    await call.ctx.host.runs.progress(delta.slice(start, start + MAX_PROGRESS_DELTA_CHARS));
  }
}
