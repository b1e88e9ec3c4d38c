import { z } from 'zod';
import { mifyGraphSchema } from './model.js';

/**
 * Generates the JSON Schema (draft 2020-12) of a graph document from
 * `mifyGraphSchema`, as committed in `sdk/schemas/mify.graph.schema.json` by
 * `kernel/scripts/generate-graph-schema.mjs`. It describes the input form, so
 * fields with defaults are optional. It checks the shape only: node types,
 * parameters, edges and cycles are checked by `validateGraph` against the
 * installed extensions.
 *
 * @example
 * fs.writeFileSync('mify.graph.schema.json', JSON.stringify(generateGraphJsonSchema(), null, 2) + '\n');
 */
export function generateGraphJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(mifyGraphSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'MifyGraph',
    description: 'A MIFY graph: nodes, edges between their ports, and run settings.',
    ...rest,
  };
}

/**
 * A request body that contains a graph document. It accepts any JSON object, so
 * that `validateGraph` can report every problem at once instead of the request
 * parser stopping at the first shape error, and carries the graph's JSON
 * Schema so the OpenAPI document still describes the expected form.
 */
export const graphDocumentBodySchema = z.looseObject({}).meta(graphDocumentMeta());

function graphDocumentMeta(): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = generateGraphJsonSchema();
  return schema;
}
