/**
 * Reading a Dify DSL file: YAML parsing, the format checks, the version policy and the
 * rewriting of Dify's variable references into MIFY expressions.
 */
import { assertPlatform, detectPlatform, ImportFileError, isObject, nodeFieldExpression, type ImportInput } from '@mify/sdk';
import { parse } from 'yaml';

/** Highest DSL major version this importer reads without confirmation. Dify DSL versions so far are 0.x. */
export const SUPPORTED_MAJOR = 0;

export interface DifyNode {
  id: string;
  type?: string;
  parentId?: string;
  position?: { x?: number; y?: number };
  width?: number;
  height?: number;
  data: Record<string, unknown> & { type?: string; title?: string };
}

export interface DifyEdge {
  source: string;
  target: string;
  sourceHandle?: string;
  targetHandle?: string;
}

export interface DifyApp {
  name: string;
  description: string;
  mode: string;
  version: string;
  nodes: DifyNode[];
  edges: DifyEdge[];
  environmentVariables: Array<Record<string, unknown>>;
}

/** Parses and checks a DSL file; rejects other platforms, non-workflow apps and too new versions. */
export function readDsl(input: ImportInput): DifyApp {
  let file: unknown;
  try {
    file = parse(input.content, { maxAliasCount: 100 });
  } catch (error) {
    throw new ImportFileError('invalid_file', `File '${input.fileName}' is not valid YAML: ${(error as Error).message.split('\n')[0]}. Export the Dify app again (Export DSL) and upload the whole file.`);
  }
  assertPlatform(file, 'dify', input.fileName);
  if (!isObject(file) || detectPlatform(file) !== 'dify') {
    throw new ImportFileError('invalid_file', `File '${input.fileName}' is not a Dify DSL file: expected YAML with "kind: app", "app" and "workflow" sections, as Dify's Export DSL writes.`);
  }

  const version = String(file.version ?? '0.1.0');
  const major = Number(version.split('.')[0]);
  if (!Number.isFinite(major)) throw new ImportFileError('invalid_file', `File '${input.fileName}' has DSL version "${version}", which is not a version number such as 0.1.2.`);
  if (major > SUPPORTED_MAJOR && input.confirmNewerVersion !== true) {
    throw new ImportFileError('unsupported_version', `File '${input.fileName}' has Dify DSL version ${version}, a newer major version than this importer reads (${SUPPORTED_MAJOR}.x). Fields it does not know are left out; import it anyway by confirming (confirmNewerVersion: true, or --confirm-newer-version in the CLI).`);
  }

  const app = isObject(file.app) ? file.app : {};
  const mode = String(app.mode ?? 'workflow');
  const workflow = isObject(file.workflow) ? file.workflow : null;
  const graph = workflow && isObject(workflow.graph) ? workflow.graph : null;
  if (!graph) {
    const remedy = mode === 'workflow' || mode === 'advanced-chat' ? 'the file may be truncated, so export it again' : 'only workflow and chatflow (advanced-chat) apps can be imported';
    throw new ImportFileError('invalid_file', `File '${input.fileName}' is a Dify ${mode} app without a workflow graph; ${remedy}.`);
  }
  const nodes = Array.isArray(graph.nodes) ? graph.nodes : [];
  if (nodes.length === 0) throw new ImportFileError('empty_workflow', `File '${input.fileName}' has a Dify workflow without nodes; there is nothing to import.`);
  nodes.forEach((node, index) => {
    if (!isObject(node) || typeof node.id !== 'string' || !isObject(node.data)) throw new ImportFileError('invalid_file', `File '${input.fileName}': workflow node ${index} has no "id" and "data"; the DSL file is incomplete.`);
  });

  return {
    name: String(app.name ?? input.fileName.replace(/\.(ya?ml)$/i, '')),
    description: String(app.description ?? ''),
    mode,
    version,
    nodes: nodes as DifyNode[],
    edges: (Array.isArray(graph.edges) ? graph.edges : []).filter(isObject) as unknown as DifyEdge[],
    environmentVariables: (Array.isArray(workflow?.environment_variables) ? workflow.environment_variables : []).filter(isObject),
  };
}

/** Resolves Dify value selectors (`[nodeId, variable, …]`) to MIFY expressions. */
export class References {
  constructor(
    private readonly titles: Map<string, string>,
    private readonly startTitle: string | null,
    /** Iteration id → true, for `[iterationId, 'item']` inside an iteration body. */
    private readonly iterations: Set<string>,
  ) {}

  /** JavaScript expression (without braces) for a selector; null when the selector is empty. */
  expression(selector: unknown): string | null {
    if (!Array.isArray(selector) || selector.length < 2) return null;
    const [nodeId, ...path] = selector.map(String);
    if (nodeId === 'sys') return this.startTitle ? nodeFieldExpression(this.startTitle, path.map((segment) => segment)) : `$json[${JSON.stringify(path.join('_'))}]`;
    if (nodeId === 'env' || nodeId === 'conversation') return `$vars[${JSON.stringify(path.join('.'))}]`;
    if (this.iterations.has(nodeId!) && (path[0] === 'item' || path[0] === 'index')) return path[0] === 'item' ? '$json.item' : '$itemIndex';
    const title = this.titles.get(nodeId!);
    if (!title) return null;
    return nodeFieldExpression(title, path);
  }

  /** Rewrites `{{#node.var#}}` in a text into `{{ … }}` MIFY expressions; unknown nodes stay as they are. */
  text(text: unknown): string {
    return String(text ?? '').replace(/\{\{#([^#{}]+)#\}\}/g, (match, reference: string) => {
      const expression = this.expression(reference.split('.'));
      return expression ? `{{ ${expression} }}` : match;
    });
  }
}
