/**
 * `mify.platform.langflow.node`: a Langflow component MIFY cannot run itself. With `baseUrl`
 * and `flowId` set, it runs a Langflow flow through the run API (`POST /api/v1/run/<flowId>`)
 * once per item. Without them it fails and names what to configure.
 */
import { platformApiKey, platformFlowTarget, postPlatformJson, type Item, type NodeContext, type NodeInput, type PlatformDescription } from '@mify/sdk';

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

const LANGFLOW: PlatformDescription = { name: 'Langflow', component: 'component', flowDescription: 'a flow that contains the component' };

export const langflowPlatformNode = {
  async execute(ctx: NodeContext, input: NodeInput) {
    const target = platformFlowTarget(ctx, LANGFLOW);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = await platformApiKey(ctx, target, 'Langflow');
    if (key !== null) headers['x-api-key'] = key;
    const parameters = ctx.node.parameters;
    const field = typeof parameters.inputField === 'string' && parameters.inputField !== '' ? parameters.inputField : 'text';

    const url = `${target.baseUrl}/api/v1/run/${encodeURIComponent(target.flowId)}`;
    const items: Item[] = [];
    for (const item of input.items) {
      const body = await postPlatformJson(ctx, target, 'Langflow', {
        url,
        headers,
        body: { input_value: String(item.json[field] ?? ''), input_type: 'chat', output_type: 'chat' },
        errorDetail,
        unauthorizedHint: {
          withoutCredential: 'Langflow requires an API key, so set credential to a credential whose apiKey field contains it (sent as x-api-key).',
          withCredential: `Check that credential '${target.credential}' contains a valid Langflow API key.`,
        },
      });
      items.push({ json: { ...item.json, text: messageText(body) } });
    }
    return { items };
  },
};
