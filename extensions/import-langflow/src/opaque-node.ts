/**
 * `mify.platform.langflow.node`: a Langflow component MIFY cannot run itself. With `baseUrl`
 * and `flowId` set, it runs a Langflow flow through the run API (`POST /api/v1/run/<flowId>`)
 * once per item. Without them it fails and names what to configure.
 */
import { ExtensionError, type HostApi, type Item, type NodeContext, type NodeInput } from '@mify/sdk';

type OpaqueContext = NodeContext & { host: HostApi };

/** Returns the first chat message text of a Langflow run response (outputs[0].outputs[0].results.message.text). */
function messageText(body: unknown): unknown {
  const outputs = (body as { outputs?: Array<{ outputs?: Array<{ results?: { message?: { text?: unknown } }; outputs?: { message?: { message?: unknown } } }> }> }).outputs;
  const first = outputs?.[0]?.outputs?.[0];
  return first?.results?.message?.text ?? first?.outputs?.message?.message ?? null;
}

export const langflowPlatformNode = {
  async execute(ctx: OpaqueContext, input: NodeInput) {
    const parameters = ctx.node.parameters;
    const platformType = String(parameters.platformType ?? 'unknown');
    const baseUrl = typeof parameters.baseUrl === 'string' ? parameters.baseUrl.trim().replace(/\/+$/, '') : '';
    const flowId = typeof parameters.flowId === 'string' ? parameters.flowId.trim() : '';
    if (baseUrl === '' || flowId === '') {
      throw new ExtensionError('platform_not_configured', `Node '${ctx.node.name}' is the Langflow component "${platformType}", which MIFY cannot run itself. Set baseUrl (your Langflow server) and flowId (a flow that contains the component), or replace the node.`);
    }

    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (typeof parameters.credential === 'string' && parameters.credential !== '') {
      const data = (await ctx.host.credentials.get(parameters.credential)).data;
      const key = data.apiKey ?? data.token;
      if (typeof key === 'string' && key !== '') headers['x-api-key'] = key;
    }
    const field = typeof parameters.inputField === 'string' && parameters.inputField !== '' ? parameters.inputField : 'text';

    const items: Item[] = [];
    for (const item of input.items) {
      const response = await ctx.host.http.fetch(`${baseUrl}/api/v1/run/${encodeURIComponent(flowId)}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ input_value: String(item.json[field] ?? ''), input_type: 'chat', output_type: 'chat' }),
        timeoutMs: typeof parameters.timeoutMs === 'number' ? parameters.timeoutMs : 60_000,
      });
      if (response.status < 200 || response.status > 299) throw new ExtensionError('platform_request_failed', `Node '${ctx.node.name}': Langflow responded with status ${response.status}: ${response.body.slice(0, 300)}`);
      items.push({ json: { ...item.json, text: messageText(JSON.parse(response.body)) } });
    }
    return { items };
  },
};
