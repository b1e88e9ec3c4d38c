/**
 * `mify.platform.flowise.node`: a Flowise node MIFY cannot run itself. With `baseUrl` and
 * `flowId` set, it calls a Flowise flow through the prediction API
 * (`POST /api/v1/prediction/<flowId>`) once per item. Without them it fails and names what
 * to configure.
 */
import { platformApiKey, platformFlowTarget, postPlatformJson, type Item, type NodeContext, type NodeInput, type PlatformDescription } from '@mify/sdk';

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

const FLOWISE: PlatformDescription = { name: 'Flowise', component: 'node', flowDescription: 'a chatflow that contains the node' };

export const flowisePlatformNode = {
  async execute(ctx: NodeContext, input: NodeInput) {
    const target = platformFlowTarget(ctx, FLOWISE);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = await platformApiKey(ctx, target, 'Flowise');
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const parameters = ctx.node.parameters;
    const field = typeof parameters.questionField === 'string' && parameters.questionField !== '' ? parameters.questionField : 'question';

    const url = `${target.baseUrl}/api/v1/prediction/${encodeURIComponent(target.flowId)}`;
    const items: Item[] = [];
    for (const item of input.items) {
      const prediction = await postPlatformJson(ctx, target, 'Flowise', {
        url,
        headers,
        body: { question: String(item.json[field] ?? '') },
        errorDetail,
        unauthorizedHint: {
          withoutCredential: 'The flow requires an API key, so set credential to a credential whose apiKey field contains it.',
          withCredential: `Check that credential '${target.credential}' contains an API key the flow accepts.`,
        },
      });
      const fields = typeof prediction === 'object' && prediction !== null && !Array.isArray(prediction) ? (prediction as Record<string, unknown>) : { text: prediction };
      // Imported references to a node (`{{ nodeId }}`) read its `response` field, as for mapped model nodes; Flowise answers in `text`.
      items.push({ json: { ...item.json, ...fields, ...(fields.response === undefined && typeof fields.text === 'string' ? { response: fields.text } : {}) } });
    }
    return { items };
  },
};
