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

/** Delivers published events to subscribed extensions; the extension host implements it. */
export interface EventSubscriptions {
  /** Subscribes an extension to `<publisher id>.<topic>`; subscribing twice has no further effect. */
  subscribe(extensionId: string, topic: string): Promise<void>;
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
    // The full topic, `<publisher extension id>.<topic>`, as the publisher's channel is named.
    parameters: { topic },
    target: ({ topic: eventTopic }) => eventTopic,
    run: async ({ topic: eventTopic }, scope) => {
      const events = scope.services.events;
      if (!events) {
        throw new MifyError('not_available', 501, `events.subscribe('${eventTopic}') is not available in this kernel: no event delivery is configured.`, { extensionId: scope.context.extensionId, method: 'events.subscribe' });
      }
      await events.subscribe(scope.context.extensionId, eventTopic);
    },
  }),
];
