import { MifyError } from '../errors.js';
import type { GraphService } from '../graphs/service.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { newId } from '../auth/tokens.js';
import { getStarterTemplate } from '../templates/starter-templates.js';

/** Settings of the public demo runner, from `MIFY_DEMO_*`. */
export interface DemoRunnerConfig {
  /** `MIFY_DEMO_RUNNER`: off by default, so no anonymous caller starts runs unless the operator allows it. */
  enabled: boolean;
  /** `MIFY_DEMO_WORKSPACE`: slug of the workspace, without members, that runs the demo graphs. */
  workspaceSlug: string;
  /** `MIFY_DEMO_DAILY_TOKENS`: model tokens all demo runs together may use per UTC day. */
  dailyTokens: number;
  /** `MIFY_DEMO_MIN_TOKENS_PER_RUN`: tokens every demo run counts at least, so runs without model calls are capped too. */
  minTokensPerRun: number;
}

/** The graph that runs one starter template in the demo workspace. */
export interface DemoGraph {
  workspaceId: string;
  graphId: string;
  templateId: string;
  /** The template's upper bound of model tokens per run. */
  estimatedTokens: number;
}

/** Time one process may hold the demo set-up lock, in milliseconds; creating a workspace and a graph takes well under it. */
const SETUP_LOCK_MS = 30_000;

/**
 * The demo workspace: created on first use with the slug from `MIFY_DEMO_WORKSPACE`, with no
 * members, and holding one published graph per starter template (tagged `template:<id>`),
 * also created on first use. Only starter templates can run there.
 */
export class DemoWorkspace {
  private readonly graphs = new Map<string, DemoGraph>();

  constructor(private readonly deps: { db: Database; logger: Logger; sharedState: SharedState; config: DemoRunnerConfig; graphService: () => GraphService }) {}

  /**
   * Returns the demo graph of a starter template, creating the workspace and the graph when missing.
   *
   * @throws MifyError `demo_disabled` (404) unless MIFY_DEMO_RUNNER=true, and `template_not_found` (404) for an id that is not a starter template.
   */
  async graphFor(templateId: string): Promise<DemoGraph> {
    if (!this.deps.config.enabled) throw new MifyError('demo_disabled', 404, 'The public demo runner is off on this server; the operator enables it with MIFY_DEMO_RUNNER=true.');
    const template = getStarterTemplate(templateId);
    const known = this.graphs.get(template.id);
    if (known) return known;

    // One process at a time creates, so concurrent first requests share one workspace and one graph.
    return this.deps.sharedState.locks.withLock('demo-workspace:setup', SETUP_LOCK_MS, async () => {
      const workspaceId = await this.ensureWorkspace();
      const graphService = this.deps.graphService();
      const tag = `template:${template.id}`;
      const existing = (await graphService.list(workspaceId, { tag, limit: 1 })).items[0];
      let graphId = existing?.id;
      if (!graphId) {
        const actor = { type: 'system' as const, id: 'demo-runner' };
        const graph = await graphService.create(workspaceId, actor, { name: template.name, description: template.description, tags: [tag], definition: template.graph });
        await graphService.publish(workspaceId, graph.id, actor);
        graphId = graph.id;
        this.deps.logger.info({ workspaceId, graphId, templateId: template.id }, 'demo graph created from a starter template');
      }
      const demoGraph = { workspaceId, graphId, templateId: template.id, estimatedTokens: template.estimatedTokens };
      this.graphs.set(template.id, demoGraph);
      return demoGraph;
    }, { waitMs: SETUP_LOCK_MS });
  }

  private async ensureWorkspace(): Promise<string> {
    const slug = this.deps.config.workspaceSlug;
    const [found] = await this.deps.db.query<{ id: string }>(`select id from workspaces where slug = $1`, [slug]);
    if (found) return found.id;

    const id = newId('ws');
    await this.deps.db.query(`insert into workspaces (id, slug, name) values ($1, $2, $3) on conflict (slug) do nothing`, [id, slug, 'Public demo']);
    const [created] = await this.deps.db.query<{ id: string }>(`select id from workspaces where slug = $1`, [slug]);
    this.deps.logger.info({ workspaceId: created!.id, slug }, 'demo workspace created');
    return created!.id;
  }
}
