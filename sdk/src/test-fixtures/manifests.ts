// Sample manifests shared by the SDK's tests.

/** Returns the manifest of an isolate extension that uses every contribution kind. */
export function fullIsolateManifest(): Record<string, unknown> {
  return {
    $schema: '../node_modules/@mify/sdk/schemas/mify.extension.schema.json',
    id: 'acme.crm-sync',
    version: '1.2.3',
    name: 'CRM sync',
    description: 'Keeps contacts in step with the Acme CRM.',
    author: 'Acme',
    license: 'MIT',
    homepage: 'https://example.com/crm-sync',
    icon: 'assets/icon.svg',
    engines: { mify: '^1.0.0' },
    runtime: 'isolate',
    entry: 'dist/index.js',
    permissions: ['collections:read', 'collections:write', 'credentials:read', 'http:fetch:api.example.com', 'http:fetch:*.example.com:8443', 'http:fetch:*'],
    limits: { memoryLimitMb: 64, timeoutMs: 5000 },
    collections: [{ name: 'contacts', indexes: [{ fields: ['email'], unique: true }, { fields: ['address.city', 'lastName'] }] }],
    contributes: {
      nodes: [
        {
          type: 'acme.crm-sync.upsert-contact',
          typeVersion: 1,
          name: 'Upsert contact',
          description: 'Creates or updates a CRM contact per item.',
          category: 'CRM',
          parameters: { type: 'object', properties: { credential: { type: 'string' } }, required: ['credential'] },
          executionClass: 'opaque',
          docs: '# Upsert contact\n\nMatches contacts by email.',
          credentials: [{ type: 'acme.crm-sync.api-key', required: true }],
        },
        {
          type: 'acme.crm-sync.upsert-contact',
          typeVersion: 2,
          name: 'Upsert contact',
          description: 'Creates or updates a CRM contact per item, with a fallback output.',
          category: 'CRM',
          inputs: ['main'],
          outputs: ['main', { name: 'failed', label: 'Failed', required: false }],
          parameters: { type: 'object' },
          executionClass: 'opaque',
        },
      ],
      routes: [
        { method: 'GET', path: 'contacts/:id', auth: 'workspace', access: 'read', summary: 'Read one contact.' },
        { method: 'DELETE', path: 'contacts/:id', auth: 'workspace', access: 'manage', summary: 'Delete one contact.' },
        { method: 'POST', path: 'webhooks/crm', auth: 'public', summary: 'Receive CRM change notifications.' },
      ],
      triggers: [{ type: 'acme.crm-sync.contact-changed', name: 'Contact changed', description: 'Starts a run per changed contact.', parameters: { type: 'object' } }],
      importers: [{ platform: 'acme-flows', name: 'Acme Flows', fileTypes: ['.json'] }],
      credentialTypes: [{ type: 'acme.crm-sync.api-key', name: 'Acme CRM API key', fields: { type: 'object', properties: { apiKey: { type: 'string' } } } }],
      providers: [{ id: 'acme-llm', kind: 'llm', name: 'Acme LLM', models: ['acme-1'] }],
      panels: [{ id: 'sync-status', title: 'Sync status', location: 'workspace-settings', schema: { kind: 'table', columns: ['contact', 'syncedAt'] } }],
      settings: [{ id: 'sync', title: 'Sync', schema: { type: 'object', properties: { intervalMinutes: { type: 'integer' } } } }],
    },
  };
}

/** Returns the manifest of a WebAssembly extension with one node. */
export function wasmManifest(): Record<string, unknown> {
  return {
    id: 'mify.sample-wasm',
    version: '1.0.0',
    name: 'Sample WASM',
    description: 'Counts characters of a text field.',
    engines: { mify: '>=1.0.0 <3.0.0' },
    runtime: 'wasm',
    entry: 'dist/plugin.wasm',
    permissions: [],
    limits: { memoryLimitMb: 16, timeoutMs: 2000 },
    contributes: {
      nodes: [
        {
          type: 'mify.sample-wasm.text-stats',
          typeVersion: 1,
          name: 'Text stats',
          description: 'Counts characters, words and lines.',
          category: 'Transform',
          parameters: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { field: { type: 'string' } } },
          executionClass: 'deterministic',
          handler: 'text_stats',
        },
      ],
    },
  };
}

/** Returns the smallest valid manifest. */
export function minimalManifest(): Record<string, unknown> {
  return {
    id: 'acme.minimal',
    version: '0.1.0-beta.1',
    name: 'Minimal',
    description: '',
    engines: { mify: '*' },
    runtime: 'isolate',
    entry: './index.mjs',
  };
}
