/**
 * `mify.platform.n8n.node`: an n8n node MIFY cannot run itself. With `webhookUrl` set, it
 * sends the items to an n8n workflow that runs the node. Without it the node fails and names
 * what to configure.
 */
import { ExtensionError, type HostApi, type Item, type NodeContext, type NodeInput } from '@mify/sdk';

type OpaqueContext = NodeContext & { host: HostApi };

function headersFrom(data: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  const nested = data.headers;
  if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
    for (const [name, value] of Object.entries(nested)) if (typeof value === 'string') headers[name] = value;
  } else if (typeof data.name === 'string' && typeof data.value === 'string') {
    headers[data.name] = data.value;
  } else if (typeof data.token === 'string') {
    headers.Authorization = `Bearer ${data.token}`;
  }
  return headers;
}

/** Turns the webhook's JSON response into items: an array gives one item per element, an object one item. */
function toItems(body: unknown, nodeName: string): Item[] {
  const list = Array.isArray(body) ? body : [body];
  return list.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ExtensionError('invalid_platform_response', `Node '${nodeName}': the n8n webhook returned ${JSON.stringify(entry)?.slice(0, 80)} at index ${index}, but items are JSON objects. Set the n8n Webhook node to respond with the last node's data ("All Entries").`);
    }
    const record = entry as Record<string, unknown>;
    const json = typeof record.json === 'object' && record.json !== null && !Array.isArray(record.json) ? record.json : record;
    return { json: json as Record<string, unknown> };
  });
}

export const n8nPlatformNode = {
  async execute(ctx: OpaqueContext, input: NodeInput) {
    const parameters = ctx.node.parameters;
    const platformType = String(parameters.platformType ?? 'unknown');
    const webhookUrl = typeof parameters.webhookUrl === 'string' ? parameters.webhookUrl.trim() : '';
    if (webhookUrl === '') {
      throw new ExtensionError(
        'platform_not_configured',
        `Node '${ctx.node.name}' is the n8n node ${platformType}, which MIFY cannot run itself. Set its parameter webhookUrl to the production URL of an n8n workflow (Webhook trigger set to respond with the last node's data, then this node), or replace it with a MIFY node.`,
      );
    }
    if (!/^https?:\/\//i.test(webhookUrl)) {
      throw new ExtensionError('invalid_parameter', `Node '${ctx.node.name}': webhookUrl "${webhookUrl}" is not an http or https URL; copy the production URL from the n8n Webhook node.`);
    }

    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (typeof parameters.credential === 'string' && parameters.credential !== '') {
      const credential = await ctx.host.credentials.get(parameters.credential);
      Object.assign(headers, headersFrom(credential.data));
    }

    const all = Object.values(input.ports ?? { main: input.items }).flat();
    const body = JSON.stringify({ items: all.map((item) => item.json), node: { type: platformType, name: ctx.node.name } });
    const timeoutMs = typeof parameters.timeoutMs === 'number' ? parameters.timeoutMs : 30_000;
    const response = await ctx.host.http.fetch(webhookUrl, { method: 'POST', headers, body, timeoutMs });
    if (response.status < 200 || response.status > 299) {
      throw new ExtensionError('platform_request_failed', `Node '${ctx.node.name}': the n8n webhook ${webhookUrl} responded with status ${response.status}: ${response.body.slice(0, 300)}`);
    }

    let parsed: unknown;
    try {
      parsed = response.body.trim() === '' ? [] : JSON.parse(response.body);
    } catch {
      throw new ExtensionError('invalid_platform_response', `Node '${ctx.node.name}': the n8n webhook returned text that is not JSON (${response.body.slice(0, 80)}); set its Webhook node to respond with JSON.`);
    }
    return { main: toItems(parsed, ctx.node.name) };
  },
};
