import fs from 'node:fs';
import path from 'node:path';
import type { ExtensionManifest } from '../manifest.js';
import { HTTP_FETCH_PREFIX } from '../permissions.js';
import { checkManifestFile } from './manifest-file.js';
import { readMemoryLimits } from './wasm-memory.js';

/** One finding of `mify-plugin validate`: errors stop build and publish, warnings do not. */
export interface Finding {
  level: 'error' | 'warning';
  /** JSON path in the manifest, or the file the finding is about. */
  where: string;
  message: string;
}

/** Largest package the registry accepts by default, in bytes; larger bundles get a warning. */
const REGISTRY_DEFAULT_LIMIT_BYTES = 10 * 1024 * 1024;
/** MiB to 64 KiB WebAssembly pages. */
const PAGES_PER_MB = 16;
/** Memory cap of the kernel for WASM extensions, in MiB (KERNEL_WASM_MEMORY_CAP_MB in the kernel). */
const KERNEL_WASM_MEMORY_CAP_MB = 256;

/**
 * Host API namespaces a bundle may call and the permissions that allow them. A bundle
 * that names a namespace without any of its permissions fails at run time with
 * `permission_denied`, so validate warns ahead.
 */
const HOST_NAMESPACES: Array<{ pattern: RegExp; namespace: string; permissions: string[] }> = [
  { pattern: /\.http\.fetch\b/, namespace: 'http.fetch', permissions: [HTTP_FETCH_PREFIX] },
  { pattern: /\.collections\.(get|put|find|delete|query|list)\b/, namespace: 'collections', permissions: ['collections:read', 'collections:write'] },
  { pattern: /\.kv\.(get|set|delete|list)\b/, namespace: 'kv', permissions: ['kv:read', 'kv:write'] },
  { pattern: /\.credentials\.get\b/, namespace: 'credentials', permissions: ['credentials:read'] },
  { pattern: /\.llm\.(chat|complete|embed|invoke)\b/, namespace: 'llm', permissions: ['llm:invoke'] },
  { pattern: /\.vectors\.(upsert|query|delete|search)\b/, namespace: 'vectors', permissions: ['vectors:read', 'vectors:write'] },
  { pattern: /\.files\.(read|write|list|delete)\b/, namespace: 'files', permissions: ['files:read', 'files:write'] },
  { pattern: /\.events\.publish\b/, namespace: 'events.publish', permissions: ['events:publish'] },
  { pattern: /\.graphs\.(get|list|create|update)\b/, namespace: 'graphs', permissions: ['graphs:read', 'graphs:write'] },
];

/**
 * Checks an extension folder: the manifest, the built entry (an ES module bundle
 * without imports for the isolate, a WebAssembly module with the named exports and a
 * memory maximum for wasm) and its permissions. `built: false` skips the entry
 * checks, for use before a build.
 *
 * @example
 * const findings = validateExtension('.', { built: true });
 * if (findings.some((f) => f.level === 'error')) process.exitCode = 1;
 */
export function validateExtension(folder: string, options: { built: boolean }): Finding[] {
  const result = checkManifestFile(folder);
  if (!result.ok) return result.errors.map((e) => ({ level: 'error', where: e.path, message: e.message }));

  const manifest = result.manifest;
  const findings: Finding[] = [...lintPermissions(manifest)];
  if (!options.built) return findings;

  const entry = path.join(folder, manifest.entry);
  if (!fs.existsSync(entry)) {
    findings.push({ level: 'error', where: manifest.entry, message: `the entry file does not exist; run \`mify-plugin build\` first.` });
    return findings;
  }
  const size = fs.statSync(entry).size;
  if (size > REGISTRY_DEFAULT_LIMIT_BYTES) {
    findings.push({ level: 'warning', where: manifest.entry, message: `the entry is ${size} bytes, above the ${REGISTRY_DEFAULT_LIMIT_BYTES} bytes a registry accepts by default; leave large assets out of the bundle.` });
  }
  findings.push(...(manifest.runtime === 'isolate' ? checkBundle(manifest, fs.readFileSync(entry, 'utf8')) : checkWasm(manifest, fs.readFileSync(entry))));
  return findings;
}

function lintPermissions(manifest: ExtensionManifest): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  manifest.permissions.forEach((permission, index) => {
    const where = `$.permissions[${index}]`;
    if (seen.has(permission)) findings.push({ level: 'warning', where, message: `"${permission}" is listed twice; remove the duplicate.` });
    seen.add(permission);
    if (permission === `${HTTP_FETCH_PREFIX}*`) {
      findings.push({ level: 'warning', where, message: '"http:fetch:*" lets the extension call any host; list the hosts it calls instead, such as "http:fetch:api.example.com".' });
    }
    if (permission.endsWith(':write') && !seen.has(permission.replace(/:write$/, ':read')) && !manifest.permissions.includes(permission.replace(/:write$/, ':read') as never)) {
      findings.push({ level: 'warning', where, message: `"${permission}" without "${permission.replace(/:write$/, ':read')}": the extension can write data it cannot read back; add the read permission if it needs it.` });
    }
  });
  return findings;
}

function checkBundle(manifest: ExtensionManifest, code: string): Finding[] {
  const findings: Finding[] = [];
  const imports = [...code.matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
  if (imports.length > 0) {
    findings.push({ level: 'error', where: manifest.entry, message: `the bundle imports ${[...new Set(imports)].join(', ')}, but the isolate has no module loader; bundle every dependency with \`mify-plugin build\` and use the host API instead of Node modules.` });
  }
  if (/\brequire\(\s*['"]/.test(code)) {
    findings.push({ level: 'error', where: manifest.entry, message: 'the bundle calls require(), which the isolate does not provide; build it as an ES module with `mify-plugin build`.' });
  }
  if (!/export\s+default\b|export\s*\{[^}]*\bas\s+default\b/.test(code)) {
    findings.push({ level: 'error', where: manifest.entry, message: 'the bundle has no default export; export `defineExtension({ ... })` as default from src/index.ts.' });
  }

  for (const node of manifest.contributes.nodes ?? []) {
    if (!code.includes(node.type)) findings.push({ level: 'warning', where: manifest.entry, message: `node type ${node.type} is declared in the manifest but its name does not appear in the bundle; add it to the \`nodes\` of defineExtension.` });
  }

  for (const { pattern, namespace, permissions } of HOST_NAMESPACES) {
    if (!pattern.test(code)) continue;
    const granted = manifest.permissions.some((p) => permissions.some((needed) => (needed.endsWith(':') ? p.startsWith(needed) : p === needed)));
    if (!granted) {
      const example = permissions[0]!.endsWith(':') ? `${permissions[0]}api.example.com` : permissions.join(' or ');
      findings.push({ level: 'warning', where: '$.permissions', message: `the bundle appears to call the host API ${namespace}, but the manifest grants none of its permissions; add ${example}, or the call fails with permission_denied.` });
    }
  }
  return findings;
}

/** The WebAssembly global of Node, which the SDK's type libraries (ES2023, no DOM) do not declare. */
const webAssembly = (globalThis as unknown as { WebAssembly: { Module: { new (bytes: Uint8Array): object; exports(module: object): Array<{ name: string; kind: string }> } } }).WebAssembly;

function checkWasm(manifest: ExtensionManifest, bytes: Buffer): Finding[] {
  let module: object;
  try {
    module = new webAssembly.Module(bytes);
  } catch (error) {
    return [{ level: 'error', where: manifest.entry, message: `the entry is not a valid WebAssembly module: ${(error as Error).message}. Rebuild it with \`mify-plugin build\`.` }];
  }

  const findings: Finding[] = [];
  const exported = new Set(webAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name));
  for (const [index, node] of (manifest.contributes.nodes ?? []).entries()) {
    if (node.handler && !exported.has(node.handler)) {
      findings.push({ level: 'error', where: `$.contributes.nodes[${index}].handler`, message: `the module exports no function "${node.handler}"; export it (or fix the handler name). Exports: ${[...exported].join(', ') || 'none'}.` });
    }
  }

  if (manifest.limits?.concurrency !== undefined && manifest.limits.concurrency > 1) {
    findings.push({ level: 'warning', where: '$.limits.concurrency', message: `limits.concurrency is ${manifest.limits.concurrency}, but a WASM extension runs one call at a time in its worker, so the kernel ignores it; remove it.` });
  }

  const capMb = Math.min(manifest.limits?.memoryLimitMb ?? 128, KERNEL_WASM_MEMORY_CAP_MB);
  for (const memory of readMemoryLimits(bytes)) {
    if (memory.maximumPages === undefined) {
      findings.push({ level: 'error', where: manifest.entry, message: `the module's ${memory.source} memory declares no maximum, and the kernel rejects such modules; rebuild with a maximum of at most ${capMb * PAGES_PER_MB} pages (mify-plugin build sets it from limits.memoryLimitMb).` });
    } else if (memory.maximumPages > capMb * PAGES_PER_MB) {
      findings.push({ level: 'error', where: manifest.entry, message: `the module's memory maximum is ${memory.maximumPages} pages, above ${capMb * PAGES_PER_MB} pages (${capMb} MiB, limits.memoryLimitMb); lower it or raise limits.memoryLimitMb.` });
    }
  }
  return findings;
}
