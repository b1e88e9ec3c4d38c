import { MifyError, ValidationError } from '../errors.js';
import type { ContributionRegistry } from '../extensions/contributions.js';
import type { LlmGateway } from '../llm/gateway.js';
import type { Logger } from '../logger.js';
import type { NodeTypeResolver } from '../runtime/types.js';
import { generateGraphJsonSchema } from './json-schema.js';
import type { MifyGraph } from './model.js';
import type { GraphActor, GraphRecord } from './records.js';
import type { GraphService } from './service.js';
import { validateGraph, type GraphProblem } from './validate.js';

/** Default and maximum model calls of one generation: the first reply and the repairs. */
export const DEFAULT_AI_BUILDER_ATTEMPTS = 3;
export const MAX_AI_BUILDER_ATTEMPTS = 5;

/** Maximum characters of the node catalogue in the system prompt; descriptions are cut first. */
const MAX_CATALOGUE_CHARS = 60_000;

/** Maximum validation problems sent back to the model in one repair request. */
const MAX_PROBLEMS_SENT = 30;

/** Caller name in the LLM gateway's logs. */
const GATEWAY_CALLER = 'kernel:ai-builder';

export interface AiBuilderRequest {
  prompt: string;
  provider?: string | undefined;
  model?: string | undefined;
  credential?: string | undefined;
  save: boolean;
  /** Name of the saved graph; default: the start of the prompt. */
  name?: string | undefined;
  maxAttempts: number;
}

export interface AiBuilderResult {
  graph: MifyGraph;
  /** Model calls made, the first reply included. */
  attempts: number;
  /** The saved graph, when `save` was set. */
  saved: GraphRecord | null;
}

/** One attempt as the failure reports it. */
interface AttemptProblems {
  attempt: number;
  problems: Array<{ path: string; message: string }>;
}

interface NodeContribution {
  type: string;
  typeVersion: number;
  name?: string;
  description?: string;
  inputs?: unknown[];
  outputs?: unknown[];
  parameters?: { properties?: Record<string, { type?: unknown; description?: unknown; enum?: unknown; default?: unknown }>; required?: string[] };
}

function portNames(ports: unknown[] | undefined): string[] {
  return (ports ?? []).map((port) => (typeof port === 'string' ? port : String((port as { name?: unknown }).name ?? 'main')));
}

/**
 * Describes one node type for the prompt: type, version, ports and each parameter with its
 * type, enum, default and description, cut to `descriptionChars`.
 */
function describeNode(node: NodeContribution, descriptionChars: number): string {
  const cut = (text: unknown): string => {
    if (typeof text !== 'string') return '';
    return text.length > descriptionChars ? `${text.slice(0, descriptionChars)}…` : text;
  };
  const required = new Set(node.parameters?.required ?? []);
  const parameters = Object.entries(node.parameters?.properties ?? {}).map(([name, schema]) => {
    const type = Array.isArray(schema.enum) ? `one of ${schema.enum.map((value) => JSON.stringify(value)).join('|')}` : String(schema.type ?? 'any');
    const fallback = schema.default === undefined ? '' : `, default ${JSON.stringify(schema.default)}`;
    return `    - ${name}${required.has(name) ? ' (required)' : ''}: ${type}${fallback}${descriptionChars > 0 && schema.description ? `. ${cut(schema.description)}` : ''}`;
  });
  return [
    `- ${node.type} (typeVersion ${node.typeVersion}) ${node.name ?? ''}: ${cut(node.description)}`,
    `    inputs: ${portNames(node.inputs).join(', ') || 'none'}; outputs: ${portNames(node.outputs).join(', ') || 'none'}`,
    ...parameters,
  ].join('\n');
}

/** Lists the active node types, shortening descriptions until the list fits MAX_CATALOGUE_CHARS. */
export function nodeCatalogue(nodes: NodeContribution[]): string {
  for (const descriptionChars of [200, 80, 0]) {
    const text = nodes.map((node) => describeNode(node, descriptionChars)).join('\n');
    if (text.length <= MAX_CATALOGUE_CHARS || descriptionChars === 0) return text.slice(0, MAX_CATALOGUE_CHARS);
  }
  return '';
}

function systemPrompt(catalogue: string): string {
  return [
    'You design workflow graphs for MIFY. Reply with one JSON object: a MifyGraph with nodes and edges, following the JSON Schema you are given.',
    'Rules:',
    '- Use only the node types listed below, with their typeVersion, and only the parameters they list.',
    '- Every node needs a unique id (letters, digits, - and _) and a unique name.',
    '- An edge connects { node, port } of an output to { node, port } of an input; ports are named as listed (usually main).',
    '- Parameters may use expressions such as {{ $json.field }} to read the current item.',
    '- Place nodes left to right with position { x, y }, 250 apart.',
    '',
    'Node types:',
    catalogue,
  ].join('\n');
}

/** Removes a Markdown code fence around a JSON reply, which some models add despite the schema. */
function stripFence(content: string): string {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(content);
  return fenced ? fenced[1]! : content;
}

function formatProblems(problems: GraphProblem[] | Array<{ path: string; message: string }>): Array<{ path: string; message: string }> {
  return problems.map((problem) => ({ path: problem.path, message: problem.message }));
}

/**
 * The AI builder: turns a request in natural language into a graph. It requests from a model
 * of the LLM gateway a graph as structured output (the MifyGraph JSON Schema), validates it with
 * the graph validator against the installed node types, and sends the problems back for a
 * repair until the graph is valid or the attempts are spent.
 */
export class AiBuilderService {
  constructor(
    private readonly deps: {
      gateway: Pick<LlmGateway, 'call'>;
      contributions: Pick<ContributionRegistry, 'list'>;
      nodeTypes: () => NodeTypeResolver;
      graphService: Pick<GraphService, 'create'>;
      logger: Logger;
    },
  ) {}

  /**
   * @throws ValidationError (422) when `model` is missing, or with the last problems when no
   * attempt produced a valid graph.
   */
  async generate(workspaceId: string, actor: GraphActor, request: AiBuilderRequest): Promise<AiBuilderResult> {
    if (!request.model) {
      throw new ValidationError('Missing model: name the model the builder asks, such as gpt-4.1-mini, and its provider unless the kernel has only one.', [{ path: 'model', message: 'required' }]);
    }

    const catalogue = nodeCatalogue(this.deps.contributions.list().nodes as unknown as NodeContribution[]);
    const { $schema: _dialect, ...graphSchema } = generateGraphJsonSchema();
    const messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = [
      { role: 'system', content: systemPrompt(catalogue) },
      { role: 'user', content: request.prompt },
    ];

    const history: AttemptProblems[] = [];
    for (let attempt = 1; attempt <= request.maxAttempts; attempt++) {
      const response = (await this.deps.gateway.call(
        'chat',
        {
          model: request.model,
          ...(request.provider ? { provider: request.provider } : {}),
          ...(request.credential ? { credential: request.credential } : {}),
          messages,
          responseSchema: graphSchema,
        },
        { workspaceId, callerExtensionId: GATEWAY_CALLER },
      )) as { message: { content: string } };
      const content = response.message.content;

      const problems = this.check(content);
      if (problems.graph) {
        this.deps.logger.info({ workspaceId, attempts: attempt, nodes: problems.graph.nodes.length }, 'ai builder generated a graph');
        const saved = request.save ? await this.deps.graphService.create(workspaceId, actor, { name: request.name ?? graphName(request.prompt), definition: problems.graph }) : null;
        return { graph: problems.graph, attempts: attempt, saved };
      }

      history.push({ attempt, problems: problems.list });
      messages.push({ role: 'assistant', content });
      messages.push({ role: 'user', content: repairRequest(problems.list) });
    }

    const last = history.at(-1)!;
    this.deps.logger.warn({ workspaceId, attempts: request.maxAttempts, problems: last.problems.length }, 'ai builder gave up: no valid graph');
    throw new MifyError(
      'graph_generation_failed',
      422,
      `The model did not produce a valid graph in ${request.maxAttempts} attempts. The last attempt had ${last.problems.length} problems, listed in errors. Rephrase the request, name the node types to use, or try a more capable model.`,
      { errors: last.problems, attempts: history },
    );
  }

  /** Parses and validates one reply; returns the graph or the problems to send back. */
  private check(content: string): { graph: MifyGraph; list: [] } | { graph: null; list: Array<{ path: string; message: string }> } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(stripFence(content));
    } catch (error) {
      return { graph: null, list: [{ path: '$', message: `the reply is not valid JSON (${error instanceof Error ? error.message : String(error)})` }] };
    }
    const validation = validateGraph(parsed, this.deps.nodeTypes());
    if (validation.ok) return { graph: validation.graph, list: [] };
    return { graph: null, list: formatProblems(validation.problems) };
  }
}

function repairRequest(problems: Array<{ path: string; message: string }>): string {
  const shown = problems.slice(0, MAX_PROBLEMS_SENT).map((problem) => `- ${problem.path}: ${problem.message}`);
  const more = problems.length > MAX_PROBLEMS_SENT ? `\n(and ${problems.length - MAX_PROBLEMS_SENT} more)` : '';
  return `The graph is invalid:\n${shown.join('\n')}${more}\nReply with the whole corrected graph as one JSON object.`;
}

/** Returns a graph name from the first line of the prompt, at most 80 characters. */
function graphName(prompt: string): string {
  const line = prompt.trim().split('\n')[0]!.trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line || 'Generated graph';
}
