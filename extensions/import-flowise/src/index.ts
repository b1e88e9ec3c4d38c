/**
 * Entry of `mify.platform.flowise`: the Flowise importer (chatflows, agentflows v2 and
 * workspace exports) and the platform node that stands for Flowise nodes without a MIFY
 * counterpart.
 */
import { defineExtension, defineImporter, opaqueNodeType, rejectionOf } from '@mify/sdk';
import { convertAgentflow } from './agentflow.js';
import { convertChatflow } from './chatflow.js';
import { readFlows } from './file.js';
import { flowisePlatformNode } from './opaque-node.js';

export default defineExtension({
  importers: {
    flowise: defineImporter({
      import(_ctx, input) {
        return rejectionOf(() => ({
          graphs: readFlows(input).map((flow) => (flow.kind === 'agentflow' ? convertAgentflow(flow) : convertChatflow(flow))),
          warnings: [],
        }));
      },
    }),
  },
  nodes: {
    [opaqueNodeType('flowise')]: flowisePlatformNode,
  },
});
