import { MifyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { normalizeWebhookPath, WEBHOOK_METHODS, WEBHOOK_NODE_TYPE, webhookSettingsSchema, type WebhookSettings } from './webhook-nodes.js';

/** The webhook node that handles a request, in the live version of its graph. */
export interface WebhookTarget {
  graphId: string;
  graphName: string;
  versionId: string;
  versionNumber: number;
  nodeId: string;
  nodeName: string;
  settings: WebhookSettings;
}

interface LiveWebhookRow {
  graph_id: string;
  graph_name: string;
  version_id: string;
  version_number: number;
  nodes: Array<{ id: string; name: string; type: string; disabled?: boolean; parameters?: Record<string, unknown> }>;
}

/** A webhook node whose path matches, with its parameters parsed or the reason they are invalid. */
type Candidate = Omit<WebhookTarget, 'settings'> & ({ settings: WebhookSettings; problem: null } | { settings: null; problem: string });

/**
 * Finds the webhook node that handles a path and method in a workspace. Only the live
 * version of each graph counts: the published version with the latest `publishedAt`, as
 * `GraphVersions` defines it. Drafts and archived versions never handle requests.
 */
export class WebhookRegistry {
  constructor(private readonly deps: { db: Database; logger: Logger }) {}

  /**
   * @throws MifyError `webhook_not_found` (404), `webhook_method_not_allowed` (405, with an
   * Allow header), `webhook_conflict` (409) when two webhook nodes handle the same path and
   * method, `webhook_invalid_settings` (500) when the matching node's parameters are invalid.
   */
  async find(workspace: { id: string; slug: string }, path: string, method: string): Promise<WebhookTarget> {
    const candidates = await this.candidates(workspace.id, path);
    if (candidates.length === 0) {
      throw new MifyError(
        'webhook_not_found',
        404,
        `No published graph of workspace '${workspace.slug}' has a webhook on path '${path}'. Add a webhook node with this path to a graph and publish it; drafts and archived versions do not receive requests.`,
        { path },
      );
    }

    const invalid = candidates.find((candidate) => candidate.problem !== null);
    if (invalid) {
      throw new MifyError(
        'webhook_invalid_settings',
        500,
        `The webhook node '${invalid.nodeName}' of graph '${invalid.graphName}' (${invalid.graphId}, version ${invalid.versionNumber}) has invalid parameters: ${invalid.problem}. Fix the node and publish the graph again.`,
        { path, graphId: invalid.graphId, nodeId: invalid.nodeId },
      );
    }

    const valid = candidates as Array<Candidate & { settings: WebhookSettings }>;
    const matching = valid.filter((candidate) => (candidate.settings.methods as string[]).includes(method));
    if (matching.length === 0) {
      const allowed = WEBHOOK_METHODS.filter((allowedMethod) => valid.some((candidate) => candidate.settings.methods.includes(allowedMethod)));
      throw Object.assign(
        new MifyError('webhook_method_not_allowed', 405, `The webhook on path '${path}' does not accept ${method}; send ${allowed.join(' or ')}, or add ${method} to the webhook node's methods and publish the graph.`, { path, allowed }),
        { headers: { allow: allowed.join(', ') } },
      );
    }

    if (matching.length > 1) throw conflict(path, method, matching);
    const { problem: _problem, ...target } = matching[0]!;
    return target;
  }

  /** Enabled webhook nodes of live versions in the workspace whose path is `path`. */
  private async candidates(workspaceId: string, path: string): Promise<Candidate[]> {
    // The containment test runs after DISTINCT ON picked each graph's live version, so an
    // older published version with a webhook is never used in place of a live one without.
    const rows = await this.deps.db.query<LiveWebhookRow>(
      `with live as (
         select distinct on (v.graph_id) v.graph_id, v.id, v.number, v.definition
         from graph_versions v
         where v.workspace_id = $1 and v.status = 'published'
         order by v.graph_id, v.published_at desc, v.number desc)
       select live.graph_id, g.name as graph_name, live.id as version_id, live.number as version_number, live.definition->'nodes' as nodes
       from live join graphs g on g.id = live.graph_id and g.workspace_id = $1
       where live.definition->'nodes' @> $2::jsonb
       order by live.graph_id`,
      [workspaceId, JSON.stringify([{ type: WEBHOOK_NODE_TYPE }])],
    );

    const candidates: Candidate[] = [];
    for (const row of rows) {
      for (const node of row.nodes) {
        if (node.type !== WEBHOOK_NODE_TYPE || node.disabled) continue;
        const parameters = node.parameters ?? {};
        if (typeof parameters.path !== 'string' || normalizeWebhookPath(parameters.path) !== path) continue;

        const base = { graphId: row.graph_id, graphName: row.graph_name, versionId: row.version_id, versionNumber: row.version_number, nodeId: node.id, nodeName: node.name };
        const parsed = webhookSettingsSchema.safeParse(parameters);
        if (parsed.success) {
          candidates.push({ ...base, settings: parsed.data, problem: null });
        } else {
          const problem = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'parameters'}: ${issue.message}`).join('; ');
          this.deps.logger.warn({ workspaceId, graphId: row.graph_id, nodeId: node.id, problem }, 'webhook node has invalid parameters');
          candidates.push({ ...base, settings: null, problem });
        }
      }
    }
    return candidates;
  }
}

function conflict(path: string, method: string, matching: WebhookTarget[]): MifyError {
  const graphs = matching.map((target) => ({ graphId: target.graphId, graphName: target.graphName, versionNumber: target.versionNumber, nodeName: target.nodeName }));
  const named = graphs.map((graph) => `'${graph.graphName}' (${graph.graphId}, node '${graph.nodeName}')`);
  const sameGraph = new Set(graphs.map((graph) => graph.graphId)).size === 1;
  const fix = sameGraph
    ? 'Give one of the nodes another path or other methods and publish the graph again.'
    : 'Change the path or methods of the webhook node in all but one of these graphs and publish it, or archive its live version with POST /api/graphs/<id>/archive.';
  return new MifyError('webhook_conflict', 409, `${method} ${path} is claimed by ${named.length} webhook nodes in live versions: ${named.join(' and ')}. ${fix}`, { path, method, graphs });
}
