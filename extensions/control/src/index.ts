/**
 * Entry of `mify.control`: manual trigger, routing, loops, merges, sub-workflows, waits and
 * no-op. Each node lives in its own module under nodes/, keyed here by the type its manifest
 * entry declares.
 */
import { defineExtension } from '@mify/sdk';
import { loopMap } from './nodes/loop-map.js';
import { manualTrigger } from './nodes/manual-trigger.js';
import { merge } from './nodes/merge.js';
import { noOp } from './nodes/no-op.js';
import { routeIf } from './nodes/route-if.js';
import { routeSwitch } from './nodes/route-switch.js';
import { subWorkflow } from './nodes/subworkflow.js';
import { wait } from './nodes/wait.js';

export default defineExtension({
  nodes: {
    'mify.control.route-if': routeIf,
    'mify.control.route-switch': routeSwitch,
    'mify.control.loop-map': loopMap,
    'mify.control.merge': merge,
    'mify.control.sub-workflow': subWorkflow,
    'mify.control.wait': wait,
    'mify.control.manual-trigger': manualTrigger,
    'mify.control.no-op': noOp,
  },
});
