/**
 * Conversation memory: the last messages of a session, stored in the extension's key-value
 * store of the workspace under `memory:<sessionId>`, so two runs with the same session id
 * continue one conversation. Only the user requests and the final answers are kept, because
 * tool calls and their results must stay in pairs that a cut could split.
 */
import type { ChatMessage, NodeContext } from '@mify/sdk';
import { invalidParameter } from './errors.js';
import { integerParameter, stringParameter, type Parameters } from './parameters.js';

/** Maximum length of a session id, in characters; the key-value store takes keys up to 512. */
const MAX_SESSION_ID_CHARS = 400;

export interface MemorySettings {
  sessionId: string;
  /** Messages kept, counting requests and answers separately. */
  maxMessages: number;
  /** Time after the last write at which the session is forgotten, in milliseconds; null to keep it. */
  ttlMs: number | null;
}

/** Reads sessionId, memoryMessages and memoryTtlHours; null when the node keeps no memory. */
export function memorySettings(parameters: Parameters): MemorySettings | null {
  const sessionId = stringParameter(parameters, 'sessionId');
  if (sessionId === undefined) return null;
  if (sessionId.length > MAX_SESSION_ID_CHARS) {
    throw invalidParameter(`Parameter 'sessionId' is ${sessionId.length} characters long; the maximum is ${MAX_SESSION_ID_CHARS}. Use a shorter id, such as a hash of the conversation key.`);
  }
  const maxMessages = integerParameter(parameters, 'memoryMessages', 20, { min: 2, max: 200 });
  const ttlHours = integerParameter(parameters, 'memoryTtlHours', 0, { min: 0, max: 87_600 });
  return { sessionId, maxMessages, ttlMs: ttlHours === 0 ? null : ttlHours * 3_600_000 };
}

function memoryKey(sessionId: string): string {
  return `memory:${sessionId}`;
}

/** Returns the stored messages of a session, oldest first; empty for a new session. */
export async function loadMemory(ctx: NodeContext, settings: MemorySettings): Promise<ChatMessage[]> {
  const stored = (await ctx.host.kv.get(memoryKey(settings.sessionId))) as { messages?: unknown } | null;
  if (!stored || !Array.isArray(stored.messages)) return [];
  return stored.messages
    .filter((message): message is { role: 'user' | 'assistant'; content: string } => {
      const candidate = message as { role?: unknown; content?: unknown };
      return (candidate.role === 'user' || candidate.role === 'assistant') && typeof candidate.content === 'string';
    })
    .map((message) => ({ role: message.role, content: message.content }));
}

/** Appends a request and its answer to the session and keeps the last `maxMessages`. */
export async function saveMemory(ctx: NodeContext, settings: MemorySettings, history: ChatMessage[], request: string, answer: string): Promise<void> {
  const messages = [...history, { role: 'user', content: request }, { role: 'assistant', content: answer }]
    .slice(-settings.maxMessages)
    .map((message) => ({ role: message.role, content: message.content }));
  if (settings.ttlMs === null) await ctx.host.kv.set(memoryKey(settings.sessionId), { messages });
  else await ctx.host.kv.set(memoryKey(settings.sessionId), { messages }, { ttlMs: settings.ttlMs });
}
