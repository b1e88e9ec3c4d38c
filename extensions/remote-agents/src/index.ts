/**
 * The mify.remote-agents extension: nodes that call agents outside MIFY over `http.fetch`,
 * once per input item, with the item's resolved parameters.
 */
import { defineExtension, defineNode, type Item, type JsonObject, type NodeContext, type NodeInput } from '@mify/sdk';
import { sendA2aMessage } from './a2a-send.js';
import { callMcpTool } from './mcp-tool.js';
import { callOpenAiResponses } from './openai-responses.js';

type Call = (ctx: NodeContext, parameters: Record<string, unknown>) => Promise<JsonObject>;

function perItem(call: Call) {
  return defineNode({
    async execute(ctx, input: NodeInput) {
      const items: Item[] = [];
      for (const [index] of input.items.entries()) {
        const parameters = input.itemParameters?.[index] ?? input.parameters ?? {};
        items.push({ json: await call(ctx, parameters) });
      }
      return { items };
    },
  });
}

export default defineExtension({
  nodes: {
    'mify.remote-agents.mcp-tool': perItem(callMcpTool),
    'mify.remote-agents.a2a-send': perItem(sendA2aMessage),
    'mify.remote-agents.openai-responses': perItem(callOpenAiResponses),
  },
});
