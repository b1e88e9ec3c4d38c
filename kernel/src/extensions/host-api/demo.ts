import { randomBytes } from 'node:crypto';
import { MifyError } from '../../errors.js';
import { storableText } from './arguments.js';
import { hashGrant } from './graphs-runs.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** The kernel's demo workspace behind `demo.*` (see DemoWorkspace). */
export interface HostDemoServices {
  /** Returns the demo graph of a starter template; throws `demo_disabled` or `template_not_found` (404). */
  graphFor(templateId: string): Promise<{ workspaceId: string; graphId: string; estimatedTokens: number }>;
  /** Whether MIFY_DEMO_RUNNER is on, and the token settings. */
  settings(): { enabled: boolean; dailyTokens: number; minTokensPerRun: number };
}

function demoServices(scope: HostCallScope, method: string): HostDemoServices {
  const services = scope.services.demo;
  if (!services) throw new MifyError('not_available', 501, `${method} is not available in this kernel: no demo workspace is configured.`);
  return services;
}

/** Creates a run grant of this extension for the template's demo graph, as `runs.grant` does for a member's graph. */
async function prepareDemo(scope: HostCallScope, templateId: string) {
  const demo = await demoServices(scope, 'demo.prepare').graphFor(templateId);
  const token = `rgr_${randomBytes(24).toString('base64url')}`;
  await scope.services.db.query(`insert into run_grants (token_hash, extension_id, workspace_id, graph_id) values ($1, $2, $3, $4)`, [hashGrant(token), scope.context.extensionId, demo.workspaceId, demo.graphId]);
  scope.logger.info({ workspaceId: demo.workspaceId, graphId: demo.graphId, templateId }, 'demo run grant created');
  return { grant: token, graphId: demo.graphId, estimatedTokens: demo.estimatedTokens };
}

/**
 * The public demo runner's access to the demo workspace. Both methods reject with
 * `demo_disabled` (404) unless the operator sets MIFY_DEMO_RUNNER=true.
 */
export const demoMethods: HostMethod[] = [
  defineHostMethod({
    name: 'demo.prepare',
    permission: 'demo:run',
    parameters: { templateId: storableText(64).min(1) },
    target: ({ templateId }) => templateId,
    run: ({ templateId }, scope) => prepareDemo(scope, templateId),
  }),
  defineHostMethod({
    name: 'demo.settings',
    permission: 'demo:run',
    parameters: {},
    run: async (_args, scope) => {
      const settings = demoServices(scope, 'demo.settings').settings();
      if (!settings.enabled) throw new MifyError('demo_disabled', 404, 'The public demo runner is off on this server; the operator enables it with MIFY_DEMO_RUNNER=true.');
      return { dailyTokens: settings.dailyTokens, minTokensPerRun: settings.minTokensPerRun };
    },
  }),
];
