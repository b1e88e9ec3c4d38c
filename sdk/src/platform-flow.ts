/**
 * Helpers of the opaque platform nodes that call a flow on the platform a graph was imported
 * from (Flowise, Langflow): reading where the flow is, the platform API key, and one JSON
 * request with errors that name the node, the URL and what to check.
 */
import { ExtensionError } from './errors.js';
import type { NodeContext } from './types.js';

/** Description of an opaque node's platform, for messages. */
export interface PlatformDescription {
  /** Platform name, such as `Flowise`. */
  name: string;
  /** Platform's word for a node: `node` or `component`. */
  component: string;
  /** Description of the flow `flowId` names, such as `a chatflow that contains the node`. */
  flowDescription: string;
}

/** Destination of an opaque node's items, read from its parameters. */
export interface PlatformFlowTarget {
  /** Server URL without a trailing slash. */
  baseUrl: string;
  flowId: string;
  /** Credential name, or an empty string for none. */
  credential: string;
  timeoutMs: number;
}

/** Time limit of one platform request when the node sets no `timeoutMs`, in milliseconds. */
const DEFAULT_PLATFORM_TIMEOUT_MS = 60_000;

/**
 * Reads `baseUrl`, `flowId`, `credential` and `timeoutMs` from the node's parameters.
 *
 * @throws ExtensionError `platform_not_configured` naming the parameters to set, when `baseUrl` or `flowId` is empty.
 */
export function platformFlowTarget(ctx: NodeContext, platform: PlatformDescription): PlatformFlowTarget {
  const parameters = ctx.node.parameters;
  const platformType = String(parameters.platformType ?? 'unknown');
  const baseUrl = typeof parameters.baseUrl === 'string' ? parameters.baseUrl.trim().replace(/\/+$/, '') : '';
  const flowId = typeof parameters.flowId === 'string' ? parameters.flowId.trim() : '';
  if (baseUrl === '' || flowId === '') {
    throw new ExtensionError(
      'platform_not_configured',
      `Node '${ctx.node.name}' is the ${platform.name} ${platform.component} "${platformType}", which MIFY cannot run itself. Set baseUrl (your ${platform.name} server) and flowId (${platform.flowDescription}), or replace the node.`,
    );
  }
  return {
    baseUrl,
    flowId,
    credential: typeof parameters.credential === 'string' ? parameters.credential : '',
    timeoutMs: typeof parameters.timeoutMs === 'number' ? parameters.timeoutMs : DEFAULT_PLATFORM_TIMEOUT_MS,
  };
}

/**
 * Returns the platform API key of the node's credential (its `apiKey` or `token` field), or
 * null when the node names no credential.
 *
 * @throws ExtensionError `invalid_credential` when the credential has neither field.
 */
export async function platformApiKey(ctx: NodeContext, target: PlatformFlowTarget, platformName: string): Promise<string | null> {
  if (target.credential === '') return null;
  const data = (await ctx.host.credentials.get(target.credential)).data;
  const key = data.apiKey ?? data.token;
  if (typeof key !== 'string' || key === '') throw new ExtensionError('invalid_credential', `Node '${ctx.node.name}': credential '${target.credential}' has no apiKey or token field with a ${platformName} API key.`);
  return key;
}

/** One JSON request of an opaque node to its platform. */
export interface PlatformRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Extracts the platform's error message from an error response body. */
  errorDetail: (body: string) => string;
  /** Hints added to a 401 or 403 response, without and with a credential. */
  unauthorizedHint: { withoutCredential: string; withCredential: string };
}

/**
 * Sends `request` as a POST with a JSON body and returns the parsed JSON response.
 *
 * @throws ExtensionError `platform_request_failed` for a status outside 2xx, with the platform's
 * message and a hint; `invalid_platform_response` for a body that is not JSON.
 */
export async function postPlatformJson(ctx: NodeContext, target: PlatformFlowTarget, platformName: string, request: PlatformRequest): Promise<unknown> {
  const response = await ctx.host.http.fetch(request.url, { method: 'POST', headers: request.headers, body: JSON.stringify(request.body), timeoutMs: target.timeoutMs });
  if (response.status < 200 || response.status > 299) {
    let hint = '';
    const unauthorized = response.status === 401 || response.status === 403;
    if (unauthorized && target.credential === '') hint = ` ${request.unauthorizedHint.withoutCredential}`;
    if (unauthorized && target.credential !== '') hint = ` ${request.unauthorizedHint.withCredential}`;
    if (response.status === 404) hint = ` Check flowId '${target.flowId}' and baseUrl.`;
    throw new ExtensionError('platform_request_failed', `Node '${ctx.node.name}': ${platformName} (POST ${request.url}) responded with status ${response.status}: ${request.errorDetail(response.body).replace(/\.$/, '')}.${hint}`);
  }
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new ExtensionError('invalid_platform_response', `Node '${ctx.node.name}': ${platformName} (POST ${request.url}) returned text that is not JSON (${response.body.slice(0, 80)}); check that baseUrl is the ${platformName} server.`);
  }
}
