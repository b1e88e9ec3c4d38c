/**
 * Entry of `mify.platform.dify`: the Dify DSL importer and the platform node that stands
 * for Dify nodes without a MIFY counterpart.
 */
import { defineExtension, defineImporter, opaqueNodeType, rejectionOf } from '@mify/sdk';
import { readDsl } from './dsl.js';
import { convertApp } from './graph.js';
import { difyPlatformNode } from './opaque-node.js';

export default defineExtension({
  importers: {
    dify: defineImporter({
      import(_ctx, input) {
        return rejectionOf(() => ({ graphs: [convertApp(readDsl(input))], warnings: [] }));
      },
    }),
  },
  nodes: {
    [opaqueNodeType('dify')]: difyPlatformNode,
  },
});
