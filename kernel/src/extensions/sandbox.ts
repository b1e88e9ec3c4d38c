import fs from 'node:fs';
import type { ExtensionManifest } from '@mify/sdk';
import type { Logger } from '../logger.js';
import { extensionFilesRoot } from './host-api/files.js';
import { createIsolateRuntime, KERNEL_THREAD_SLICE_MS } from './runtime/isolate/index.js';
import type { ExtensionCallError, ExtensionRuntime } from './runtime/types.js';

/** Defaults when a manifest sets no limits. */
const DEFAULT_MEMORY_LIMIT_MB = 128;
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * WASI preopens for a WASM extension: with `files:write`, its instance-wide files
 * folder (the one the `files` host API uses without a workspace) appears as
 * `/files` in the guest. WASI preopens cannot be read-only in Extism 1.0.3, so
 * `files:read` alone opens nothing and the guest uses the host API instead.
 */
function wasmPaths(manifest: ExtensionManifest, dataDir: string): Record<string, string> {
  if (!manifest.permissions.includes('files:write')) return {};
  const root = extensionFilesRoot(dataDir, manifest.id, null);
  fs.mkdirSync(root, { recursive: true });
  return { '/files': root };
}

function httpHosts(manifest: ExtensionManifest): string[] {
  return manifest.permissions.filter((p) => p.startsWith('http:fetch:')).map((p) => p.slice('http:fetch:'.length));
}

export interface SandboxOptions {
  manifest: ExtensionManifest;
  /** Path of the extension's entry file: a JavaScript bundle (isolate) or a `.wasm` module. */
  entry: string;
  /** MIFY_DATA_DIR, under which a WASM extension with `files:write` gets its folder. */
  dataDir: string;
  logger: Logger;
  /** Callback for every failed call, with which the extension host counts failures. */
  onFailure: (error: ExtensionCallError) => void;
  /**
   * Whether the extension ships with MIFY. Only then do its isolate calls start on the
   * kernel's thread (see KERNEL_THREAD_SLICE_MS).
   */
  shipped?: boolean;
}

/**
 * Creates the sandbox of one extension from its manifest: an isolated-vm runtime for
 * `isolate`, an Extism worker for `wasm`. The host API's method table and the WASM runtime
 * (with Extism) are imported by the first sandbox that needs them, not when the kernel starts.
 *
 * @throws ExtensionCallError when the bundle or module cannot be loaded.
 */
export async function createSandbox(options: SandboxOptions): Promise<ExtensionRuntime> {
  const { manifest, entry, logger, onFailure } = options;
  const limits = { memoryLimitMb: manifest.limits?.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB, timeoutMs: manifest.limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS };

  if (manifest.runtime === 'isolate') {
    const { HOST_METHOD_NAMES } = await import('./host-api/bridge.js');
    return createIsolateRuntime({
      extensionId: manifest.id,
      code: fs.readFileSync(entry, 'utf8'),
      limits,
      poolSize: manifest.limits?.concurrency,
      hostMethods: HOST_METHOD_NAMES,
      logger,
      onFailure: (_reason, error) => onFailure(error),
      kernelThreadSliceMs: options.shipped ? KERNEL_THREAD_SLICE_MS : 0,
    });
  }

  const { createWasmRuntime } = await import('./runtime/wasm/index.js');
  return createWasmRuntime({
    extensionId: manifest.id,
    wasm: entry,
    limits,
    allowedHosts: httpHosts(manifest),
    allowedPaths: wasmPaths(manifest, options.dataDir),
    exports: Object.fromEntries((manifest.contributes?.nodes ?? []).filter((n) => n.handler).map((n) => [n.type, n.handler!])),
    logger,
    onFailure,
  });
}
