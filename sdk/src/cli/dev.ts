import fs from 'node:fs';
import path from 'node:path';
import { compileExtension } from './build.js';
import { PluginCliError } from './io.js';
import { MANIFEST_FILE } from './manifest-file.js';

/** Quiet period after a file change before rebuilding, in milliseconds, so one save triggers one reload. */
const DEBOUNCE_MS = 200;

export interface DevOptions {
  folder: string;
  /** Base URL of a local kernel, such as http://127.0.0.1:8080. */
  kernelUrl: string;
  /** Owner-role API key of an instance administrator, as `mify api-key create --role owner` prints it. */
  apiKey: string;
  log: (line: string) => void;
  env: Record<string, string | undefined>;
}

async function kernelRequest(options: DevOptions, method: string, pathname: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(`${options.kernelUrl}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${options.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new PluginCliError(`Could not reach the kernel at ${options.kernelUrl}: ${(error as Error).message}. Start it with \`npx mify start\`.`);
  }
}

async function problem(response: Response): Promise<string> {
  const text = await response.text();
  try {
    return (JSON.parse(text) as { detail?: string }).detail ?? text;
  } catch {
    return text;
  }
}

/**
 * Builds the extension and installs the folder into the kernel, replacing the copy
 * installed before (the kernel copies the folder, so a rebuild needs a reinstall).
 */
export async function reloadIntoKernel(options: DevOptions): Promise<{ id: string; version: string; state: string }> {
  const manifest = await compileExtension(options.folder, options);

  const existing = await kernelRequest(options, 'GET', `/api/extensions/${encodeURIComponent(manifest.id)}`);
  if (existing.status === 200) {
    const current = (await existing.json()) as { source: string };
    if (current.source === 'bundled') throw new PluginCliError(`${manifest.id} ships with the kernel and cannot be replaced; give the extension another id.`);
    const removed = await kernelRequest(options, 'DELETE', `/api/extensions/${encodeURIComponent(manifest.id)}`);
    if (removed.status !== 204) throw new PluginCliError(`Removing the previous ${manifest.id} from the kernel failed (${removed.status}): ${await problem(removed)}`);
  } else if (existing.status !== 404) {
    throw new PluginCliError(`The kernel returned ${existing.status} for ${manifest.id}: ${await problem(existing)}`);
  }

  const installed = await kernelRequest(options, 'POST', '/api/extensions', { folder: options.folder });
  if (installed.status !== 201) throw new PluginCliError(`Installing ${manifest.id} into the kernel failed (${installed.status}): ${await problem(installed)}`);
  return (await installed.json()) as { id: string; version: string; state: string };
}

/**
 * Installs the extension into a local kernel, then rebuilds and reinstalls it whenever
 * a file under `src/`, a Go source file or the manifest changes, until the returned stop function is
 * called. A failed rebuild is reported and the previous install keeps running.
 */
export async function startDev(options: DevOptions): Promise<() => void> {
  const first = await reloadIntoKernel(options);
  options.log(`Installed ${first.id}@${first.version} into ${options.kernelUrl} (${first.state}); watching for changes. Stop with Ctrl-C.`);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const reload = () => {
    running = running.then(async () => {
      try {
        const status = await reloadIntoKernel(options);
        options.log(`Reloaded ${status.id}@${status.version} (${status.state}).`);
      } catch (error) {
        options.log(`Reload failed: ${(error as Error).message}`);
      }
    });
  };
  const onChange = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, DEBOUNCE_MS);
  };

  const watchers = [fs.watch(path.join(options.folder, MANIFEST_FILE), onChange)];
  const sourceDir = path.join(options.folder, 'src');
  if (fs.existsSync(sourceDir)) watchers.push(fs.watch(sourceDir, { recursive: true }, onChange));
  // Go extensions keep their sources in the folder itself.
  if (fs.existsSync(path.join(options.folder, 'go.mod'))) {
    watchers.push(fs.watch(options.folder, (_event, file) => {
      if (file && /(\.go|^go\.mod|^go\.sum)$/.test(String(file))) onChange();
    }));
  }
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
