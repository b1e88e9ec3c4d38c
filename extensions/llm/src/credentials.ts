/**
 * Reads a provider's connection (base URL, API key, extra headers) from a workspace
 * credential through the credentials host API.
 */
import { isHostCallError } from '@mify/sdk';
import type { ProviderDefinition } from './catalog.js';
import { LlmError, subject } from './errors.js';
import type { Connection, ExtensionContext } from './types.js';

export interface ResolvedConnection {
  connection: Connection;
  /** Reference of the credential used, or null when the provider runs without one. */
  credential: string | null;
}

/**
 * Resolves the connection of a call. Without an explicit reference the credential named
 * after the provider id (such as `openai`) is used. Providers that need no key (Ollama,
 * vLLM, LiteLLM) fall back to their default base URL when that credential does not exist.
 */
export async function resolveConnection(ctx: ExtensionContext, provider: ProviderDefinition, model: string, reference: string | undefined): Promise<ResolvedConnection> {
  const name = reference ?? provider.id;
  const callSubject = subject(provider.id, model);
  let data: Record<string, unknown> | null = null;

  try {
    const credential = await ctx.host.credentials.get(name);
    if (credential.type !== provider.credentialType) {
      throw new LlmError('invalid_argument', `${callSubject} cannot use credential '${name}': it has type '${credential.type}', expected '${provider.credentialType}'. Choose a credential of that type in the node's credential parameter.`);
    }
    data = credential.data as Record<string, unknown>;
  } catch (error) {
    if (error instanceof LlmError) throw error;
    const missing = isHostCallError(error, 'not_found');
    if (!missing) throw error;
    if (reference !== undefined || provider.requiresKey || provider.defaultBaseUrl === null) {
      throw new LlmError(
        'invalid_argument',
        `${callSubject} needs a credential, but '${name}' was not found in this workspace. Create a credential of type '${provider.credentialType}' named '${name}'${provider.requiresKey ? ' with your API key' : ' with the server\'s base URL'}, or pick another one in the node's credential parameter.`,
      );
    }
  }

  const apiKey = typeof data?.apiKey === 'string' && data.apiKey.trim() !== '' ? data.apiKey.trim() : null;
  if (provider.requiresKey && apiKey === null) {
    throw new LlmError('invalid_argument', `${callSubject} needs an API key, but credential '${name}' has no apiKey field. Add the key to that credential.`);
  }

  const connection: Connection = { baseUrl: baseUrlOf(provider, data, callSubject, name), apiKey, headers: headersOf(data) };
  return { connection, credential: data === null ? null : name };
}

function baseUrlOf(provider: ProviderDefinition, data: Record<string, unknown> | null, callSubject: string, name: string): string {
  const configured = typeof data?.baseUrl === 'string' && data.baseUrl.trim() !== '' ? data.baseUrl.trim() : null;
  let baseUrl = configured ?? provider.defaultBaseUrl;
  if (baseUrl === null) {
    throw new LlmError('invalid_argument', `${callSubject} has no base URL: set baseUrl in credential '${name}', such as http://127.0.0.1:8000/v1.`);
  }

  if (baseUrl.includes('{accountId}')) {
    const accountId = typeof data?.accountId === 'string' ? data.accountId.trim() : '';
    if (!/^[A-Za-z0-9]+$/.test(accountId)) {
      throw new LlmError('invalid_argument', `${callSubject} needs the Cloudflare account id: set accountId (letters and digits) or a full baseUrl in credential '${name}'.`);
    }
    baseUrl = baseUrl.replace('{accountId}', accountId);
  }

  if (!/^https?:\/\/[^\s/?#]+/i.test(baseUrl)) {
    throw new LlmError('invalid_argument', `${callSubject} has an invalid base URL ${JSON.stringify(baseUrl)} in credential '${name}'; expected an http or https URL such as https://api.openai.com/v1.`);
  }
  return baseUrl.replace(/\/+$/, '');
}

function headersOf(data: Record<string, unknown> | null): Record<string, string> {
  const headers: Record<string, string> = {};
  const value = data?.headers;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return headers;
  for (const [name, text] of Object.entries(value)) if (typeof text === 'string') headers[name] = text;
  return headers;
}
