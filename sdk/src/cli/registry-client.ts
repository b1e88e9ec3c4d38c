import { PluginCliError } from './io.js';

/** Header that carries the registry token; it works whether the registry runs alone or in a kernel. */
export const TOKEN_HEADER = 'x-mify-registry-token';

/** Sends a request to a registry and returns its JSON, raising the registry's problem detail on errors. */
export async function registryRequest<T>(registry: string, pathname: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set(TOKEN_HEADER, init.token);
  let response: Response;
  try {
    response = await fetch(`${registry}${pathname}`, { ...init, headers });
  } catch (error) {
    throw new PluginCliError(`Could not reach the registry at ${registry}: ${(error as Error).message}. Check the URL and that the registry is running.`);
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON; reported below when the status is an error.
  }
  if (!response.ok) {
    const detail = (body as { detail?: string } | undefined)?.detail ?? (text.slice(0, 300) || response.statusText);
    throw new PluginCliError(`The registry at ${registry} returned ${response.status}: ${detail}`);
  }
  return body as T;
}
