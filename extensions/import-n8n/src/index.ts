/**
 * Entry of `mify.platform.n8n`: the n8n importer and exporter, and the platform node that
 * stands for n8n nodes without a MIFY counterpart.
 */
import { defineExtension, defineImporter, opaqueNodeType, rejectionOf } from '@mify/sdk';
import { exportWorkflow } from './export.js';
import { n8nPlatformNode } from './opaque-node.js';
import { convertWorkflow, readWorkflows } from './workflow.js';

export default defineExtension({
  importers: {
    n8n: defineImporter({
      import(_ctx, input) {
        return rejectionOf(() => ({ graphs: readWorkflows(input).map((workflow) => convertWorkflow(workflow, input.fileName)), warnings: [] }));
      },
      export(_ctx, input) {
        return exportWorkflow(input);
      },
    }),
  },
  nodes: {
    [opaqueNodeType('n8n')]: n8nPlatformNode,
  },
});
