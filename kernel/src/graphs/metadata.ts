import { z } from 'zod';
import { endpointSettingsSchema } from '../endpoints/endpoint-schemas.js';
import { graphDocumentBodySchema } from './json-schema.js';

/** Graph slugs: lower-case letters, digits and inner dashes, at most 64 characters. */
export const GRAPH_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** Maximum size of the graph metadata settings object as JSON, in bytes. */
export const MAX_GRAPH_SETTINGS_BYTES = 64 * 1024;

/** Fields that `PUT /api/graphs/:id` may change; everything else about a graph has its own route. */
export const GRAPH_METADATA_FIELDS = ['name', 'description', 'slug', 'tags', 'settings', 'endpointAuth', 'scheduleHints'] as const;

export const graphNameSchema = z.string().trim().min(1).max(200);
export const graphDescriptionSchema = z.string().max(10_000);
export const graphSlugSchema = z.string().regex(GRAPH_SLUG_PATTERN, 'expected 1-64 characters of a-z, 0-9 and dashes, not starting or ending with a dash');
export const graphTagsSchema = z
  .array(z.string().trim().min(1).max(64))
  .max(50)
  .transform((tags) => [...new Set(tags)])
  .describe('Labels for filtering the graph list; duplicates are dropped');

export const endpointAuthSchema = z.enum(['api_key', 'public']).describe('api_key: callers of the published graph send a workspace API key. public: anyone may call it.');

export const graphMetadataSettingsSchema = z
  .record(z.string(), z.unknown())
  .refine((settings) => JSON.stringify(settings).length <= MAX_GRAPH_SETTINGS_BYTES, `expected at most ${MAX_GRAPH_SETTINGS_BYTES} bytes of JSON`)
  .superRefine((settings, context) => {
    // The endpoint settings are read on every call of the published graph, so a wrong value is rejected when it is saved.
    if (settings.endpoint === undefined || settings.endpoint === null) return;
    const parsed = endpointSettingsSchema.safeParse(settings.endpoint);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      const path = ['endpoint', ...issue.path.map(String)];
      context.addIssue({ code: 'custom', path, message: `settings.${path.join('.')}: ${issue.message}` });
    }
  })
  .describe('Free-form graph metadata settings for the studio and integrations; the run settings live in the definition. `endpoint` is checked against the workflow endpoint settings.');

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const scheduleHintSchema = z.strictObject({
  cron: z
    .string()
    .trim()
    .regex(/^\S+(\s+\S+){4,5}$/, 'expected a cron expression of 5 fields (minute to weekday) or 6 (with seconds first)'),
  timezone: z.string().refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin').optional(),
  description: z.string().max(500).optional(),
});
export type ScheduleHint = z.infer<typeof scheduleHintSchema>;

export const scheduleHintsSchema = z.array(scheduleHintSchema).max(20).describe('Schedules the graph suggests to the scheduler; they start no runs by themselves');

function rejectUnknownFields(issue: { code?: string; keys?: string[] }, hint: string): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const keys = issue.keys ?? [];
  return `${keys.length === 1 ? 'field' : 'fields'} ${keys.map((key) => `'${key}'`).join(', ')} cannot be set here; allowed: ${GRAPH_METADATA_FIELDS.join(', ')}${hint}`;
}

/**
 * Changes to a graph's metadata. Fields left out stay as they are. `settings`
 * is merged key by key into the stored settings, and a key set to null is
 * removed. Unknown fields are rejected by name.
 */
export const graphMetadataPatchSchema = z.strictObject(
  {
    name: graphNameSchema.optional(),
    description: graphDescriptionSchema.optional(),
    slug: graphSlugSchema.nullable().optional().describe('Null removes the slug'),
    tags: graphTagsSchema.optional(),
    settings: graphMetadataSettingsSchema.optional().describe('Merged into the stored settings; a key set to null is removed'),
    endpointAuth: endpointAuthSchema.optional(),
    scheduleHints: scheduleHintsSchema.optional(),
  },
  { error: (issue) => rejectUnknownFields(issue as { code?: string; keys?: string[] }, '. Change the definition with PUT /api/graphs/{id}/definition and versions with the publish and archive routes.') },
);
export type GraphMetadataPatch = z.output<typeof graphMetadataPatchSchema>;

/** A new graph: its metadata and, optionally, a first draft definition. */
export const createGraphSchema = z.strictObject(
  {
    name: graphNameSchema,
    description: graphDescriptionSchema.optional(),
    slug: graphSlugSchema.optional(),
    tags: graphTagsSchema.optional(),
    settings: graphMetadataSettingsSchema.optional(),
    endpointAuth: endpointAuthSchema.optional(),
    scheduleHints: scheduleHintsSchema.optional(),
    definition: graphDocumentBodySchema.optional().describe('The first draft, a MifyGraph document; an empty graph when left out'),
  },
  { error: (issue) => rejectUnknownFields(issue as { code?: string; keys?: string[] }, ', definition') },
);
export type CreateGraphInput = z.output<typeof createGraphSchema>;
