/**
 * Cross-field rules of the manifest that its zod schema cannot express. They read the raw
 * input defensively, so they run and report even when other parts of the manifest fail the
 * schema.
 */
import { formatJsonPath, type ManifestProblem } from './json-path.js';
import { EXTENSION_ID_PATTERN, isRelativeInnerPath } from './manifest.js';

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function recordsIn(value: unknown): Array<[number, UnknownRecord]> {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry, index): Array<[number, UnknownRecord]> => (isRecord(entry) ? [[index, entry]] : []));
}

/** Checks the rules across fields of a raw manifest and returns every violation. */
export function checkCrossFieldRules(input: unknown): ManifestProblem[] {
  if (!isRecord(input)) return [];

  const contributes = isRecord(input.contributes) ? input.contributes : {};
  const errors: ManifestProblem[] = [
    ...checkEntryMatchesRuntime(input),
    ...checkNodes(input.id, contributes.nodes),
    ...checkRoutes(contributes.routes, input.permissions),
    ...checkUnique(['collections'], input.collections, 'name', 'collection'),
    ...checkUnique(['contributes', 'triggers'], contributes.triggers, 'type', 'trigger type'),
    ...checkUnique(['contributes', 'credentialTypes'], contributes.credentialTypes, 'type', 'credential type'),
    ...checkUnique(['contributes', 'providers'], contributes.providers, 'id', 'provider id'),
    ...checkUnique(['contributes', 'panels'], contributes.panels, 'id', 'panel id'),
    ...checkUnique(['contributes', 'settings'], contributes.settings, 'id', 'settings id'),
  ];
  return errors;
}

function checkEntryMatchesRuntime(input: UnknownRecord): ManifestProblem[] {
  const { entry, runtime } = input;
  if (typeof entry !== 'string' || !isRelativeInnerPath(entry)) return [];

  if (runtime === 'isolate' && !/\.[cm]?js$/.test(entry)) {
    const expected = 'a JavaScript file ending in .js, .mjs or .cjs';
    return [{ path: '$.entry', message: `runtime "isolate" expects ${expected}, got ${JSON.stringify(entry)}`, expected }];
  }
  if (runtime === 'wasm' && !entry.endsWith('.wasm')) {
    const expected = 'a WebAssembly file ending in .wasm';
    return [{ path: '$.entry', message: `runtime "wasm" expects ${expected}, got ${JSON.stringify(entry)}`, expected }];
  }
  return [];
}

function checkNodes(id: unknown, nodes: unknown): ManifestProblem[] {
  const errors: ManifestProblem[] = [];
  const firstIndexByKey = new Map<string, number>();
  const hasValidId = typeof id === 'string' && EXTENSION_ID_PATTERN.test(id);

  for (const [index, node] of recordsIn(nodes)) {
    const { type, typeVersion } = node;

    if (hasValidId && typeof type === 'string' && type !== '' && !isNodeTypeOf(id, type)) {
      const expected = `${id}.<name>`;
      errors.push({
        path: formatJsonPath(['contributes', 'nodes', index, 'type']),
        message: `node type ${JSON.stringify(type)} must start with the extension id and a dot, expected a type such as "${id}.${lastSegment(type)}"`,
        expected,
      });
    }

    if (typeof type === 'string' && typeof typeVersion === 'number') {
      const key = `${type}@${typeVersion}`;
      const firstIndex = firstIndexByKey.get(key);
      if (firstIndex === undefined) firstIndexByKey.set(key, index);
      else {
        errors.push({
          path: formatJsonPath(['contributes', 'nodes', index, 'type']),
          message: `node type ${JSON.stringify(type)} version ${typeVersion} is already declared at ${formatJsonPath(['contributes', 'nodes', firstIndex])}, give each version of a type one entry`,
        });
      }
    }

    errors.push(...checkUniquePorts(index, 'inputs', node.inputs), ...checkUniquePorts(index, 'outputs', node.outputs));
  }
  return errors;
}

function isNodeTypeOf(id: string, type: string): boolean {
  if (!type.startsWith(`${id}.`)) return false;
  return /^[A-Za-z0-9][\w-]*(?:\.[A-Za-z0-9][\w-]*)*$/.test(type.slice(id.length + 1));
}

function lastSegment(type: string): string {
  const segment = type.split('.').filter(Boolean).at(-1) ?? 'name';
  return /^[A-Za-z0-9][\w-]*$/.test(segment) ? segment : 'name';
}

function checkUniquePorts(nodeIndex: number, key: 'inputs' | 'outputs', ports: unknown): ManifestProblem[] {
  if (!Array.isArray(ports)) return [];

  const errors: ManifestProblem[] = [];
  const seen = new Set<string>();
  ports.forEach((port: unknown, index) => {
    const name = typeof port === 'string' ? port : isRecord(port) && typeof port.name === 'string' ? port.name : undefined;
    if (name === undefined) return;
    if (seen.has(name)) {
      errors.push({ path: formatJsonPath(['contributes', 'nodes', nodeIndex, key, index]), message: `port ${JSON.stringify(name)} is listed twice in ${key}, give each port a unique name` });
    }
    seen.add(name);
  });
  return errors;
}

function checkRoutes(routes: unknown, permissions: unknown): ManifestProblem[] {
  const errors: ManifestProblem[] = [];
  const firstIndexByKey = new Map<string, number>();
  const granted = Array.isArray(permissions) ? permissions : [];

  for (const [index, route] of recordsIn(routes)) {
    const { method, path, auth, access, mount } = route;

    if (typeof mount === 'string' && !granted.includes(`routes:mount:${mount}`)) {
      errors.push({
        path: formatJsonPath(['contributes', 'routes', index, 'mount']),
        message: `mounting a route at ${JSON.stringify(mount)} needs the permission "routes:mount:${mount}", add it to "permissions"`,
        expected: `routes:mount:${mount}`,
      });
    }

    if ((path === '' || path === '/') && typeof mount !== 'string') {
      errors.push({
        path: formatJsonPath(['contributes', 'routes', index, 'path']),
        message: `an empty route path serves the mount path itself and needs a "mount", such as "/api/forms"; add a mount or give the route a path such as "items"`,
      });
    }

    if (typeof method === 'string' && typeof path === 'string') {
      // `items/:id` and `items/:key` match the same requests, so parameter names are ignored.
      // The mount is left out, because the route's name (`routeName`) does not contain it.
      const key = `${method} ${path.replace(/\/$/, '').replace(/:[A-Za-z_]\w*/g, ':')}`;
      const firstIndex = firstIndexByKey.get(key);
      if (firstIndex === undefined) firstIndexByKey.set(key, index);
      else {
        errors.push({
          path: formatJsonPath(['contributes', 'routes', index, 'path']),
          message: `route ${method} ${JSON.stringify(path)} matches the same requests as ${formatJsonPath(['contributes', 'routes', firstIndex])}, give each method and path one entry`,
        });
      }
    }

    if (access !== undefined && auth !== undefined && auth !== 'workspace') {
      errors.push({
        path: formatJsonPath(['contributes', 'routes', index, 'access']),
        message: `access applies only to routes with auth "workspace", but this route has auth ${JSON.stringify(auth)}. Remove access or set auth to "workspace"`,
      });
    }
  }
  return errors;
}

function checkUnique(arrayPath: readonly string[], entries: unknown, key: string, label: string): ManifestProblem[] {
  const errors: ManifestProblem[] = [];
  const firstIndexByValue = new Map<string, number>();

  for (const [index, entry] of recordsIn(entries)) {
    const value = entry[key];
    if (typeof value !== 'string') continue;

    const firstIndex = firstIndexByValue.get(value);
    if (firstIndex === undefined) firstIndexByValue.set(value, index);
    else {
      errors.push({
        path: formatJsonPath([...arrayPath, index, key]),
        message: `${label} ${JSON.stringify(value)} is already declared at ${formatJsonPath([...arrayPath, firstIndex])}, use a unique ${key}`,
      });
    }
  }
  return errors;
}
