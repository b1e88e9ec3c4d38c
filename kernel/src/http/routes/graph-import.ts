import { z } from 'zod';
import type { Principal } from '../../auth/identity.js';
import type { KernelServices } from '../../container.js';
import { GraphImportService, IMPORT_PLATFORMS, importReportSchema, MAX_IMPORT_FILE_BYTES } from '../../graphs/imports.js';
import { mifyGraphSchema } from '../../graphs/model.js';
import type { GraphActor } from '../../graphs/records.js';
import { defineRoute, type RouteSpec } from '../route.js';

const importBodySchema = z.strictObject({
  content: z.string().describe(`The exported file as text (JSON, or YAML for Dify), at most ${MAX_IMPORT_FILE_BYTES} bytes (10 MiB) of UTF-8`),
  fileName: z.string().trim().min(1).max(255).default('workflow').describe('Name of the uploaded file, used in messages'),
  name: z.string().trim().min(1).max(200).optional().describe("Name of the new graph; default: the workflow's name in the file"),
  confirmNewerVersion: z.boolean().default(false).describe('Import a file whose format version is newer than the importer supports (Dify DSL); without it such a file is rejected'),
});

const importedGraphSchema = z.looseObject({ id: z.string(), name: z.string(), draft: mifyGraphSchema }).describe('The new graph, with the mapped definition as its draft');
const importResultSchema = z.object({
  graph: importedGraphSchema,
  report: importReportSchema,
  additionalGraphs: z.array(z.object({ graph: importedGraphSchema, report: importReportSchema })).describe('Further graphs of a file with several workflows'),
});

function actorOf(principal: Principal): GraphActor {
  if (principal.type === 'api_key' && principal.apiKeyId) return { type: 'api_key', id: principal.apiKeyId };
  return { type: 'user', id: principal.userId ?? 'unknown' };
}

const PLATFORM_NAMES: Record<(typeof IMPORT_PLATFORMS)[number], string> = { n8n: 'n8n', flowise: 'Flowise', dify: 'Dify DSL', langflow: 'Langflow' };

/** Imports of other platforms' workflow files, one route per platform, and the export back to n8n. */
export function graphImportRoutes(services: () => KernelServices): RouteSpec[] {
  const imports = () => {
    const { extensionHost, contributions, graphService, logger } = services();
    return new GraphImportService({ extensionHost, contributions, graphService, logger });
  };

  const importRoutes = IMPORT_PLATFORMS.map((platform) =>
    defineRoute({
      method: 'post',
      path: `/api/graphs/import/${platform}`,
      operationId: `importGraph${platform[0]!.toUpperCase()}${platform.slice(1)}`,
      summary: `Import a ${PLATFORM_NAMES[platform]} export as a new graph and report how each node was mapped; a file that cannot be read is a 422 naming what is wrong`,
      tags: ['graphs'],
      auth: 'workspace',
      access: 'write',
      idempotent: true,
      body: importBodySchema,
      responses: {
        201: { description: 'The new graph (several for a file with several workflows) and the import report', schema: importResultSchema },
      },
      handler: async ({ principal, body }) => {
        const result = await imports().importFile(principal!.workspaceId, actorOf(principal!), platform, {
          fileName: body.fileName,
          content: body.content,
          confirmNewerVersion: body.confirmNewerVersion,
          ...(body.name !== undefined ? { name: body.name } : {}),
        });
        return { status: 201, body: result };
      },
    }),
  );

  return [
    ...importRoutes,
    defineRoute({
      method: 'get',
      path: '/api/graphs/:id/export/n8n',
      operationId: 'exportGraphN8n',
      summary: "Export a graph's draft as an n8n workflow JSON file; a 422 lists the nodes n8n has no counterpart for",
      tags: ['graphs'],
      auth: 'workspace',
      params: z.object({ id: z.string().describe('Graph id') }),
      responses: { 200: { description: 'The n8n workflow file', contentType: 'application/json', schema: z.looseObject({ name: z.string(), nodes: z.array(z.unknown()), connections: z.record(z.string(), z.unknown()) }) } },
      handler: async ({ principal, params }) => {
        const file = await imports().exportGraph(principal!.workspaceId, params.id, 'n8n');
        const asciiName = file.fileName.replace(/[^\w.-]/g, '_');
        return new Response(file.content, { status: 200, headers: { 'content-type': file.mediaType, 'content-disposition': `attachment; filename="${asciiName}"` } });
      },
    }),
  ];
}
