import { newId } from '../auth/tokens.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import { toJsonb } from '../runtime/run-store.js';
import type { Database } from '../storage/database.js';
import type { Item } from './model.js';
import type { GraphActor } from './records.js';
import type { GraphService } from './service.js';

/** A saved input to start a graph with. */
export interface RunTemplate {
  id: string;
  graphId: string;
  name: string;
  input: Item[];
  createdBy: string | null;
  createdAt: Date;
}

/** Most templates one graph may have. */
export const MAX_TEMPLATES_PER_GRAPH = 200;

/**
 * Run templates of graphs: named inputs, unique by name within a graph. Every
 * statement filters by workspace, and the graph is looked up in the workspace
 * first, so another workspace's graph or template is reported as not found.
 */
export class RunTemplateService {
  constructor(private readonly deps: { db: Database; logger: Logger; graphService: Pick<GraphService, 'get'> }) {}

  /** Lists a graph's templates, oldest first. */
  async list(workspaceId: string, graphId: string): Promise<RunTemplate[]> {
    await this.deps.graphService.get(workspaceId, graphId);
    const rows = await this.deps.db.query<TemplateRow>(`select ${COLUMNS} from graph_run_templates where workspace_id = $1 and graph_id = $2 order by created_at, id limit $3`, [workspaceId, graphId, MAX_TEMPLATES_PER_GRAPH]);
    return rows.map(toTemplate);
  }

  /** @throws ConflictError when the graph has a template of that name, or has the most templates allowed. */
  async create(workspaceId: string, graphId: string, actor: GraphActor, input: { name: string; input: Item[] }): Promise<RunTemplate> {
    await this.deps.graphService.get(workspaceId, graphId);
    const [count] = await this.deps.db.query<{ count: string | number }>('select count(*) as count from graph_run_templates where workspace_id = $1 and graph_id = $2', [workspaceId, graphId]);
    if (Number(count?.count ?? 0) >= MAX_TEMPLATES_PER_GRAPH) throw new ConflictError(`Graph '${graphId}' already has ${MAX_TEMPLATES_PER_GRAPH} run templates, the most allowed; delete one first.`);

    const [row] = await this.deps.db.query<TemplateRow>(
      `insert into graph_run_templates (id, workspace_id, graph_id, name, input, created_by) values ($1, $2, $3, $4, $5::jsonb, $6)
       on conflict (graph_id, name) do nothing returning ${COLUMNS}`,
      [newId('rtpl'), workspaceId, graphId, input.name, toJsonb(input.input), actor.id],
    );
    if (!row) throw new ConflictError(`Graph '${graphId}' already has a run template named '${input.name}'; choose another name or delete that template first.`, { name: input.name });

    this.deps.logger.info({ workspaceId, graphId, templateId: row.id, actor: actor.id }, 'run template created');
    return toTemplate(row);
  }

  /** @throws NotFoundError for a graph or template of another workspace. */
  async get(workspaceId: string, graphId: string, templateId: string): Promise<RunTemplate> {
    await this.deps.graphService.get(workspaceId, graphId);
    const [row] = await this.deps.db.query<TemplateRow>(`select ${COLUMNS} from graph_run_templates where workspace_id = $1 and graph_id = $2 and id = $3`, [workspaceId, graphId, templateId]);
    if (!row) throw new NotFoundError('Run template', templateId);
    return toTemplate(row);
  }

  async delete(workspaceId: string, graphId: string, templateId: string): Promise<void> {
    await this.deps.graphService.get(workspaceId, graphId);
    const rows = await this.deps.db.query('delete from graph_run_templates where workspace_id = $1 and graph_id = $2 and id = $3 returning id', [workspaceId, graphId, templateId]);
    if (rows.length === 0) throw new NotFoundError('Run template', templateId);
    this.deps.logger.info({ workspaceId, graphId, templateId }, 'run template deleted');
  }
}

const COLUMNS = 'id, graph_id, name, input, created_by, created_at';

interface TemplateRow {
  id: string;
  graph_id: string;
  name: string;
  input: Item[];
  created_by: string | null;
  created_at: Date | string;
}

function toTemplate(row: TemplateRow): RunTemplate {
  return { id: row.id, graphId: row.graph_id, name: row.name, input: row.input, createdBy: row.created_by, createdAt: new Date(row.created_at) };
}
