/**
 * Schema of `mify.extension.json`, version 1. Cross-field rules that a schema cannot express
 * (unique node types, node types prefixed with the extension id, entry file matching the
 * runtime) live in `validateManifest`.
 */
import semver from 'semver';
import { z } from 'zod';

import { MOUNT_PATH_PATTERN, parsePermission, PERMISSION_FORMS, PERMISSIONS } from './permissions.js';

/** Extension ids: 2 to 6 lower-case dot-separated segments, such as `acme.crm-sync`. */
export const EXTENSION_ID_PATTERN = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*){1,5}$/;

const PORT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const FIELD_PATH_PATTERN = /^[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)*$/;
const COLLECTION_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const ROUTE_SEGMENT_PATTERN = /^(?:\.?[A-Za-z0-9_~-][A-Za-z0-9._~-]*|:[A-Za-z_][A-Za-z0-9_]*)$/;
const EXPORT_NAME_PATTERN = /^[A-Za-z_$][\w$]*$/;
const SEMVER_PATTERN = '^\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$';

/**
 * Adds a check to a string schema whose failure carries the expected form in
 * `params.expected`, so `validateManifest` can report it next to the rejected value.
 */
function format(expected: string, test: (value: string) => boolean, meta: Record<string, unknown> = {}) {
  return z
    .string()
    .refine(test, { params: { expected } })
    .meta(meta);
}

function nonEmpty(description: string) {
  return z.string().min(1).meta({ description });
}

/**
 * Checks that a path is relative, stays inside its folder and uses forward slashes, as the
 * manifest's `entry` must.
 *
 * @example
 * isRelativeInnerPath('dist/index.js'); // true
 * isRelativeInnerPath('../index.js'); // false
 */
export function isRelativeInnerPath(value: string): boolean {
  if (value === '' || value.startsWith('/') || value.includes('\\')) return false;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return false;

  const segments = value.split('/');
  return segments.every((segment, index) => segment !== '..' && segment !== '' && (segment !== '.' || index === 0));
}

// Checks that a route path is relative and made of plain segments and `:name` parameters.
function isRoutePath(value: string): boolean {
  // '' and '/' name the mount's own path; manifest-rules rejects them on a route without a mount.
  if (value === '' || value === '/') return true;
  if (value.startsWith('/')) return false;

  const segments = value.replace(/\/$/, '').split('/');
  return segments.every((segment) => segment !== '.' && ROUTE_SEGMENT_PATTERN.test(segment));
}

const semverVersion = format('a semver version such as 1.0.0', (value) => semver.valid(value) === value, {
  description: 'Semantic version, such as 1.0.0.',
  pattern: SEMVER_PATTERN,
});

const semverRange = format('a semver range such as ^1.0.0', (value) => value.trim() !== '' && semver.validRange(value) !== null, {
  description: 'Semantic-version range, such as ^1.0.0.',
});

const exportName = format('an exported function name such as text_stats', (value) => EXPORT_NAME_PATTERN.test(value), {
  pattern: EXPORT_NAME_PATTERN.source,
});

/** A JSON Schema that describes an object, such as node parameters or a settings form. */
export const objectJsonSchema = z
  .looseObject({ type: z.literal('object') })
  .meta({ description: 'JSON Schema of an object: its root must have "type": "object".' });

const port = z.union([
  format('a port name such as main', (value) => PORT_NAME_PATTERN.test(value), { pattern: PORT_NAME_PATTERN.source }),
  z.strictObject({
    name: format('a port name such as main', (value) => PORT_NAME_PATTERN.test(value), { pattern: PORT_NAME_PATTERN.source }),
    label: z.string().optional(),
    required: z.boolean().optional().meta({ description: 'Whether the node needs items on this port before it runs.' }),
  }),
]);

const ports = z
  .array(port)
  .default(['main'])
  .meta({ description: 'Port names, or objects { name, label?, required? }. Defaults to ["main"].' });

export const nodeContributionSchema = z.strictObject({
  type: nonEmpty('Node type id, starting with the extension id and a dot, such as acme.crm-sync.upsert-contact.'),
  typeVersion: z.number().int().min(1).meta({ description: 'Version of the node type. Old versions stay declared beside new ones.' }),
  name: nonEmpty('Display name in the node palette.'),
  description: z.string().meta({ description: 'One or two sentences shown in the node palette.' }),
  category: nonEmpty('Palette category, such as Transform or AI.'),
  icon: z.string().optional(),
  inputs: ports,
  outputs: ports,
  parameters: objectJsonSchema.default({ type: 'object', properties: {} }),
  executionClass: z.enum(['deterministic', 'probabilistic', 'opaque']).meta({
    description: 'deterministic: same input, same output, so outputs may be cached. probabilistic: output varies (LLM calls). opaque: side effects or unknown behaviour.',
  }),
  docs: z.string().optional().meta({ description: 'Markdown documentation shown in the studio.' }),
  handler: exportName.optional().meta({ description: 'Name of the exported function that runs the node (wasm runtime).' }),
  control: z.enum(['merge', 'loop', 'subworkflow', 'trigger', 'wait']).optional().meta({
    description:
      'Executor semantics beyond running on the items received. merge: waits for every connected input (or the first, with parameter mode "first"). loop: may be re-entered through a back edge and receives its previous state. subworkflow: the executor runs another graph for it. trigger: starts a run and receives its input items. wait: may return { wait } to suspend the run until a timer, a decision or a resume through the API, and is called again with `resume` to produce its output.',
  }),
  credentials: z
    .array(z.strictObject({ type: nonEmpty('Credential type id.'), required: z.boolean().optional() }))
    .optional(),
});

export const routeContributionSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: format('a relative route path such as items/:id', isRoutePath, {
    description: 'Path relative to the mount (or /api/ext/<extension id>/ without one), such as items/:id. A segment may start with one dot, as in .well-known. "" or "/" serves the mount path itself, such as POST /api/forms, and needs a mount.',
  }),
  mount: format('a top-level base path such as /api/workflow-endpoints', (value) => MOUNT_PATH_PATTERN.test(value), {
    description:
      'Top-level base path the route is served under instead of /api/ext/<extension id>, such as /api/workflow-endpoints. Needs the permission routes:mount:<mount>. The kernel rejects the extension at load time when a kernel route or another extension already uses the path.',
    pattern: MOUNT_PATH_PATTERN.source,
  }).optional(),
  auth: z.enum(['public', 'optional', 'user', 'workspace']).meta({
    description:
      'public: no sign-in, and the route sees no workspace. optional: no sign-in needed, but a request with an API key or a session runs in that caller\'s workspace. user: any signed-in user. workspace: a member of the workspace in the request.',
  }),
  access: z.enum(['read', 'write', 'manage']).optional().meta({ description: 'Access the caller needs in the workspace when auth is workspace.' }),
  summary: nonEmpty('One line for the OpenAPI document.'),
  handler: exportName.optional().meta({ description: 'Name of the exported function that serves the route (wasm runtime).' }),
});

export const triggerContributionSchema = z.strictObject({
  type: nonEmpty('Trigger type id.'),
  name: nonEmpty('Display name.'),
  description: z.string(),
  parameters: objectJsonSchema.default({ type: 'object', properties: {} }),
});

export const importerContributionSchema = z.strictObject({
  platform: nonEmpty('Platform whose exports the importer reads, such as n8n or flowise.'),
  name: nonEmpty('Display name.'),
  fileTypes: z.array(z.string().min(1)).min(1).meta({ description: 'File extensions or media types, such as .json.' }),
});

export const credentialTypeContributionSchema = z.strictObject({
  type: nonEmpty('Credential type id.'),
  name: nonEmpty('Display name.'),
  fields: objectJsonSchema,
  docs: z.string().optional().meta({ description: 'Markdown shown next to the credential form.' }),
});

export const providerContributionSchema = z.strictObject({
  id: nonEmpty('Provider id.'),
  kind: z.enum(['llm', 'embedding', 'image', 'speech']),
  name: nonEmpty('Display name.'),
  models: z.array(z.string().min(1)).optional(),
});

export const panelContributionSchema = z.strictObject({
  id: nonEmpty('Panel id.'),
  title: nonEmpty('Panel title.'),
  location: z.enum(['graph-settings', 'workspace-settings', 'sidebar']),
  schema: z
    .looseObject({ kind: z.enum(['form', 'table', 'chart', 'markdown']) })
    .meta({ description: 'Declarative panel description rendered by the studio. Keys beside kind depend on the kind.' }),
});

export const settingsContributionSchema = z.strictObject({
  id: nonEmpty('Settings page id.'),
  title: nonEmpty('Settings page title.'),
  schema: objectJsonSchema,
});

export const collectionDeclarationSchema = z.strictObject({
  name: format('a collection name such as contacts (lower-case letters, digits, - and _)', (value) => COLLECTION_NAME_PATTERN.test(value), {
    pattern: COLLECTION_NAME_PATTERN.source,
  }),
  indexes: z
    .array(
      z.strictObject({
        fields: z
          .array(format('a JSON field name or dotted path such as address.city', (value) => FIELD_PATH_PATTERN.test(value), { pattern: FIELD_PATH_PATTERN.source }))
          .min(1),
        unique: z.boolean().optional(),
      }),
    )
    .optional(),
});

export const manifestSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema, for editors.' }),
    id: format('a lower-case dotted id such as acme.crm-sync (2 to 6 segments of a-z, 0-9 and -)', (value) => EXTENSION_ID_PATTERN.test(value), {
      description: 'Extension id, such as acme.crm-sync.',
      pattern: EXTENSION_ID_PATTERN.source,
    }),
    version: semverVersion,
    name: nonEmpty('Display name.'),
    description: z.string(),
    author: z.string().optional(),
    license: z.string().optional().meta({ description: 'SPDX license expression, such as MIT.' }),
    homepage: z.url({ protocol: /^https?$/ }).optional(),
    icon: z.string().optional(),
    engines: z.strictObject({ mify: semverRange }),
    runtime: z.enum(['isolate', 'wasm']).meta({
      description: 'isolate: a bundled JavaScript file run in a V8 isolate. wasm: an Extism WebAssembly plugin.',
    }),
    entry: format('a relative path inside the extension such as dist/index.js', isRelativeInnerPath, {
      description: 'Entry file, relative to the manifest, such as dist/index.js or dist/plugin.wasm.',
    }),
    permissions: z
      .array(
        z
          .string()
          .superRefine((value, context) => {
            const parsed = parsePermission(value);
            if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message, params: { expected: PERMISSION_FORMS, message: parsed.message } });
          })
          .meta({ pattern: `^(?:${PERMISSIONS.join('|')}|http:fetch:\\S+|routes:mount:/api/\\S+)$` }),
      )
      .default([])
      .meta({ description: 'Host API permissions. Every call outside them is denied.' }),
    limits: z
      .strictObject({
        memoryLimitMb: z.number().int().min(1).max(512).optional().meta({ description: 'Sandbox memory limit in MiB.' }),
        timeoutMs: z.number().int().min(1).max(60_000).optional().meta({ description: 'Time limit of one call in milliseconds.' }),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(64)
          .optional()
          .meta({ description: 'Calls of an isolate extension that may run at once, each in an isolate of its own (default 2). A call that awaits a host call keeps its isolate, so routes that run graphs need more. WASM extensions run one call at a time.' }),
      })
      .optional(),
    collections: z.array(collectionDeclarationSchema).optional(),
    contributes: z
      .strictObject({
        nodes: z.array(nodeContributionSchema).optional(),
        routes: z.array(routeContributionSchema).optional(),
        triggers: z.array(triggerContributionSchema).optional(),
        importers: z.array(importerContributionSchema).optional(),
        credentialTypes: z.array(credentialTypeContributionSchema).optional(),
        providers: z.array(providerContributionSchema).optional(),
        panels: z.array(panelContributionSchema).optional(),
        settings: z.array(settingsContributionSchema).optional(),
      })
      .default({}),
  })
  .meta({ title: 'MIFY extension manifest', description: 'mify.extension.json, version 1.' });

/** A validated manifest, with defaults applied (ports, parameters, permissions, contributes). */
export type ExtensionManifest = z.output<typeof manifestSchema>;
/** A manifest as written in `mify.extension.json`, before defaults are applied. */
export type ExtensionManifestInput = z.input<typeof manifestSchema>;

export type NodeContribution = z.output<typeof nodeContributionSchema>;
export type NodePort = NodeContribution['inputs'][number];
export type RouteContribution = z.output<typeof routeContributionSchema>;
export type TriggerContribution = z.output<typeof triggerContributionSchema>;
export type ImporterContribution = z.output<typeof importerContributionSchema>;
export type CredentialTypeContribution = z.output<typeof credentialTypeContributionSchema>;
export type ProviderContribution = z.output<typeof providerContributionSchema>;
export type PanelContribution = z.output<typeof panelContributionSchema>;
export type SettingsContribution = z.output<typeof settingsContributionSchema>;
export type CollectionDeclaration = z.output<typeof collectionDeclarationSchema>;
export type ExecutionClass = NodeContribution['executionClass'];
