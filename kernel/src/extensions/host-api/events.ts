import { z } from 'zod';
import { MifyError } from '../../errors.js';
import { jsonValue, storableJson } from './arguments.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Maximum size of one event payload, in bytes of UTF-8 JSON. */
export const MAX_EVENT_PAYLOAD_BYTES = 64 * 1024;

const topic = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** Returns the pub/sub channel of an extension's topic, e.g. `ext.acme.notes.saved`. */
export function eventChannel(extensionId: string, eventTopic: string): string {
  return `ext.${extensionId}.${eventTopic}`;
}

/** Message published for one event; subscribers must check `workspaceId` before acting on it. */
export interface ExtensionEventMessage {
  extensionId: string;
  workspaceId: string | null;
  topic: string;
  payload: unknown;
  runId: string | null;
  nodeId: string | null;
  /** ISO 8601 time of publication. */
  publishedAt: string;
}

async function publish(scope: HostCallScope, eventTopic: string, payload: unknown): Promise<{ channel: string }> {
  const { context } = scope;
  const channel = eventChannel(context.extensionId, eventTopic);
  const message: ExtensionEventMessage = {
    extensionId: context.extensionId,
    workspaceId: context.workspaceId,
    topic: eventTopic,
    payload,
    runId: context.runId ?? null,
    nodeId: context.nodeId ?? null,
    publishedAt: new Date().toISOString(),
  };
  await scope.services.sharedState.pubsub.publish(channel, JSON.stringify(message));
  return { channel };
}

/**
 * `events.publish(topic, payload)` sends a JSON payload on the extension's own channel
 * `ext.<extensionId>.<topic>` of the shared pub/sub, so an extension cannot publish on the
 * channels of the kernel or of another extension.
 */
export const eventMethods: HostMethod[] = [
  defineHostMethod({
    name: 'events.publish',
    permission: 'events:publish',
    parameters: { topic, payload: jsonValue.superRefine(storableJson(MAX_EVENT_PAYLOAD_BYTES)) },
    target: ({ topic: eventTopic }) => eventTopic,
    run: ({ topic: eventTopic, payload }, scope) => publish(scope, eventTopic, payload),
  }),
  defineHostMethod({
    name: 'events.subscribe',
    permission: 'events:subscribe',
    parameters: { topic },
    target: ({ topic: eventTopic }) => eventTopic,
    run: async ({ topic: eventTopic }, scope) => {
      // TODO: delivering events needs a channel from the kernel into a sandbox outside an
      // invocation (a trigger or hook the extension host invokes per message); neither the
      // isolate nor the WASM runtime has one yet.
      throw new MifyError(
        'not_available',
        501,
        `events.subscribe('${eventTopic}') is not available yet: the sandboxes cannot receive events outside an invocation. Declare a trigger instead once the extension host supports event triggers.`,
        { extensionId: scope.context.extensionId, method: 'events.subscribe' },
      );
    },
  }),
];
