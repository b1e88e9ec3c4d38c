/**
 * `mify.platform.flowise.node`: a Flowise node MIFY cannot run itself. With `baseUrl` and
 * `flowId` set, it calls a Flowise flow through the prediction API
 * (`POST /api/v1/prediction/<flowId>`) once per item. Without them it fails and names what
 * to configure.
 */
import { ExtensionError, type HostApi, type Item, type NodeContext, type NodeInput } from '@mify/sdk';

type OpaqueContext = NodeContext & { host: HostApi };

export const flowisePlatformNode = {
  async execute(ctx: OpaqueContext, input: NodeInput) {
    const parameters = ctx.node.parameters;
    const platformType = String(parameters.platformType ?? 'unknown');
    const baseUrl = typeof parameters.baseUrl === 'string' ? parameters.baseUrl.trim().replace(/\/+$/, '') : '';
    const flowId = typeof parameters.flowId === 'string' ? parameters.flowId.trim() : '';
    if (baseUrl === '' || flowId === '') {
      throw new ExtensionError('platform_not_configured', `Node '${ctx.node.name}' is the Flowise node "${platformType}", which MIFY cannot run itself. Set baseUrl (your Flowise server) and flowId (a chatflow that contains the node), or replace the node.`);
    }

    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (typeof parameters.credential === 'string' && parameters.credential !== '') {
      const data = (await ctx.host.credentials.get(parameters.credential)).data;
      const key = data.apiKey ?? data.token;
      if (typeof key === 'string' && key !== '') headers.authorization = `Bearer ${key}`;
    }
    const field = typeof parameters.questionField === 'string' && parameters.questionField !== '' ? parameters.questionField : 'question';

    const items: Item[] = [];
    for (const item of input.items) {
      const response = await ctx.host.http.fetch(`${baseUrl}/api/v1/prediction/${encodeURIComponent(flowId)}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ question: String(item.json[field] ?? '') }),
        timeoutMs: typeof parameters.timeoutMs === 'number' ? parameters.timeoutMs : 60_000,
      });
      if (response.status < 200 || response.status > 299) throw new ExtensionError('platform_request_failed', `Node '${ctx.node.name}': Flowise responded with status ${response.status}: ${response.body.slice(0, 300)}`);
      const answer = JSON.parse(response.body) as unknown;
      items.push({ json: { ...item.json, ...(typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Record<string, unknown>) : { text: answer }) } });
    }
    return { items };
  },
};
