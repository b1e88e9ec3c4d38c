import { MifyError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { HostBridge } from '../runtime/types.js';
import { parseArguments } from './arguments.js';
import { hostAuditQueueFor } from './audit-queue.js';
import { EXTENSION_ID_PATTERN } from './collection-indexes.js';
import { codeMethods } from './code.js';
import { collectionMethods } from './collections.js';
import { credentialMethods } from './credentials.js';
import { demoMethods } from './demo.js';
import { eventMethods } from './events.js';
import { fileMethods } from './files.js';
import { httpMethods } from './http-fetch.js';
import { HttpStreams } from './http-stream.js';
import { knowledgeMethods } from './knowledge.js';
import { kvMethods } from './kv.js';
import { kvCounterMethods } from './kv-counters.js';
import { limitMethods } from './limits.js';
import { logMethods } from './log.js';
import { hasPermission, PermissionDeniedError } from './permissions.js';
import type { HostCallContext, HostCallScope, HostMethod, HostServices } from './types.js';
import { endpointMethods } from './endpoints.js';
import { graphRunMethods } from './graphs-runs.js';
import { llmMethods } from './llm.js';
import { progressMethods } from './progress.js';
import { runWaitMethods } from './run-wait.js';
import { traceMethods } from './trace.js';
import { vectorMethods } from './vectors.js';

/** Every method of the host API, in the order of its namespaces. */
export const HOST_METHODS: readonly HostMethod[] = [
  ...logMethods,
  ...kvMethods,
  ...kvCounterMethods,
  ...limitMethods,
  ...collectionMethods,
  ...vectorMethods,
  ...httpMethods,
  ...credentialMethods,
  ...eventMethods,
  ...fileMethods,
  ...graphRunMethods,
  ...demoMethods,
  ...progressMethods,
  ...traceMethods,
  ...runWaitMethods,
  ...llmMethods,
  ...codeMethods,
  ...knowledgeMethods,
  ...endpointMethods,
];

/** Dotted names of every host method, e.g. `kv.get`. */
export const HOST_METHOD_NAMES: readonly string[] = HOST_METHODS.map((method) => method.name);

const METHODS_BY_NAME = new Map(HOST_METHODS.map((method) => [method.name, method]));

/** Maximum length of an unknown method's name as copied into an audit row or message. */
const MAX_SHOWN_METHOD_CHARS = 100;

/** A host bridge for one extension in one context, as `createHostBridge` returns it. */
export interface HostApiBridge extends HostBridge {
  readonly context: HostCallContext;
  /** Writes the buffered audit rows of this and every other bridge on the same queue. */
  flush(): Promise<void>;
  /** Closes what the invocation left open (streamed responses); the extension host calls it when the invocation ends. */
  dispose(): void;
}

/**
 * Creates the bridge a sandbox calls for one extension in one context (workspace, run,
 * node). Each call is
 *
 * 1. looked up in the method table (unknown methods fail with `unknown_method`, 404);
 * 2. checked against the manifest's permissions, deny by default (`permission_denied`, 403,
 *    naming the permission to add);
 * 3. validated: the arguments are untrusted JSON from the sandbox (`invalid_argument`, 422);
 * 4. run, with errors other than `MifyError` logged and replaced by `internal` (500),
 *    so kernel internals do not reach the sandbox;
 * 5. audited, allowed or denied, with action `host.<method>` and no argument values.
 *
 * Audit rows are buffered (see `HostAuditQueue`) and written within about 200 ms.
 *
 * @example
 * const bridge = createHostBridge(
 *   { extensionId: 'acme.notes', permissions: ['kv:read'], workspaceId: 'ws_1', collections: [], dataDir },
 *   { db, vault, auditLog, sharedState, logger, config: { allowPrivateNetwork: false } },
 * );
 * const value = await bridge.call('kv.get', ['greeting']);
 */
export function createHostBridge(context: HostCallContext, services: HostServices): HostApiBridge {
  if (!EXTENSION_ID_PATTERN.test(context.extensionId)) {
    throw new Error(`createHostBridge: extension id ${JSON.stringify(context.extensionId)} does not match ${EXTENSION_ID_PATTERN}`);
  }

  const bindings: Record<string, string> = { extensionId: context.extensionId };
  if (context.workspaceId !== null) bindings.workspaceId = context.workspaceId;
  if (context.runId !== undefined) bindings.runId = context.runId;
  if (context.nodeId !== undefined) bindings.nodeId = context.nodeId;
  // A bridge is made for every invocation and most log nothing, so the child logger is made on first use.
  let childLogger: Logger | undefined;
  const logger = (): Logger => (childLogger ??= services.logger.child(bindings));

  const auditQueue = services.auditQueue ?? hostAuditQueueFor(services.auditLog, services.logger);
  const scope: HostCallScope = {
    context,
    services,
    get logger() {
      return logger();
    },
    workspaceKey: context.workspaceId ?? '',
    streams: new HttpStreams(),
  };

  function audit(action: string, target: string | undefined, allowed: boolean, error: MifyError | undefined): void {
    auditQueue.enqueue({
      workspaceId: context.workspaceId,
      actorType: 'extension',
      actorId: context.extensionId,
      action,
      ...(target === undefined ? {} : { target }),
      details: {
        allowed,
        runId: context.runId ?? null,
        nodeId: context.nodeId ?? null,
        ...(error === undefined ? {} : { error: error.code }),
      },
    });
  }

  async function call(methodName: string, args: unknown[]): Promise<unknown> {
    const method = typeof methodName === 'string' ? METHODS_BY_NAME.get(methodName) : undefined;
    if (method === undefined) {
      const shownName = String(methodName).slice(0, MAX_SHOWN_METHOD_CHARS);
      const error = new MifyError(
        'unknown_method',
        404,
        `Extension '${context.extensionId}' called the unknown host method '${shownName}'. Host methods are namespace.name, such as kv.get or http.fetch; check the spelling and the SDK version.`,
        { extensionId: context.extensionId, method: shownName },
      );
      audit('host.unknown_method', shownName, false, error);
      logger().warn({ method: shownName }, 'extension called an unknown host method');
      throw error;
    }

    let target: string | undefined;
    try {
      if (method.authorize === undefined && method.permission !== null && !hasPermission(context.permissions, method.permission)) {
        throw new PermissionDeniedError(context.extensionId, method.name, method.permission);
      }

      const parsed = parseArguments(method, args);
      target = method.target?.(parsed as never);
      const missing = method.authorize?.(parsed as never, context.permissions) ?? null;
      if (missing !== null) throw new PermissionDeniedError(context.extensionId, method.name, missing);

      const result = await method.run(parsed as never, scope);
      audit(`host.${method.name}`, target, true, undefined);
      return result;
    } catch (error) {
      const failure = toMifyError(error, method.name, context.extensionId);
      const denied = failure instanceof PermissionDeniedError;
      audit(`host.${method.name}`, target, !denied, failure);

      if (failure !== error) logger().error({ err: error, method: method.name }, 'host call failed inside the kernel');
      else if (denied) logger().warn({ method: method.name, permission: failure.details?.permission }, 'host call denied');
      else logger().debug({ method: method.name, code: failure.code }, 'host call failed');
      throw failure;
    }
  }

  return {
    context,
    call,
    flush: () => auditQueue.flush(),
    dispose: () => scope.streams.closeAll(),
  };
}

/** Passes a `MifyError` through; replaces anything else with a message that leaks no kernel internals. */
function toMifyError(error: unknown, method: string, extensionId: string): MifyError {
  if (error instanceof MifyError) return error;
  return new MifyError('internal', 500, `The host call ${method} failed inside the kernel. The error was logged with extension id '${extensionId}'; try again, and report it to the operator if it persists.`, { method });
}
