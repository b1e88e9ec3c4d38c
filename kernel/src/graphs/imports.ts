import { z } from 'zod';
import type { ContributionRegistry } from '../extensions/contributions.js';
import type { ExtensionHost } from '../extensions/host.js';
import { MifyError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { scheduleHintSchema } from './metadata.js';
import type { GraphActor, GraphRecord } from './records.js';
import type { GraphService } from './service.js';

/** Platforms with a kernel route and CLI command; an importer extension must contribute each. */
export const IMPORT_PLATFORMS = ['n8n', 'flowise', 'dify', 'langflow'] as const;
export type ImportPlatform = (typeof IMPORT_PLATFORMS)[number];

/** Largest file an import accepts, in bytes of UTF-8 (10 MiB). Workflow exports are usually far smaller. */
export const MAX_IMPORT_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Largest request body of an import route, in bytes: the file as a JSON string can be up to
 * twice its size when it is full of quotes and backslashes, plus room for the other fields.
 */
export const MAX_IMPORT_BODY_BYTES = 2 * MAX_IMPORT_FILE_BYTES + 64 * 1024;

/** Message for a file past {@link MAX_IMPORT_FILE_BYTES}, shared by the body limit and the service. */
export function importTooLargeMessage(bytes: number | null): string {
  const size = bytes === null ? 'larger than' : `${bytes} bytes, more than`;
  return `The import file is ${size} the limit of ${MAX_IMPORT_FILE_BYTES} bytes (10 MiB). Split the export into smaller workflows, or remove pinned data and binary attachments from it.`;
}

const statusSchema = z.enum(['mapped', 'approximated', 'opaque']);

export const importReportSchema = z.object({
  platform: z.string(),
  format: z.string(),
  sourceVersion: z.string().nullable(),
  nodes: z.array(
    z.object({
      source: z.object({ id: z.string(), name: z.string(), type: z.string(), typeVersion: z.union([z.string(), z.number()]).nullable().optional() }),
      nodeId: z.string().nullable(),
      nodeType: z.string().nullable(),
      status: statusSchema,
      notes: z.array(z.string()).describe('Approximated: what differs. Opaque: why there is no mapping.'),
      flags: z.array(z.enum(['carries-code', 'needs-python-runtime', 'needs-credential', 'needs-platform'])),
    }),
  ),
  credentials: z
    .array(
      z.object({
        nodeId: z.string(),
        nodeName: z.string(),
        parameter: z.string().describe('Parameter of the node that takes the credential name or id'),
        platformType: z.string(),
        platformName: z.string().nullable(),
        suggestedTypes: z.array(z.string()),
      }),
    )
    .describe('Credentials to bind: create a credential with the name given in the parameter, or change the parameter'),
  scheduleHints: z.array(scheduleHintSchema),
  stickyNotes: z.number().int(),
  warnings: z.array(z.string()),
  counts: z.object({ mapped: z.number().int(), approximated: z.number().int(), opaque: z.number().int() }),
});
export type ImportReport = z.infer<typeof importReportSchema>;

const importedGraphSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  definition: z.object({ nodes: z.array(z.unknown()), edges: z.array(z.unknown()) }).passthrough(),
  report: importReportSchema,
});

const importOutputSchema = z.union([
  z.object({ error: z.object({ code: z.string().regex(/^[a-z_]{1,64}$/), message: z.string().min(1).max(4_000) }) }),
  z.object({ graphs: z.array(importedGraphSchema), warnings: z.array(z.string()) }),
]);

const exportOutputSchema = z.union([
  z.object({ error: z.object({ code: z.string().regex(/^[a-z_]{1,64}$/), message: z.string().min(1).max(4_000) }) }),
  z.object({ fileName: z.string().min(1).max(255), mediaType: z.string().min(1), content: z.string() }),
]);

/** A file to import. */
export interface ImportFile {
  fileName: string;
  content: string;
  /** Name of the new graph; default: the workflow's name in the file. */
  name?: string;
  /** Accept a file whose format version is newer than the importer supports. */
  confirmNewerVersion?: boolean;
}

export interface ImportResult {
  graph: GraphRecord;
  report: ImportReport;
  /** Further graphs of a file with several workflows (a Flowise workspace export). */
  additionalGraphs: Array<{ graph: GraphRecord; report: ImportReport }>;
}

/** An import the file's content makes impossible; the message names what is wrong. */
export class ImportRejectedError extends MifyError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 422, message, details);
    this.name = 'ImportRejectedError';
  }
}

export interface GraphImportDeps {
  extensionHost: Pick<ExtensionHost, 'invoke'>;
  contributions: Pick<ContributionRegistry, 'list'>;
  graphService: Pick<GraphService, 'create' | 'get' | 'validate'>;
  logger: Logger;
}

/**
 * Imports workflow files of other platforms through the importer contributions of the
 * enabled extensions. The mapping runs in the extension's sandbox. This service checks the
 * result, validates every graph like a saved draft, and stores each one as a new graph.
 */
export class GraphImportService {
  constructor(private readonly deps: GraphImportDeps) {}

  /**
   * Maps the file and saves each graph in it as a new graph with the mapped definition as
   * its draft. Nothing is saved when any graph of the file is invalid.
   *
   * @throws ImportRejectedError (422) for a file that is too large, unreadable, of another platform or empty.
   */
  async importFile(workspaceId: string, actor: GraphActor, platform: string, file: ImportFile): Promise<ImportResult> {
    const importer = this.findImporter(platform, 'importers');
    const bytes = Buffer.byteLength(file.content, 'utf8');
    if (bytes > MAX_IMPORT_FILE_BYTES) throw new ImportRejectedError('import_file_too_large', importTooLargeMessage(bytes), { bytes, maxBytes: MAX_IMPORT_FILE_BYTES });
    if (file.content.trim() === '') throw new ImportRejectedError('invalid_file', `File '${file.fileName}' is empty; export the ${platform} workflow again and upload the file.`);

    const input = { fileName: file.fileName, content: file.content, confirmNewerVersion: file.confirmNewerVersion === true };
    const raw = await this.deps.extensionHost.invoke(importer.extensionId, { kind: 'importer', name: platform, input }, { workspaceId });
    const output = this.checkOutput(importOutputSchema, raw, importer.extensionId, 'import');
    if ('error' in output) throw new ImportRejectedError(output.error.code, output.error.message, { platform, fileName: file.fileName });
    if (output.graphs.length === 0) throw new ImportRejectedError('empty_workflow', `File '${file.fileName}' contains no ${platform} workflow to import.`);

    const prepared = output.graphs.map((imported, index) => {
      const validation = this.deps.graphService.validate(imported.definition);
      if (!validation.ok) {
        this.deps.logger.error({ workspaceId, platform, extensionId: importer.extensionId, problems: validation.problems.slice(0, 10) }, 'importer produced an invalid graph');
        throw new ValidationError(
          `The ${platform} importer (extension '${importer.extensionId}') produced an invalid graph '${imported.name}': ${validation.problems.slice(0, 3).map((problem) => problem.message).join(' ')} Report this with the file; nothing was saved.`,
          validation.problems.map((problem) => ({ path: `graphs[${index}]${problem.path.slice(1)}`, message: problem.message })),
        );
      }
      return imported;
    });

    const saved: Array<{ graph: GraphRecord; report: ImportReport }> = [];
    for (const [index, imported] of prepared.entries()) {
      const name = index === 0 && file.name ? file.name : imported.name;
      const graph = await this.deps.graphService.create(workspaceId, actor, {
        name,
        description: imported.description ?? `Imported from ${platform} file ${file.fileName}.`,
        tags: ['imported', platform],
        scheduleHints: imported.report.scheduleHints.slice(0, 20),
        definition: imported.definition,
      });
      saved.push({ graph, report: imported.report });
    }

    const [first, ...rest] = saved;
    this.deps.logger.info({ workspaceId, platform, graphIds: saved.map((entry) => entry.graph.id), counts: first!.report.counts }, 'workflow file imported');
    return { graph: first!.graph, report: first!.report, additionalGraphs: rest };
  }

  /**
   * Writes a graph's draft in a platform's format through the importer's `export` function.
   *
   * @throws ImportRejectedError (422) when the graph has nodes the platform format cannot express.
   */
  async exportGraph(workspaceId: string, graphId: string, platform: string): Promise<{ fileName: string; mediaType: string; content: string }> {
    const importer = this.findImporter(platform, 'exporters');
    const graph = await this.deps.graphService.get(workspaceId, graphId);
    const input = { name: graph.name, definition: graph.draft };
    const raw = await this.deps.extensionHost.invoke(importer.extensionId, { kind: 'exporter', name: platform, input }, { workspaceId });
    const output = this.checkOutput(exportOutputSchema, raw, importer.extensionId, 'export');
    if ('error' in output) throw new ImportRejectedError(output.error.code, output.error.message, { platform, graphId });
    return output;
  }

  private findImporter(platform: string, purpose: 'importers' | 'exporters'): { extensionId: string } {
    const importers = this.deps.contributions.list().importers;
    const importer = importers.find((entry) => entry.platform === platform);
    if (importer) return importer;

    const known = importers.map((entry) => entry.platform);
    throw new MifyError(
      'importer_not_found',
      404,
      `No enabled extension ${purpose === 'importers' ? 'imports' : 'exports'} ${platform} workflows${known.length > 0 ? ` (available: ${known.join(', ')})` : ''}; enable the extension mify.platform.${platform} with \`mify ext enable mify.platform.${platform}\`.`,
      { platform, available: known },
    );
  }

  private checkOutput<T>(schema: z.ZodType<T>, raw: unknown, extensionId: string, what: string): T {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const first = parsed.error.issues[0];
    throw new MifyError('invalid_importer_output', 502, `Extension '${extensionId}' returned an invalid ${what} result: ${first ? `${first.path.join('.') || '$'}: ${first.message}` : 'unknown shape'}.`, { extensionId });
  }
}
