import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MifyError } from '../errors.js';
import { mifyGraphSchema, type MifyGraph } from '../graphs/model.js';

/** `templates/starter/` of the repository; the same path from `src/` and `dist/`. */
export const STARTER_TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../templates/starter');

const starterTemplateSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,64}$/),
  name: z.string().min(1),
  description: z.string(),
  /** Upper bound of the model tokens one run uses; the demo runner reserves this many per run. */
  estimatedTokens: z.number().int().min(0),
  inputExample: z.record(z.string(), z.unknown()),
  graph: mifyGraphSchema,
});

/** A graph shipped with MIFY as a starting point: the source of `from-template` graphs and of the public demo runner. */
export interface StarterTemplate {
  id: string;
  name: string;
  description: string;
  estimatedTokens: number;
  inputExample: Record<string, unknown>;
  graph: MifyGraph;
}

let cache: Map<string, StarterTemplate> | null = null;

/**
 * Reads the starter templates, one JSON file each, once per process.
 *
 * @throws Error naming the file when a template is not valid, because a broken file is a defect of the installation.
 */
export function listStarterTemplates(): StarterTemplate[] {
  if (!cache) {
    const loaded = new Map<string, StarterTemplate>();
    for (const file of fs.readdirSync(STARTER_TEMPLATES_DIR).filter((name) => name.endsWith('.json')).sort()) {
      const parsed = starterTemplateSchema.safeParse(JSON.parse(fs.readFileSync(path.join(STARTER_TEMPLATES_DIR, file), 'utf8')));
      if (!parsed.success) throw new Error(`Starter template ${file} is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      loaded.set(parsed.data.id, parsed.data as StarterTemplate);
    }
    cache = loaded;
  }
  return [...cache.values()];
}

/** @throws MifyError `template_not_found` (404) listing the known template ids. */
export function getStarterTemplate(id: string): StarterTemplate {
  const template = listStarterTemplates().find((candidate) => candidate.id === id);
  if (template) return template;
  const known = listStarterTemplates().map((candidate) => candidate.id);
  throw new MifyError('template_not_found', 404, `Starter template '${id}' was not found; use one of ${known.join(', ')}.`, { templateId: id, known });
}
