import { describe, expect, it } from 'vitest';

import type { ManifestProblem } from './json-path.js';
import { validateManifest } from './validate-manifest.js';
import { fullIsolateManifest, minimalManifest, wasmManifest } from './test-fixtures/manifests.js';

function errorsOf(input: unknown): ManifestProblem[] {
  const result = validateManifest(input);
  if (result.ok) throw new Error('expected the manifest to be invalid');
  return result.errors;
}

function errorAt(input: unknown, path: string): ManifestProblem {
  const errors = errorsOf(input);
  const error = errors.find((candidate) => candidate.path === path);
  if (!error) throw new Error(`no error at ${path}; errors: ${JSON.stringify(errors, null, 2)}`);
  return error;
}

function withNode(node: Record<string, unknown>): Record<string, unknown> {
  const manifest = wasmManifest();
  const base = (manifest.contributes as { nodes: Array<Record<string, unknown>> }).nodes[0]!;
  manifest.contributes = { nodes: [{ ...base, ...node }] };
  return manifest;
}

function withRoutes(routes: Array<Record<string, unknown>>): Record<string, unknown> {
  return { ...fullIsolateManifest(), contributes: { routes } };
}

describe('validateManifest with valid manifests', () => {
  it('accepts an isolate manifest using every contribution', () => {
    const result = validateManifest(fullIsolateManifest());
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('accepts a wasm manifest', () => {
    const result = validateManifest(wasmManifest());
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('accepts a minimal manifest and applies defaults', () => {
    const result = validateManifest(minimalManifest());
    if (!result.ok) throw new Error(JSON.stringify(result.errors));

    expect(result.manifest.permissions).toEqual([]);
    expect(result.manifest.contributes).toEqual({});
  });

  it('defaults node ports and parameters', () => {
    const result = validateManifest(fullIsolateManifest());
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const node = result.manifest.contributes.nodes![0]!;

    expect(node.inputs).toEqual(['main']);
    expect(node.outputs).toEqual(['main']);
  });

  it('keeps extra JSON Schema keys of parameters', () => {
    const result = validateManifest(fullIsolateManifest());
    if (!result.ok) throw new Error(JSON.stringify(result.errors));

    expect(result.manifest.contributes.nodes![0]!.parameters).toMatchObject({ required: ['credential'] });
  });

  it('accepts two versions of one node type', () => {
    const manifest = fullIsolateManifest();
    expect(validateManifest(manifest).ok).toBe(true);
  });
});

describe('validateManifest error paths and expected forms', () => {
  const cases: Array<{ name: string; change: (manifest: Record<string, unknown>) => void; path: string; message: RegExp; expected?: RegExp }> = [
    { name: 'upper-case id', change: (m) => (m.id = 'Acme.CRM'), path: '$.id', message: /expected a lower-case dotted id such as acme\.crm-sync.*got "Acme\.CRM"/, expected: /lower-case dotted id/ },
    { name: 'id of one segment', change: (m) => (m.id = 'acme'), path: '$.id', message: /2 to 6 segments/ },
    { name: 'id of seven segments', change: (m) => (m.id = 'a.b.c.d.e.f.g'), path: '$.id', message: /2 to 6 segments/ },
    { name: 'version not semver', change: (m) => (m.version = 'one'), path: '$.version', message: /^expected a semver version such as 1\.0\.0, got "one"$/ },
    { name: 'version with v prefix', change: (m) => (m.version = 'v1.0.0'), path: '$.version', message: /got "v1\.0\.0"/ },
    { name: 'engine range invalid', change: (m) => (m.engines = { mify: 'one' }), path: '$.engines.mify', message: /^expected a semver range such as \^1\.0\.0, got "one"$/, expected: /^a semver range such as \^1\.0\.0$/ },
    { name: 'engine range empty', change: (m) => (m.engines = { mify: '' }), path: '$.engines.mify', message: /semver range/ },
    { name: 'engines missing', change: (m) => delete m.engines, path: '$.engines', message: /^required field "engines" is missing, expected an object$/ },
    { name: 'name missing', change: (m) => delete m.name, path: '$.name', message: /required field "name" is missing, expected a string/ },
    { name: 'name empty', change: (m) => (m.name = ''), path: '$.name', message: /expected a non-empty string, got ""/ },
    { name: 'runtime unknown', change: (m) => (m.runtime = 'docker'), path: '$.runtime', message: /expected one of "isolate", "wasm", got "docker"/ },
    { name: 'entry outside the extension', change: (m) => (m.entry = '../dist/index.js'), path: '$.entry', message: /relative path inside the extension/ },
    { name: 'entry absolute', change: (m) => (m.entry = '/srv/index.js'), path: '$.entry', message: /relative path inside the extension/ },
    { name: 'entry with drive letter', change: (m) => (m.entry = 'C:/index.js'), path: '$.entry', message: /relative path inside the extension/ },
    { name: 'entry with backslashes', change: (m) => (m.entry = 'dist\\index.js'), path: '$.entry', message: /relative path inside the extension/ },
    { name: 'isolate entry not JavaScript', change: (m) => (m.entry = 'dist/plugin.wasm'), path: '$.entry', message: /runtime "isolate" expects a JavaScript file/ },
    { name: 'homepage not a URL', change: (m) => (m.homepage = 'example'), path: '$.homepage', message: /expected an http or https URL/ },
    { name: 'unknown permission', change: (m) => (m.permissions = ['kv:read', 'kv:admin']), path: '$.permissions[1]', message: /unknown permission "kv:admin", expected one of graphs:read.*endpoints:run.*routes:mount:\/api\/<segment>.*, or http:fetch:<host>/ },
    { name: 'http permission with bad host', change: (m) => (m.permissions = ['http:fetch:bad_host!']), path: '$.permissions[0]', message: /invalid host in "http:fetch:bad_host!"/ },
    { name: 'memory limit too large', change: (m) => (m.limits = { memoryLimitMb: 1024 }), path: '$.limits.memoryLimitMb', message: /^expected an integer from 1 to 512, got 1024$/ },
    { name: 'timeout not an integer', change: (m) => (m.limits = { timeoutMs: 1.5 }), path: '$.limits.timeoutMs', message: /expected an integer, got 1\.5/ },
    { name: 'timeout too large', change: (m) => (m.limits = { timeoutMs: 60_001 }), path: '$.limits.timeoutMs', message: /from 1 to 60000/ },
    { name: 'concurrency zero', change: (m) => (m.limits = { concurrency: 0 }), path: '$.limits.concurrency', message: /^expected an integer from 1 to 64, got 0$/ },
    { name: 'concurrency too large', change: (m) => (m.limits = { concurrency: 65 }), path: '$.limits.concurrency', message: /^expected an integer from 1 to 64, got 65$/ },
    { name: 'unknown top-level field', change: (m) => (m.descripton = 'x'), path: '$.descripton', message: /unknown field "descripton", did you mean "description"\?/ },
    { name: 'collection index field invalid', change: (m) => (m.collections = [{ name: 'contacts', indexes: [{ fields: ['address..city'] }] }]), path: '$.collections[0].indexes[0].fields[0]', message: /JSON field name or dotted path/ },
    { name: 'collection index without fields', change: (m) => (m.collections = [{ name: 'contacts', indexes: [{ fields: [] }] }]), path: '$.collections[0].indexes[0].fields', message: /expected at least 1 entry, got 0/ },
    { name: 'collection name upper-case', change: (m) => (m.collections = [{ name: 'Contacts' }]), path: '$.collections[0].name', message: /collection name such as contacts/ },
    { name: 'panel kind unknown', change: (m) => (m.contributes = { panels: [{ id: 'p', title: 'P', location: 'sidebar', schema: { kind: 'video' } }] }), path: '$.contributes.panels[0].schema.kind', message: /expected one of "form", "table", "chart", "markdown"/ },
    { name: 'provider kind unknown', change: (m) => (m.contributes = { providers: [{ id: 'p', kind: 'video', name: 'P' }] }), path: '$.contributes.providers[0].kind', message: /expected one of "llm", "embedding", "image", "speech"/ },
    { name: 'settings schema not an object schema', change: (m) => (m.contributes = { settings: [{ id: 's', title: 'S', schema: { type: 'string' } }] }), path: '$.contributes.settings[0].schema.type', message: /expected "object", got "string"/ },
    { name: 'unknown contribution kind', change: (m) => (m.contributes = { commands: [] }), path: '$.contributes.commands', message: /unknown field "commands", expected one of nodes, routes/ },
  ];

  for (const testCase of cases) {
    it(`reports ${testCase.name}`, () => {
      const manifest = fullIsolateManifest();
      testCase.change(manifest);

      const error = errorAt(manifest, testCase.path);
      expect(error.message).toMatch(testCase.message);
      if (testCase.expected) expect(error.expected).toMatch(testCase.expected);
    });
  }

  it('reports a wasm entry that is not .wasm', () => {
    expect(errorAt({ ...wasmManifest(), entry: 'dist/index.js' }, '$.entry').message).toMatch(/runtime "wasm" expects a WebAssembly file ending in \.wasm/);
  });

  it('reports a non-object manifest at the root', () => {
    expect(errorsOf([])).toEqual([{ path: '$', message: 'expected an object, got []', expected: 'an object' }]);
  });
});

describe('validateManifest node rules', () => {
  it('reports a node type without the extension id', () => {
    const error = errorAt(withNode({ type: 'other.text-stats' }), '$.contributes.nodes[0].type');

    expect(error.message).toMatch(/must start with the extension id.*"mify\.sample-wasm\.text-stats"/);
    expect(error.expected).toBe('mify.sample-wasm.<name>');
  });

  it('reports a node type equal to the id prefix', () => {
    expect(errorAt(withNode({ type: 'mify.sample-wasm.' }), '$.contributes.nodes[0].type').message).toMatch(/must start with the extension id/);
  });

  it('reports a typeVersion below 1', () => {
    expect(errorAt(withNode({ typeVersion: 0 }), '$.contributes.nodes[0].typeVersion').message).toBe('expected an integer of at least 1, got 0');
  });

  it('reports a missing executionClass with the options', () => {
    const node = { ...withNode({}) };
    delete ((node.contributes as { nodes: Array<Record<string, unknown>> }).nodes[0]!).executionClass;

    expect(errorAt(node, '$.contributes.nodes[0].executionClass').message).toBe('required field "executionClass" is missing, expected one of "deterministic", "probabilistic", "opaque"');
  });

  it('reports parameters that are not an object schema', () => {
    expect(errorAt(withNode({ parameters: { type: 'array' } }), '$.contributes.nodes[0].parameters.type').message).toBe('expected "object", got "array"');
  });

  it('reports parameters that are not an object', () => {
    expect(errorAt(withNode({ parameters: 'none' }), '$.contributes.nodes[0].parameters').message).toBe('expected an object, got "none"');
  });

  it('reports an invalid port name string', () => {
    expect(errorAt(withNode({ outputs: ['main', 'two words'] }), '$.contributes.nodes[0].outputs[1]').message).toBe('expected a port name such as main, got "two words"');
  });

  it('reports a port object field by its own path', () => {
    expect(errorAt(withNode({ inputs: [{ name: 'main', required: 'yes' }] }), '$.contributes.nodes[0].inputs[0].required').message).toBe('expected true or false, got "yes"');
  });

  it('reports an unknown key of a port object', () => {
    expect(errorAt(withNode({ inputs: [{ name: 'main', lable: 'x' }] }), '$.contributes.nodes[0].inputs[0].lable').message).toMatch(/did you mean "label"\?/);
  });

  it('reports a port of the wrong type', () => {
    expect(errorAt(withNode({ inputs: [5] }), '$.contributes.nodes[0].inputs[0]').message).toBe('expected a string or an object, got 5');
  });

  it('reports a port listed twice', () => {
    expect(errorAt(withNode({ outputs: ['main', { name: 'main' }] }), '$.contributes.nodes[0].outputs[1]').message).toMatch(/port "main" is listed twice/);
  });

  it('reports an invalid wasm handler name', () => {
    expect(errorAt(withNode({ handler: 'text stats' }), '$.contributes.nodes[0].handler').message).toMatch(/exported function name/);
  });

  it('reports a duplicate node type and version', () => {
    const manifest = wasmManifest();
    const node = (manifest.contributes as { nodes: unknown[] }).nodes[0];
    manifest.contributes = { nodes: [node, node] };

    expect(errorAt(manifest, '$.contributes.nodes[1].type').message).toMatch(/version 1 is already declared at \$\.contributes\.nodes\[0\]/);
  });
});

describe('validateManifest route rules', () => {
  const route = { method: 'GET', path: 'items/:id', auth: 'workspace', summary: 'Read an item.' };

  it('reports a path with a leading slash', () => {
    expect(errorAt(withRoutes([{ ...route, path: '/items' }]), '$.contributes.routes[0].path').message).toBe('expected a relative route path such as items/:id, got "/items"');
  });

  it('reports a path with ..', () => {
    expect(errorAt(withRoutes([{ ...route, path: 'items/../admin' }]), '$.contributes.routes[0].path').message).toMatch(/relative route path/);
  });

  it('reports an unknown method', () => {
    expect(errorAt(withRoutes([{ ...route, method: 'get' }]), '$.contributes.routes[0].method').message).toMatch(/expected one of "GET", "POST", "PUT", "PATCH", "DELETE", got "get"/);
  });

  it('reports an unknown auth mode', () => {
    expect(errorAt(withRoutes([{ ...route, auth: 'admin' }]), '$.contributes.routes[0].auth').message).toMatch(/expected one of "public", "optional", "user", "workspace"/);
  });

  it('reports a mount without its permission', () => {
    expect(errorAt(withRoutes([{ ...route, mount: '/api/things' }]), '$.contributes.routes[0].mount').message).toBe('mounting a route at "/api/things" needs the permission "routes:mount:/api/things", add it to "permissions"');
  });

  it('reports a mount path of two segments', () => {
    expect(errorAt(withRoutes([{ ...route, mount: '/api/a/b' }]), '$.contributes.routes[0].mount').message).toMatch(/top-level base path such as \/api\/workflow-endpoints/);
  });

  it('reports duplicate routes that differ only in parameter names', () => {
    const error = errorAt(withRoutes([route, { ...route, path: 'items/:key' }]), '$.contributes.routes[1].path');
    expect(error.message).toMatch(/matches the same requests as \$\.contributes\.routes\[0\]/);
  });

  it('allows one path with two methods', () => {
    expect(validateManifest(withRoutes([route, { ...route, method: 'DELETE' }])).ok).toBe(true);
  });

  it('reports access on a route without workspace auth', () => {
    expect(errorAt(withRoutes([{ ...route, auth: 'public', access: 'read' }]), '$.contributes.routes[0].access').message).toMatch(/access applies only to routes with auth "workspace"/);
  });

  it.each(['', '/'])('allows the empty path %j under a mount', (path) => {
    const manifest = { ...withRoutes([{ ...route, path, mount: '/api/things' }]), permissions: ['routes:mount:/api/things'] };

    expect(validateManifest(manifest).ok).toBe(true);
  });

  it('reports an empty path without a mount', () => {
    expect(errorAt(withRoutes([{ ...route, path: '' }]), '$.contributes.routes[0].path').message).toMatch(/empty route path serves the mount path itself and needs a "mount"/);
  });

  it('reports "" and "/" as the same route', () => {
    const manifest = { ...withRoutes([{ ...route, path: '', mount: '/api/things' }, { ...route, path: '/', mount: '/api/things' }]), permissions: ['routes:mount:/api/things'] };

    expect(errorAt(manifest, '$.contributes.routes[1].path').message).toMatch(/matches the same requests as \$\.contributes\.routes\[0\]/);
  });
});

describe('validateManifest duplicate contributions', () => {
  const duplicates: Array<[string, Record<string, unknown>, string]> = [
    ['trigger types', { triggers: [{ type: 't', name: 'T', description: '', parameters: { type: 'object' } }, { type: 't', name: 'T2', description: '', parameters: { type: 'object' } }] }, '$.contributes.triggers[1].type'],
    ['credential types', { credentialTypes: [{ type: 'c', name: 'C', fields: { type: 'object' } }, { type: 'c', name: 'C', fields: { type: 'object' } }] }, '$.contributes.credentialTypes[1].type'],
    ['provider ids', { providers: [{ id: 'p', kind: 'llm', name: 'P' }, { id: 'p', kind: 'embedding', name: 'P' }] }, '$.contributes.providers[1].id'],
    ['panel ids', { panels: [{ id: 'p', title: 'P', location: 'sidebar', schema: { kind: 'form' } }, { id: 'p', title: 'P', location: 'sidebar', schema: { kind: 'form' } }] }, '$.contributes.panels[1].id'],
    ['settings ids', { settings: [{ id: 's', title: 'S', schema: { type: 'object' } }, { id: 's', title: 'S', schema: { type: 'object' } }] }, '$.contributes.settings[1].id'],
  ];

  for (const [name, contributes, path] of duplicates) {
    it(`reports duplicate ${name}`, () => {
      expect(errorAt({ ...fullIsolateManifest(), contributes }, path).message).toMatch(/is already declared at/);
    });
  }

  it('reports duplicate collection names', () => {
    expect(errorAt({ ...fullIsolateManifest(), collections: [{ name: 'a' }, { name: 'a' }] }, '$.collections[1].name').message).toMatch(/collection "a" is already declared at \$\.collections\[0\]/);
  });
});

describe('validateManifest reporting', () => {
  it('reports every problem at once', () => {
    const manifest = fullIsolateManifest();
    manifest.version = 'one';
    manifest.engines = { mify: 'one' };
    manifest.permissions = ['kv:admin'];
    manifest.extra = true;
    (manifest.contributes as { nodes: Array<Record<string, unknown>> }).nodes[0]!.type = 'other.upsert';
    (manifest.contributes as { routes: Array<Record<string, unknown>> }).routes[0]!.path = '/contacts';

    const paths = errorsOf(manifest).map((error) => error.path);

    expect(paths).toEqual(
      expect.arrayContaining(['$.version', '$.engines.mify', '$.permissions[0]', '$.extra', '$.contributes.nodes[0].type', '$.contributes.routes[0].path']),
    );
    expect(paths).toHaveLength(6);
  });

  it('formats keys that are not identifiers with brackets', () => {
    expect(errorsOf({ ...minimalManifest(), 'odd key': 1 })[0]!.path).toBe('$["odd key"]');
  });
});
