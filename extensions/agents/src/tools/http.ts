/**
 * The HTTP tool: one request to a URL template with one allowed method. The model fills the
 * template's `{name}` placeholders; other arguments go into the query string (GET, DELETE)
 * or the JSON body (POST, PUT, PATCH).
 */
import type { JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import { clip } from '../shared/trace.js';
import type { AgentTool } from './types.js';

export const HTTP_TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type HttpToolMethod = (typeof HTTP_TOOL_METHODS)[number];

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Maximum characters of a response body sent back to the model. */
const MAX_BODY_CHARS = 16_000;

function placeholders(url: string): string[] {
  return [...url.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/** Checks a declaration's URL template and method, and returns the tool. */
export function httpTool(ctx: NodeContext, declaration: JsonObject, base: { name: string; description: string; path: string }): AgentTool {
  const url = declaration.url;
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    throw invalidParameter(`${base.path}.url must be an http or https URL template such as https://api.example.com/users/{id}, got ${JSON.stringify(url)}.`);
  }
  const method = (typeof declaration.method === 'string' ? declaration.method.toUpperCase() : 'GET') as HttpToolMethod;
  if (!HTTP_TOOL_METHODS.includes(method)) {
    throw invalidParameter(`${base.path}.method must be one of ${HTTP_TOOL_METHODS.join(', ')}, got ${JSON.stringify(declaration.method)}.`);
  }
  const headers = declaration.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((value) => typeof value !== 'string')) {
    throw invalidParameter(`${base.path}.headers must be an object of header names and string values.`);
  }

  const names = placeholders(url);
  const parameters = (declaration.parameters as JsonObject | undefined) ?? {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])),
    required: names,
  };

  return {
    kind: 'http',
    name: base.name,
    description: base.description || `${method} ${url}`,
    parameters,
    async invoke(args) {
      const rest: Record<string, unknown> = { ...args };
      const target = url.replace(PLACEHOLDER, (_match, name: string) => {
        const value = args[name];
        if (value === undefined || value === null) throw new Error(`missing argument '${name}' for the URL ${url}`);
        delete rest[name];
        return encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value));
      });

      const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
      let requestUrl = target;
      if (!hasBody && Object.keys(rest).length > 0) {
        const query = Object.entries(rest)
          .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))}`)
          .join('&');
        requestUrl = `${target}${target.includes('?') ? '&' : '?'}${query}`;
      }

      const response = await ctx.host.http.fetch(requestUrl, {
        method,
        headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(headers as Record<string, string>) },
        ...(hasBody ? { body: JSON.stringify(rest) } : {}),
      });
      const body = response.bodyBase64 !== undefined && response.body === '' ? `[${response.headers['content-type'] ?? 'binary'} body of ${Math.floor((response.bodyBase64.length * 3) / 4)} bytes]` : response.body;
      return `HTTP ${response.status}\n${clip(body, MAX_BODY_CHARS)}`;
    },
  };
}
