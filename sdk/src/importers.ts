/**
 * The importer contract and the helpers the bundled importers share: the import report, a
 * builder that gives imported nodes valid, unique ids and names, opaque platform nodes,
 * reference rewriting, and file parsing with errors that name what is wrong.
 */
import type { ExtensionContext, JsonObject } from './types.js';

/** Fidelity with which one source node was carried over. */
export type ImportStatus = 'mapped' | 'approximated' | 'opaque';

/**
 * Marks on a report entry:
 * - `carries-code`: the node contains code from the file. It was not run during the import.
 * - `needs-python-runtime`: the code is Python, which MIFY cannot run.
 * - `needs-credential`: bind a credential before the node can run.
 * - `needs-platform`: the node runs only by calling the original platform (opaque nodes).
 */
export type ImportFlag = 'carries-code' | 'needs-python-runtime' | 'needs-credential' | 'needs-platform';

/** A node of the source file as the report names it. */
export interface ImportSource {
  id: string;
  name: string;
  /** The platform's node type, such as `n8n-nodes-base.if` or `llm`. */
  type: string;
  /** The platform's version of the node type, when the file records one. */
  typeVersion?: string | number | null;
}

/** One source node in the report. */
export interface ImportReportEntry {
  source: ImportSource;
  /** Id of the MIFY node it became; null when it became part of another node or of the graph metadata. */
  nodeId: string | null;
  /** MIFY node type it became; null with `nodeId`. */
  nodeType: string | null;
  status: ImportStatus;
  /** Approximated: each difference. Opaque: why there is no mapping. Mapped: usually empty. */
  notes: string[];
  flags: ImportFlag[];
}

/** A credential the source node used, left for the user to bind in MIFY. */
export interface CredentialReference {
  nodeId: string;
  nodeName: string;
  /** Parameter of the MIFY node that takes the credential name or id. */
  parameter: string;
  /** The platform's credential type, such as `openAiApi`. */
  platformType: string;
  /** The credential's name in the source file; the MIFY parameter is preset to it. */
  platformName: string | null;
  /** MIFY credential types that fit, such as `mify.io.http-bearer`. */
  suggestedTypes: string[];
}

/** A cron schedule the graph had on its platform; the kernel stores it as a schedule hint. */
export interface ImportScheduleHint {
  cron: string;
  timezone?: string;
  description?: string;
}

/** Report of an import: the outcome for every node of the file. */
export interface ImportReport {
  platform: string;
  /** Kind of file read, such as `n8n workflow` or `Dify DSL 0.1.2 (workflow app)`. */
  format: string;
  /** Format version of the file, such as the Dify DSL `version`; null when the format has none. */
  sourceVersion: string | null;
  nodes: ImportReportEntry[];
  credentials: CredentialReference[];
  scheduleHints: ImportScheduleHint[];
  /** Sticky notes and other annotations carried over. */
  stickyNotes: number;
  /** Things outside single nodes, such as a connection that could not be kept. */
  warnings: string[];
  counts: Record<ImportStatus, number>;
}

/** Node of an imported graph, in the shape of the kernel's graph document. */
export interface ImportedNode {
  id: string;
  type: string;
  typeVersion: number;
  name: string;
  parameters: Record<string, unknown>;
  position: { x: number; y: number };
  disabled?: boolean;
  notes?: string;
  settings?: {
    retry?: { maxAttempts: number; backoffMs?: number };
    onError?: 'fail' | 'continue' | 'errorOutput';
    runOnEmptyInput?: boolean;
    timeoutMs?: number;
  };
}

/** Edge of an imported graph. */
export interface ImportedEdge {
  from: { node: string; port: string };
  to: { node: string; port: string };
}

/** Sticky note of an imported graph. */
export interface ImportedStickyNote {
  id: string;
  content: string;
  position: { x: number; y: number };
  size?: { width: number; height: number };
  color?: string;
}

/** The graph document of an import, which the kernel validates and saves as a draft. */
export interface ImportedGraphDefinition {
  nodes: ImportedNode[];
  edges: ImportedEdge[];
  stickyNotes?: ImportedStickyNote[];
  /** Node id → items used instead of running the node, such as n8n's pinned data. */
  pinnedData?: Record<string, Array<{ json: Record<string, unknown> }>>;
  settings?: { variables?: Record<string, unknown>; maxIterations?: number; timeoutMs?: number };
}

/** One graph read from the file, with its report. */
export interface ImportedGraph {
  name: string;
  description?: string;
  definition: ImportedGraphDefinition;
  report: ImportReport;
}

/** Input of {@link ImporterImplementation.import}: one file exported from another platform. */
export interface ImportInput {
  fileName: string;
  /** File content as text. */
  content: string;
  /** Import a file whose format version is newer than the importer supports. */
  confirmNewerVersion?: boolean;
}

/**
 * A file the importer cannot read. The kernel responds with 422 and the message. Codes:
 * `invalid_file` (not parseable or not a workflow), `wrong_platform` (a file of another
 * platform), `unsupported_version` (too new; retry with `confirmNewerVersion`), `empty_workflow`.
 */
export interface ImportRejection {
  error: { code: string; message: string };
}

/** Result of {@link ImporterImplementation.import}: one graph per workflow in the file, or a rejection. */
export type ImportOutput = { graphs: ImportedGraph[]; warnings: string[] } | ImportRejection;

/** Input of {@link ImporterImplementation.export}. */
export interface ExportInput {
  name: string;
  definition: ImportedGraphDefinition;
}

/** Result of {@link ImporterImplementation.export}: the file in the platform's format, or a rejection. */
export type ExportOutput = { fileName: string; mediaType: string; content: string } | ImportRejection;

/**
 * Implementation of an importer, keyed by its platform in `defineExtension({ importers })`.
 * `import` runs in the sandbox and must never run code found in the file. `export`, when
 * present, writes a graph back in the platform's format.
 */
export interface ImporterImplementation {
  import(ctx: ExtensionContext, input: ImportInput): ImportOutput | Promise<ImportOutput>;
  export?(ctx: ExtensionContext, input: ExportInput): ExportOutput | Promise<ExportOutput>;
}

/** Thrown inside an importer for a file it cannot read; {@link rejectionOf} turns it into an {@link ImportRejection}. */
export class ImportFileError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

/**
 * Runs an import step and returns an {@link ImportRejection} for an {@link ImportFileError}.
 * Other errors propagate, so a bug in an importer fails the call instead of looking like a bad file.
 *
 * @example
 * import(ctx, input) {
 *   return rejectionOf(() => convert(parseJsonFile(input, 'n8n')));
 * }
 */
export function rejectionOf<T>(step: () => T): T | ImportRejection {
  try {
    return step();
  } catch (error) {
    if (error instanceof ImportFileError) return { error: { code: error.code, message: error.message } };
    throw error;
  }
}

/** Describes the start of a text for error messages: its first characters, shortened. */
function preview(text: string): string {
  const start = text.trimStart().slice(0, 40).replace(/\s+/g, ' ');
  return JSON.stringify(start + (text.trimStart().length > 40 ? '…' : ''));
}

/**
 * Parses a JSON export and names what is wrong when it is not JSON: YAML given to a JSON
 * importer, truncated text, or an empty file.
 *
 * @example
 * const workflow = parseJsonFile(input, 'n8n'); // throws ImportFileError('invalid_file', …)
 */
export function parseJsonFile(input: ImportInput, platform: string): unknown {
  const text = input.content.replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new ImportFileError('invalid_file', `File '${input.fileName}' is empty; export the ${platform} workflow again.`);

  try {
    return JSON.parse(text);
  } catch (error) {
    const start = text.trimStart();
    if (!start.startsWith('{') && !start.startsWith('[') && /^[\w"'-]+\s*:/m.test(start)) {
      throw new ImportFileError('invalid_file', `File '${input.fileName}' looks like YAML, but the ${platform} importer reads JSON exports (it starts with ${preview(text)}). Dify DSL files go to the dify importer.`);
    }
    const reason = (error as Error).message;
    const position = Number(/at position (\d+)/.exec(reason)?.[1] ?? -1);
    const truncated = /end of (JSON )?input|Unterminated/i.test(reason) || position >= text.trimEnd().length;
    throw new ImportFileError(
      'invalid_file',
      `File '${input.fileName}' is not valid JSON${truncated ? ' because it ends too early (is it truncated?)' : ''}: ${reason}. Export the ${platform} workflow again and upload the whole file.`,
    );
  }
}

/** Returns whether a value is a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Guesses which platform produced a parsed export, for the studio's auto-detection and for
 * `wrong_platform` errors. Returns null when no platform matches.
 *
 * @example
 * detectPlatform({ nodes: [], connections: {} }); // 'n8n'
 */
export function detectPlatform(file: unknown): 'n8n' | 'dify' | 'flowise' | 'langflow' | null {
  if (!isObject(file)) return null;
  if (isObject(file.workflow) && (file.kind === 'app' || isObject(file.app))) return 'dify';
  if (isObject(file.app) && typeof file.version === 'string') return 'dify';
  if (Array.isArray(file.nodes) && isObject(file.connections)) return 'n8n';
  if (isObject(file.data) && (Array.isArray(file.data.nodes) || isObject(file.data.node))) return 'langflow';
  if (file.type === 'genericNode' && isObject(file.data)) return 'langflow';
  if (Array.isArray(file.nodes) && Array.isArray(file.edges)) {
    const first = file.nodes.find(isObject) as Record<string, unknown> | undefined;
    if (first && (first.type === 'genericNode' || first.type === 'noteNode')) return 'langflow';
    return 'flowise';
  }
  for (const key of ['Chatflows', 'AgentFlows', 'AgentFlowV2', 'AssistantFlows']) if (Array.isArray(file[key])) return 'flowise';
  return null;
}

/** Throws `wrong_platform` when a parsed file clearly comes from a platform other than `expected`. */
export function assertPlatform(file: unknown, expected: string, fileName: string): void {
  const found = detectPlatform(file);
  if (found === null || found === expected) return;
  throw new ImportFileError('wrong_platform', `File '${fileName}' looks like a ${found} export, not a ${expected} one; import it with the ${found} importer.`);
}

/** Node type id of the opaque node that stands for a platform node with no MIFY counterpart. */
export function opaqueNodeType(platform: string): string {
  return `mify.platform.${platform}.node`;
}

/** Input and output ports of every opaque platform node type, so any source wiring fits. */
export const OPAQUE_INPUT_PORTS = ['main', 'input1', 'input2', 'input3'] as const;
export const OPAQUE_OUTPUT_PORTS = ['main', 'output1', 'output2', 'output3', 'output4', 'output5', 'output6', 'output7'] as const;

/** Maps a zero-based port index of the source to an opaque node's port name. */
export function opaquePort(direction: 'input' | 'output', index: number): string | null {
  const ports = direction === 'input' ? OPAQUE_INPUT_PORTS : OPAQUE_OUTPUT_PORTS;
  return ports[index] ?? null;
}

const NODE_ID_INVALID = /[^A-Za-z0-9_-]/g;
const MAX_NODE_ID = 64;
const MAX_NODE_NAME = 200;

/** A node to add with {@link ImportGraphBuilder.addNode}. */
export interface NodeSpec {
  source: ImportSource;
  type: string;
  typeVersion?: number;
  /** Defaults to the source name. */
  name?: string;
  parameters: Record<string, unknown>;
  position: { x: number; y: number };
  status: ImportStatus;
  notes?: string[];
  flags?: ImportFlag[];
  disabled?: boolean;
  description?: string;
  settings?: ImportedNode['settings'];
}

/**
 * Collects the nodes, edges and report of one imported graph. It keeps node ids valid for
 * MIFY (letters, digits, `-` and `_`, at most 64) and ids and names unique, and it remembers
 * which MIFY node each source node became.
 *
 * @example
 * const builder = new ImportGraphBuilder('n8n', 'n8n workflow', null);
 * const id = builder.addNode({ source, type: 'mify.control.route-if', parameters, position, status: 'mapped' });
 * builder.connect(source.id, 'true', 'other-node', 'main');
 * return builder.build('My workflow');
 */
export class ImportGraphBuilder {
  readonly nodes: ImportedNode[] = [];
  readonly edges: ImportedEdge[] = [];
  readonly stickyNotes: ImportedStickyNote[] = [];
  readonly entries: ImportReportEntry[] = [];
  readonly credentials: CredentialReference[] = [];
  readonly scheduleHints: ImportScheduleHint[] = [];
  readonly warnings: string[] = [];
  readonly variables: Record<string, unknown> = {};
  readonly pinnedData: Record<string, Array<{ json: Record<string, unknown> }>> = {};
  private readonly bySource = new Map<string, ImportedNode>();
  private readonly ids = new Set<string>();
  private readonly names = new Set<string>();

  constructor(readonly platform: string, readonly format: string, readonly sourceVersion: string | null) {}

  /** Adds a MIFY node for a source node and its report entry; returns the node. */
  addNode(spec: NodeSpec): ImportedNode {
    const node: ImportedNode = {
      id: this.uniqueId(spec.source.id),
      type: spec.type,
      typeVersion: spec.typeVersion ?? 1,
      name: this.uniqueName(spec.name ?? spec.source.name),
      parameters: spec.parameters,
      position: { x: finite(spec.position.x), y: finite(spec.position.y) },
    };
    if (spec.disabled) node.disabled = true;
    if (spec.description) node.notes = spec.description.slice(0, 10_000);
    if (spec.settings && Object.keys(spec.settings).length > 0) node.settings = spec.settings;

    this.nodes.push(node);
    this.bySource.set(spec.source.id, node);
    this.entries.push({ source: spec.source, nodeId: node.id, nodeType: node.type, status: spec.status, notes: spec.notes ?? [], flags: spec.flags ?? [] });
    return node;
  }

  /**
   * Adds a node that helps a source node's mapping, such as the split that turns an array
   * into items before a loop. It gets no report entry of its own: the note goes to the
   * source node's entry.
   */
  addHelperNode(ofSourceId: string, helperKey: string, node: Omit<ImportedNode, 'id'> & { id?: string }, note: string): ImportedNode {
    const added: ImportedNode = { ...node, id: this.uniqueId(node.id ?? `${ofSourceId}-${helperKey}`), name: this.uniqueName(node.name) };
    this.nodes.push(added);
    this.bySource.set(`${ofSourceId}#${helperKey}`, added);
    this.approximate(ofSourceId, note);
    return added;
  }

  /** Records a source node that became part of another node or of the graph metadata. */
  addAbsorbed(source: ImportSource, status: ImportStatus, notes: string[], intoSourceId?: string): void {
    const into = intoSourceId === undefined ? undefined : this.bySource.get(intoSourceId);
    this.entries.push({ source, nodeId: into?.id ?? null, nodeType: into?.type ?? null, status, notes, flags: [] });
  }

  /** Returns the MIFY node a source node became, if any. */
  nodeFor(sourceId: string): ImportedNode | undefined {
    return this.bySource.get(sourceId);
  }

  /** Returns the report entry of a source node. */
  entryFor(sourceId: string): ImportReportEntry | undefined {
    return this.entries.find((entry) => entry.source.id === sourceId);
  }

  /** Adds a note to the report entry of a source node, raising `mapped` to `approximated`. */
  approximate(sourceId: string, note: string): void {
    const entry = this.entryFor(sourceId);
    if (!entry) return;
    if (entry.status === 'mapped') entry.status = 'approximated';
    if (!entry.notes.includes(note)) entry.notes.push(note);
  }

  /** Connects two source nodes by their MIFY ports; a connection to a node that was not added becomes a warning. */
  connect(fromSourceId: string, fromPort: string, toSourceId: string, toPort: string): void {
    const from = this.bySource.get(fromSourceId);
    const to = this.bySource.get(toSourceId);
    if (!from || !to) {
      this.warnings.push(`The connection from '${fromSourceId}' to '${toSourceId}' was dropped because ${from ? `'${toSourceId}'` : `'${fromSourceId}'`} is not a node of the file.`);
      return;
    }
    const duplicate = this.edges.some((edge) => edge.from.node === from.id && edge.from.port === fromPort && edge.to.node === to.id && edge.to.port === toPort);
    if (!duplicate) this.edges.push({ from: { node: from.id, port: fromPort }, to: { node: to.id, port: toPort } });
  }

  /** Adds a credential reference and presets the node's credential parameter to the source credential's name. */
  addCredential(node: ImportedNode, reference: Omit<CredentialReference, 'nodeId' | 'nodeName'>): void {
    this.credentials.push({ nodeId: node.id, nodeName: node.name, ...reference });
    if (reference.platformName) node.parameters[reference.parameter] = reference.platformName;
    const entry = this.entries.find((candidate) => candidate.nodeId === node.id);
    if (entry && !entry.flags.includes('needs-credential')) entry.flags.push('needs-credential');
  }

  addStickyNote(note: Omit<ImportedStickyNote, 'id'> & { id?: string }): void {
    const id = this.uniqueId(note.id ?? `note-${this.stickyNotes.length + 1}`);
    this.stickyNotes.push({ ...note, id, content: note.content.slice(0, 100_000), position: { x: finite(note.position.x), y: finite(note.position.y) } });
  }

  /** Returns the graph and its report. */
  build(name: string, description?: string): ImportedGraph {
    const counts: Record<ImportStatus, number> = { mapped: 0, approximated: 0, opaque: 0 };
    for (const entry of this.entries) counts[entry.status]++;

    const definition: ImportedGraphDefinition = { nodes: this.nodes, edges: this.edges, stickyNotes: this.stickyNotes };
    if (Object.keys(this.variables).length > 0) definition.settings = { variables: this.variables };
    if (Object.keys(this.pinnedData).length > 0) definition.pinnedData = this.pinnedData;

    const report: ImportReport = {
      platform: this.platform,
      format: this.format,
      sourceVersion: this.sourceVersion,
      nodes: this.entries,
      credentials: this.credentials,
      scheduleHints: this.scheduleHints,
      stickyNotes: this.stickyNotes.length,
      warnings: this.warnings,
      counts,
    };
    const graph: ImportedGraph = { name: graphName(name), definition, report };
    if (description) graph.description = description.slice(0, 10_000);
    return graph;
  }

  private uniqueId(raw: string): string {
    const base = (raw.replace(NODE_ID_INVALID, '_') || 'node').slice(0, MAX_NODE_ID - 4);
    let id = base;
    for (let suffix = 2; this.ids.has(id); suffix++) id = `${base}_${suffix}`;
    this.ids.add(id);
    return id;
  }

  private uniqueName(raw: string): string {
    const base = (raw.trim() || 'Node').slice(0, MAX_NODE_NAME - 4);
    let name = base;
    for (let suffix = 2; this.names.has(name); suffix++) name = `${base} ${suffix}`;
    this.names.add(name);
    return name;
  }
}

function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 100) / 100 : 0;
}

function graphName(name: string): string {
  const trimmed = name.trim();
  return (trimmed === '' ? 'Imported workflow' : trimmed).slice(0, 200);
}

/**
 * Replaces every match of `pattern` (a global regular expression) in the strings of a JSON
 * value, recursing into arrays and objects. Keys stay as they are.
 *
 * @example
 * rewriteStrings({ text: 'Hi {{#1.name#}}' }, /\{\{#([^#]+)#\}\}/g, (_m, ref) => `{{ ${ref} }}`);
 */
export function rewriteStrings<T>(value: T, pattern: RegExp, replace: (match: string, ...groups: string[]) => string): T {
  if (typeof value === 'string') return value.replace(pattern, replace as (match: string, ...rest: unknown[]) => string) as T;
  if (Array.isArray(value)) return value.map((entry) => rewriteStrings(entry, pattern, replace)) as T;
  if (isObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) result[key] = rewriteStrings(entry, pattern, replace);
    return result as T;
  }
  return value;
}

/**
 * Returns a MIFY expression that reads a field of another node's first output item, such as
 * `$('Start').json["query"]`, for references like Dify's `{{#node.var#}}`.
 *
 * @example
 * nodeFieldExpression('Start', ['query']); // `$("Start").json["query"]`
 */
export function nodeFieldExpression(nodeName: string, path: string[]): string {
  return `$(${JSON.stringify(nodeName)}).json${path.map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `[${JSON.stringify(segment)}]`)).join('')}`;
}

/** Strips HTML tags that rich-text editors (Flowise agentflow v2) wrap around prompts, keeping line breaks. */
export function htmlToText(html: string): string {
  return html
    .replace(/<\/p>\s*<p>/gi, '\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Parameters of an opaque platform node: everything needed to call the original platform later. */
export function opaqueParameters(platformType: string, platformTypeVersion: string | number | null, original: JsonObject | Record<string, unknown>): Record<string, unknown> {
  return { platformType, platformTypeVersion: platformTypeVersion === null ? null : String(platformTypeVersion), original };
}
