/**
 * `mify.platform.dify.node`: a Dify node MIFY cannot run itself. With `baseUrl` and a
 * credential set, it runs a published Dify workflow app through Dify's API
 * (`POST /v1/workflows/run`, blocking mode) and adds the app's outputs to each item. Without
 * them it fails and names what to configure.
 */
import { ExtensionError, type HostApi, type Item, type NodeContext, type NodeInput } from '@mify/sdk';

type OpaqueContext = NodeContext & { host: HostApi };

function apiKeyOf(data: Record<string, unknown>): string | null {
  for (const key of ['apiKey', 'token', 'key']) if (typeof data[key] === 'string' && data[key] !== '') return data[key] as string;
  return null;
}

/**
 * Returns the service API root. Dify documents it as `<host>/v1` (https://api.dify.ai/v1), so a
 * base URL that already ends in /v1 is kept and any other gets /v1 added.
 */
function apiRoot(baseUrl: string): string {
  return /\/v1$/i.test(baseUrl) ? baseUrl : `${baseUrl}/v1`;
}

/** Returns "code: message" of a Dify error `{ code, message, status }`, or the start of a body that is not one. */
function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    if (typeof parsed.message === 'string') return typeof parsed.code === 'string' ? `${parsed.code}: ${parsed.message}` : parsed.message;
  } catch {
    // The body is not JSON, so its start is the detail.
  }
  return body.slice(0, 300) || 'empty response';
}

export const difyPlatformNode = {
  async execute(ctx: OpaqueContext, input: NodeInput) {
    const parameters = ctx.node.parameters;
    const platformType = String(parameters.platformType ?? 'unknown');
    const baseUrl = typeof parameters.baseUrl === 'string' ? parameters.baseUrl.trim().replace(/\/+$/, '') : '';
    const credential = typeof parameters.credential === 'string' ? parameters.credential : '';
    if (baseUrl === '' || credential === '') {
      throw new ExtensionError(
        'platform_not_configured',
        `Node '${ctx.node.name}' is the Dify node "${platformType}", which MIFY cannot run itself. Publish a Dify workflow app that contains it, then set baseUrl (such as https://api.dify.ai) and credential (a credential with the app's API key in apiKey or token), or replace the node.`,
      );
    }

    const secret = apiKeyOf((await ctx.host.credentials.get(credential)).data);
    if (!secret) throw new ExtensionError('invalid_credential', `Node '${ctx.node.name}': credential '${credential}' has no apiKey or token field with the Dify app's API key.`);

    const url = `${apiRoot(baseUrl)}/workflows/run`;
    const items: Item[] = [];
    for (const item of input.items) {
      const response = await ctx.host.http.fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: item.json, response_mode: 'blocking', user: `mify-${ctx.run.id}` }),
        timeoutMs: typeof parameters.timeoutMs === 'number' ? parameters.timeoutMs : 60_000,
      });
      if (response.status < 200 || response.status > 299) {
        let hint = '';
        if (response.status === 401 || response.status === 403) hint = ` Check that credential '${credential}' contains the API key of the Dify app and that the app's API access is enabled.`;
        throw new ExtensionError('platform_request_failed', `Node '${ctx.node.name}': Dify (POST ${url}) responded with status ${response.status}: ${errorDetail(response.body).replace(/\.$/, '')}.${hint}`);
      }
      let body: { data?: { status?: string; outputs?: Record<string, unknown> | null; error?: string | null } };
      try {
        body = JSON.parse(response.body) as typeof body;
      } catch {
        throw new ExtensionError('invalid_platform_response', `Node '${ctx.node.name}': Dify (POST ${url}) returned text that is not JSON (${response.body.slice(0, 80)}); check that baseUrl is the Dify API URL.`);
      }
      if (body.data?.status && body.data.status !== 'succeeded') throw new ExtensionError('platform_run_failed', `Node '${ctx.node.name}': the Dify run ended ${body.data.status}: ${body.data.error ?? 'no error message'}`);
      items.push({ json: { ...item.json, ...(body.data?.outputs ?? {}) } });
    }
    return { items };
  },
};
