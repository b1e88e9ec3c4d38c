import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/identity.js';
import { roleAllows } from '../auth/roles.js';
import { ForbiddenError, MifyError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { CredentialVault } from '../vault/vault.js';
import type { WebhookTarget } from './webhook-registry.js';

/** Credential type whose `headers` contain the header names and secret values of `headerSecret`. */

export const HEADER_SECRET_CREDENTIAL_TYPE = 'mify.io.http-header';
/** Headers the kernel reads for its own authentication, so a shared secret cannot use them. */
const RESERVED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

export interface WebhookCaller {
  /** User or API key recorded as the run's creator; null for anonymous callers. */
  createdBy: string | null;
  /** Lower-case names of headers that carried a secret, left out of the run's input. */
  secretHeaders: string[];
}

/** Compares two strings in time that depends only on their SHA-256 digests, not on where they differ. */
function secretsEqual(actual: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(actual), digest(expected));
}

function misconfigured(target: WebhookTarget, problem: string): MifyError {
  return new MifyError(
    'webhook_invalid_settings',
    500,
    `The webhook node '${target.nodeName}' of graph '${target.graphName}' (${target.graphId}) cannot check requests: ${problem}`,
    { graphId: target.graphId, nodeId: target.nodeId },
  );
}

/**
 * Checks a request against the webhook node's `authentication` before any run starts.
 *
 * @param apiKey the principal of the request's `Authorization: Bearer` API key, already
 * resolved by the kernel's authentication middleware (which rejects an unknown key with 401).
 * @throws UnauthorizedError (401) when credentials are missing; ForbiddenError (403) when they
 * are wrong, belong to another workspace or lack the editor role; MifyError
 * `webhook_invalid_settings` (500) when the node's credential is missing or unusable.
 */
export async function authenticateWebhookRequest(
  deps: { vault: CredentialVault },
  input: { target: WebhookTarget; workspace: { id: string; slug: string }; headers: Headers; apiKey: Principal | null },
): Promise<WebhookCaller> {
  const { target, workspace, headers, apiKey } = input;
  const { authentication } = target.settings;
  if (authentication === 'none') return { createdBy: null, secretHeaders: [] };

  if (authentication === 'apiKey') {
    if (!apiKey) throw new UnauthorizedError(`This webhook needs a MIFY API key of workspace '${workspace.slug}': send it as "Authorization: Bearer <key>".`);
    if (apiKey.workspaceId !== workspace.id) throw new ForbiddenError(`The API key belongs to another workspace; this webhook accepts keys of workspace '${workspace.slug}'.`);
    if (!roleAllows(apiKey.role, 'write')) throw new ForbiddenError(`The API key has the role '${apiKey.role}', which cannot start runs; use a key with the editor role or higher.`);
    return { createdBy: apiKey.userId ?? apiKey.apiKeyId, secretHeaders: [] };
  }

  const reference = target.settings.credential;
  if (!reference) throw misconfigured(target, 'authentication is headerSecret but the parameter credential is empty. Name a mify.io.http-header credential and publish the graph again.');
  let credential: { type: string; data: Record<string, unknown> };
  try {
    credential = await deps.vault.resolve(workspace.id, reference, { kind: 'system', id: 'webhook', nodeId: target.nodeId });
  } catch (error) {
    if (error instanceof NotFoundError) throw misconfigured(target, `credential '${reference}' was not found. Create it with POST /api/credentials (type ${HEADER_SECRET_CREDENTIAL_TYPE}) or name an existing one.`);
    throw error;
  }

  const expected = credential.data.headers;
  if (credential.type !== HEADER_SECRET_CREDENTIAL_TYPE || typeof expected !== 'object' || expected === null || Array.isArray(expected) || Object.keys(expected).length === 0) {
    throw misconfigured(target, `credential '${reference}' must have type ${HEADER_SECRET_CREDENTIAL_TYPE} and at least one header in 'headers', such as { "headers": { "X-Webhook-Secret": "…" } }.`);
  }

  const secretHeaders: string[] = [];
  for (const [name, value] of Object.entries(expected as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || typeof value !== 'string' || value.length === 0) {
      throw misconfigured(target, `header '${name}' of credential '${reference}' cannot be used: the value must be a non-empty string, and Authorization and Cookie are reserved for the kernel.`);
    }
    const actual = headers.get(lower);
    if (actual === null) throw new UnauthorizedError(`This webhook needs the header '${name}' with its shared secret; send it with the request.`);
    if (!secretsEqual(actual, value)) throw new ForbiddenError(`The value of header '${name}' does not match the webhook's secret; send the secret stored in the webhook's credential.`);
    secretHeaders.push(lower);
  }
  return { createdBy: null, secretHeaders };
}
