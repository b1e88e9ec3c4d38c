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

/**
 * Returns the detail of a Langflow (FastAPI) error `{ detail }`, which is a text or a list of field
 * errors. For any other body it returns the start of the body.
 */
function errorDetail(body: string): string {
  try {
    const detail = (JSON.parse(body) as { detail?: unknown }).detail;
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) return detail.map((entry) => (typeof entry === 'object' && entry !== null && typeof (entry as { msg?: unknown }).msg === 'string' ? (entry as { msg: string }).msg : JSON.stringify(entry))).join('; ');
  } catch {
    // The body is not JSON, so its start is the detail.
  }
  return body.slice(0, 300) || 'empty response';
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
    const credential = typeof parameters.credential === 'string' ? parameters.credential : '';
    if (credential !== '') {
      const data = (await ctx.host.credentials.get(credential)).data;
      const key = data.apiKey ?? data.token;
      if (typeof key !== 'string' || key === '') throw new ExtensionError('invalid_credential', `Node '${ctx.node.name}': credential '${credential}' has no apiKey or token field with a Langflow API key.`);
      headers['x-api-key'] = key;
    }
    const field = typeof parameters.inputField === 'string' && parameters.inputField !== '' ? parameters.inputField : 'text';

    const url = `${baseUrl}/api/v1/run/${encodeURIComponent(flowId)}`;
    const items: Item[] = [];
    for (const item of input.items) {
      const response = await ctx.host.http.fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ input_value: String(item.json[field] ?? ''), input_type: 'chat', output_type: 'chat' }),
        timeoutMs: typeof parameters.timeoutMs === 'number' ? parameters.timeoutMs : 60_000,
      });
      if (response.status < 200 || response.status > 299) {
        let hint = '';
        const unauthorized = response.status === 401 || response.status === 403;
        if (unauthorized && credential === '') hint = ' Langflow requires an API key, so set credential to a credential whose apiKey field contains it (sent as x-api-key).';
        if (unauthorized && credential !== '') hint = ` Check that credential '${credential}' contains a valid Langflow API key.`;
        if (response.status === 404) hint = ` Check flowId '${flowId}' and baseUrl.`;
        throw new ExtensionError('platform_request_failed', `Node '${ctx.node.name}': Langflow (POST ${url}) responded with status ${response.status}: ${errorDetail(response.body).replace(/\.$/, '')}.${hint}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(response.body) as unknown;
      } catch {
        throw new ExtensionError('invalid_platform_response', `Node '${ctx.node.name}': Langflow (POST ${url}) returned text that is not JSON (${response.body.slice(0, 80)}); check that baseUrl is the Langflow server.`);
      }
      items.push({ json: { ...item.json, text: messageText(body) } });
    }
    return { items };
  },
};
