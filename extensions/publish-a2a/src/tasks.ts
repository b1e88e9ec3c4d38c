/**
 * A2A v1.0 objects built from endpoint runs: a task is one run, its artifact is the graph's
 * response. Field names and enum values follow the protocol's JSON form (TASK_STATE_*, ROLE_*).
 */
import type { EndpointProblem, EndpointRunResult, JsonObject, JsonValue } from '@mify/sdk';

export type TaskState = 'TASK_STATE_SUBMITTED' | 'TASK_STATE_WORKING' | 'TASK_STATE_COMPLETED' | 'TASK_STATE_FAILED' | 'TASK_STATE_CANCELED';

/** The message that started a task, and its context, as stored for GetTask. */
export interface TaskRecord {
  contextId: string;
  message: JsonObject;
  /**
   * The outcome of a task whose run is not saved (the graph's `settings.endpoint.runSaving`),
   * or that failed before it ran, so GetTask cannot read it from the run.
   */
  outcome?: TaskOutcome;
  /** True when the run goes on without saved records, so its state cannot be read back. */
  unsaved?: boolean;
}

/** The state of a task's run, from which `taskOf` builds the task's status and artifacts. */
export interface TaskOutcome {
  finished: boolean;
  response?: EndpointRunResult['response'];
  problem?: EndpointProblem;
}

export function randomId(): string {
  let id = '';
  for (let index = 0; index < 32; index += 1) id += Math.floor(Math.random() * 16).toString(16);
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-a${id.slice(17, 20)}-${id.slice(20)}`;
}

/** Reads the input object of a message: its first data part, else its text parts as `{ text }`. */
export function messageInput(message: JsonObject): { ok: true; input: JsonObject } | { ok: false; detail: string } {
  const parts = Array.isArray(message.parts) ? (message.parts as JsonObject[]) : [];
  const data = parts.find((part) => typeof part.data === 'object' && part.data !== null && !Array.isArray(part.data));
  if (data) return { ok: true, input: data.data as JsonObject };
  const texts = parts.filter((part) => typeof part.text === 'string').map((part) => part.text as string);
  if (texts.length > 0) return { ok: true, input: { text: texts.join('\n') } };
  return { ok: false, detail: 'The message has no data part with a JSON object and no text part; send the input as { "data": { … } } or { "text": "…" }.' };
}

/** Returns the skill a message targets: `metadata.skillId` of the message or the request. */
export function skillOf(message: JsonObject, params: JsonObject): string | null {
  for (const metadata of [message.metadata, params.metadata]) {
    if (typeof metadata === 'object' && metadata !== null && typeof (metadata as JsonObject).skillId === 'string') return (metadata as JsonObject).skillId as string;
  }
  return null;
}

function agentMessage(taskId: string, contextId: string, text: string): JsonObject {
  return { messageId: randomId(), role: 'ROLE_AGENT', taskId, contextId, parts: [{ text }] };
}

export function status(state: TaskState, taskId: string, contextId: string, text?: string): JsonObject {
  const value: JsonObject = { state, timestamp: new Date().toISOString() };
  if (text) value.message = agentMessage(taskId, contextId, text);
  return value;
}

export function artifactOf(body: JsonValue): JsonObject {
  const part: JsonObject = typeof body === 'string' ? { text: body } : { data: (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : { items: body }) as JsonObject, mediaType: 'application/json' };
  return { artifactId: 'output', name: 'output', parts: [part] };
}

/** Builds a task from a run's outcome. */
export function taskOf(taskId: string, record: TaskRecord, outcome: TaskOutcome): JsonObject {
  const task: JsonObject = { id: taskId, contextId: record.contextId, history: [{ ...record.message, taskId, contextId: record.contextId }], artifacts: [] };
  if (!outcome.finished) task.status = status('TASK_STATE_WORKING', taskId, record.contextId);
  else if (outcome.problem) task.status = status('TASK_STATE_FAILED', taskId, record.contextId, outcome.problem.detail);
  else {
    task.status = status('TASK_STATE_COMPLETED', taskId, record.contextId);
    task.artifacts = [artifactOf((outcome.response?.body ?? null) as JsonValue)];
  }
  return task;
}
