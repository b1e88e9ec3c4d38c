/**
 * Entry of `mify.demo-runner`: anonymous runs of starter templates under
 * /api/public-demo-run, in the demo workspace the kernel creates when MIFY_DEMO_RUNNER=true.
 */
import { defineExtension } from '@mify/sdk';
import { runEvents, runStatus, startRun } from './runs.js';

export default defineExtension({
  routes: {
    'POST start': { handle: startRun },
    'GET :runId/status': { handle: runStatus },
    'GET :runId/events': { handle: runEvents },
  },
});
