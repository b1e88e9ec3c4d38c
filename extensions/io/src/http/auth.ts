/**
 * Authentication of the HTTP request node: a workspace credential, read by reference, is
 * applied to the request as headers or query parameters according to its type.
 */
import { isHostCallError, type ExtensionContext } from '@mify/sdk';
import { IoError } from '../errors.js';
import { base64Encode, utf8Encode } from '../lib/bytes.js';
import type { QueryPair } from '../lib/url.js';

export const CREDENTIAL_TYPES = {
  basic: 'mify.io.http-basic',
  bearer: 'mify.io.http-bearer',
  apiKey: 'mify.io.http-api-key',
  header: 'mify.io.http-header',
  cloudflare: 'mify.io.cloudflare-api-token',
} as const;

const SUPPORTED = Object.values(CREDENTIAL_TYPES).join(', ');

/** Headers and query parameters a credential adds to a request. */
export interface AppliedAuth {
  headers: Record<string, string>;
  query: QueryPair[];
}

function field(data: Record<string, unknown>, name: string, reference: string, type: string): string {
  const value = data[name];
  if (typeof value !== 'string' || value === '') {
    throw new IoError('invalid_credential', `Credential '${reference}' of type '${type}' has no '${name}' field; edit the credential and fill it in.`);
  }
  if (/[\r\n\0]/.test(value)) throw new IoError('invalid_credential', `Field '${name}' of credential '${reference}' contains a line break or NUL, which cannot be sent in a request; edit the credential.`);
  return value;
}

/** Reads a credential by reference, with a message naming the reference when it does not exist. */
export async function readCredential(ctx: ExtensionContext, reference: string): Promise<{ type: string; data: Record<string, unknown> }> {
  try {
    const credential = await ctx.host.credentials.get(reference);
    return { type: credential.type, data: credential.data as Record<string, unknown> };
  } catch (error) {
    if (isHostCallError(error, 'not_found')) {
      throw new IoError('invalid_credential', `Credential '${reference}' was not found in this workspace. Create it, or choose another one in the node's 'credential' parameter.`);
    }
    throw error;
  }
}

/** Turns a credential into the headers or query parameters it stands for. */
export function applyCredential(reference: string, credential: { type: string; data: Record<string, unknown> }): AppliedAuth {
  const { type, data } = credential;

  switch (type) {
    case CREDENTIAL_TYPES.basic: {
      const username = field(data, 'username', reference, type);
      if (username.includes(':')) throw new IoError('invalid_credential', `The user name in credential '${reference}' contains ':', which basic authentication cannot carry; edit the credential.`);
      const password = typeof data.password === 'string' ? data.password : '';
      return { headers: { authorization: `Basic ${base64Encode(utf8Encode(`${username}:${password}`))}` }, query: [] };
    }
    case CREDENTIAL_TYPES.bearer:
      return { headers: { authorization: `Bearer ${field(data, 'token', reference, type)}` }, query: [] };
    case CREDENTIAL_TYPES.cloudflare:
      return { headers: { authorization: `Bearer ${field(data, 'apiToken', reference, type)}` }, query: [] };
    case CREDENTIAL_TYPES.apiKey: {
      const name = field(data, 'name', reference, type);
      const value = field(data, 'value', reference, type);
      const location = data.location ?? 'header';
      if (location === 'query') return { headers: {}, query: [[name, value]] };
      if (location !== 'header') throw new IoError('invalid_credential', `Field 'location' of credential '${reference}' is ${JSON.stringify(location)}; expected header or query.`);
      return { headers: { [name.toLowerCase()]: value }, query: [] };
    }
    case CREDENTIAL_TYPES.header: {
      const headers = data.headers;
      if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.keys(headers).length === 0) {
        throw new IoError('invalid_credential', `Credential '${reference}' of type '${type}' needs 'headers', an object of header names and values such as { "X-Api-Key": "…" }; edit the credential.`);
      }
      const applied: Record<string, string> = {};
      for (const name of Object.keys(headers)) applied[name.toLowerCase()] = field(headers as Record<string, unknown>, name, reference, type);
      return { headers: applied, query: [] };
    }
    default:
      throw new IoError('invalid_credential', `Credential '${reference}' has type '${type}', which the HTTP request node cannot apply; use one of ${SUPPORTED}.`);
  }
}
