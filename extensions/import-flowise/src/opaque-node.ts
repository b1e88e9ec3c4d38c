/**
 * `mify.platform.flowise.node`: a Flowise node MIFY cannot run itself. With `baseUrl` and
 * `flowId` set, it calls a Flowise flow through the prediction API
 * (`POST /api/v1/prediction/<flowId>`) once per item. Without them it fails and names what
 * to configure.
 */
import { ExtensionError, type HostApi, type Item, type NodeContext, type NodeInput } from '@mify/sdk';

type OpaqueContext = NodeContext & { host: HostApi };

/**
 * Returns the message of a Flowise error: `{ statusCode, success, message }`, or `{ error }` for a
 * rejected API key. For any other body it returns the start of the body.
 */
function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // The body is not JSON, so its start is the detail.
  }
  return body.slice(0, 300) || 'empty response';
}

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
    const credential = typeof parameters.credential === 'string' ? parameters.credential : '';
    if (credential !== '') {
      const data = (await ctx.host.credentials.get(credential)).data;
      const key = data.apiKey ?? data.token;
      if (typeof key !== 'string' || key === '') throw new ExtensionError('invalid_credential', `Node '${ctx.node.name}': credential '${credential}' has no apiKey or token field with a Flowise API key.`);
      headers.authorization = `Bearer ${key}`;
    }
    const field = typeof parameters.questionField === 'string' && parameters.questionField !== '' ? parameters.questionField : 'question';

    const url = `${baseUrl}/api/v1/prediction/${encodeURIComponent(flowId)}`;
    const items: Item[] = [];
    for (const item of input.items) {
      const response = await ctx.host.http.fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ question: String(item.json[field] ?? '') }),
        timeoutMs: typeof parameters.timeoutMs === 'number' ? parameters.timeoutMs : 60_000,
      });
      if (response.status < 200 || response.status > 299) {
        let hint = '';
        const unauthorized = response.status === 401 || response.status === 403;
        if (unauthorized && credential === '') hint = ' The flow requires an API key, so set credential to a credential whose apiKey field contains it.';
        if (unauthorized && credential !== '') hint = ` Check that credential '${credential}' contains an API key the flow accepts.`;
        if (response.status === 404) hint = ` Check flowId '${flowId}' and baseUrl.`;
        throw new ExtensionError('platform_request_failed', `Node '${ctx.node.name}': Flowise (POST ${url}) responded with status ${response.status}: ${errorDetail(response.body).replace(/\.$/, '')}.${hint}`);
      }
      let prediction: unknown;
      try {
        prediction = JSON.parse(response.body) as unknown;
      } catch {
        throw new ExtensionError('invalid_platform_response', `Node '${ctx.node.name}': Flowise (POST ${url}) returned text that is not JSON (${response.body.slice(0, 80)}); check that baseUrl is the Flowise server.`);
      }
      const fields = typeof prediction === 'object' && prediction !== null && !Array.isArray(prediction) ? (prediction as Record<string, unknown>) : { text: prediction };
      // Imported references to a node (`{{ nodeId }}`) read its `response` field, as for mapped model nodes; Flowise answers in `text`.
      items.push({ json: { ...item.json, ...fields, ...(fields.response === undefined && typeof fields.text === 'string' ? { response: fields.text } : {}) } });
    }
    return { items };
  },
};
