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

/**
 * Message published for one event: the SDK's `ExtensionEvent` (topic, payload, source,
 * publishedAt) and where it was published. Subscribers must check `workspaceId` before
 * acting on it, because the channel is shared by every workspace.
 */
export interface ExtensionEventMessage {
  topic: string;
  payload: unknown;
  /** Extension id of the publisher. */
  source: string;
  /** ISO 8601 time of publication. */
  publishedAt: string;
  workspaceId: string | null;
  runId: string | null;
  nodeId: string | null;
}

async function publish(scope: HostCallScope, eventTopic: string, payload: unknown): Promise<void> {
  const { context } = scope;
  const message: ExtensionEventMessage = {
    topic: eventTopic,
    payload,
    source: context.extensionId,
    publishedAt: new Date().toISOString(),
    workspaceId: context.workspaceId,
    runId: context.runId ?? null,
    nodeId: context.nodeId ?? null,
  };
  await scope.services.sharedState.pubsub.publish(eventChannel(context.extensionId, eventTopic), JSON.stringify(message));
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
      // TODO: delivering events needs a subscription registry per extension and workspace on
      // sharedState.pubsub. The extension host must then invoke the extension's `event` hook for
      // each message. Neither exists yet.
      throw new MifyError(
        'not_available',
        501,
        `events.subscribe('${eventTopic}') is not available yet: the kernel cannot deliver events to an extension's event hook so far. The call was allowed but subscribed to nothing.`,
        { extensionId: scope.context.extensionId, method: 'events.subscribe' },
      );
    },
  }),
];
