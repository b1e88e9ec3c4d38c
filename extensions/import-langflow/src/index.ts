/**
 * Entry of `mify.platform.langflow`: the Langflow importer (flows and single components)
 * and the platform node that stands for components without a MIFY counterpart.
 */
import { defineExtension, defineImporter, opaqueNodeType, rejectionOf } from '@mify/sdk';
import { convertFlow, readFlow } from './flow.js';
import { langflowPlatformNode } from './opaque-node.js';

export default defineExtension({
  importers: {
    langflow: defineImporter({
      import(_ctx, input) {
        return rejectionOf(() => ({ graphs: [convertFlow(readFlow(input))], warnings: [] }));
      },
    }),
  },
  nodes: {
    [opaqueNodeType('langflow')]: langflowPlatformNode,
  },
});
