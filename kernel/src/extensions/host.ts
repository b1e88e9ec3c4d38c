import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { checkEngine, validateManifest, type ExtensionManifest } from '@mify/sdk';
import semver from 'semver';
import type { KernelConfig } from '../config.js';
import { ConflictError, MifyError, NotFoundError, ValidationError } from '../errors.js';
import { canonicalJson } from '../graphs/canonical.js';
import type { SharedState } from '../infra/types.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/database.js';
import { KERNEL_VERSION } from '../version.js';
import { ensureCollectionIndexes } from './host-api/collection-indexes.js';
import type { HostCaller } from './host-api/types.js';
import { PackageError } from './errors-package.js';
import type { RegistrySource } from './registry-client.js';
import { FailureWindow, type IsolateRuntime, type IsolateRuntimeStats } from './runtime/isolate/index.js';
import { ExtensionCallError, type ExtensionRuntime, type HostBridge, type InvokeRequest } from './runtime/types.js';
import { createSandbox } from './sandbox.js';
import { ExtensionStore, type ExtensionSource, type InstalledRecord } from './store.js';

/** `extensions/` of the repository; the same path from `src/` and `dist/`. */
export const BUNDLED_EXTENSIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../extensions');
export const MANIFEST_FILE = 'mify.extension.json';

/**
 * Checks that an extension ships with MIFY: registered as bundled from `extensions/` of the
 * installation, not from MIFY_EXTENSIONS_DIR or an upload.
 */
function isShipped(record: InstalledRecord): boolean {
  const relative = path.relative(BUNDLED_EXTENSIONS_DIR, record.location);
  return record.source === 'bundled' && relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Failures within the window after which an extension is reported unhealthy. */
const UNHEALTHY_AFTER_FAILURES = 5;
const FAILURE_WINDOW_MS = 60_000;
/** Key-value rows of an extension that record its event subscriptions. */
const EVENT_SUBSCRIPTION_PREFIX = '__events.subscriptions:';

/** Caller of an extension invocation, so the host API can scope and audit its calls. */
export interface InvocationContext {
  workspaceId: string | null;
  runId?: string;
  nodeId?: string;
  stepId?: string;
  /** Records partial output of that step as a `step.progress` event (see `runs.progress`). */
  progress?: (delta: string) => Promise<boolean>;
  /** Sender of the HTTP request a route call serves. */
  caller?: HostCaller;
  /** Filled with the runs `endpoints.invoke` starts during the call, by run id, with their workspace. */
  startedRuns?: Map<string, string>;
}

/** Source of an install or upgrade: exactly one of folder, packageFile and registry. */
export interface InstallSource {
  folder?: string | undefined;
  packageFile?: string | undefined;
  registry?: RegistrySource | undefined;
  /** Accept a package that is unsigned (or, from a package file, signed by an untrusted key). */
  allowUnsigned?: boolean | undefined;
}

export type HostBridgeFactory = (context: InvocationContext & { extensionId: string; manifest: ExtensionManifest }) => HostBridge | Promise<HostBridge>;

export interface ExtensionStatus {
  id: string;
  version: string;
  name: string;
  description: string;
  runtime: 'isolate' | 'wasm';
  source: ExtensionSource;
  enabled: boolean;
  /** `active`: loaded and callable; `disabled`; `failed`: enabled but could not be loaded (see lastError). */
  state: 'active' | 'disabled' | 'failed';
  /**
   * State of the extension's sandbox (its isolates or WASM worker). An active extension's sandbox
   * is `on-demand` until its first call, `starting` while that call waits, then `running`. A
   * disabled or failed extension has a `stopped` sandbox.
   */
  sandbox: SandboxState;
  health: 'healthy' | 'unhealthy';
  /** Failed calls within the last minute. */
  recentFailures: number;
  lastError: string | null;
  permissions: string[];
  previousVersion: string | null;
}

export type SandboxState = 'running' | 'starting' | 'on-demand' | 'stopped';

interface LoadOptions {
  /** When the sandbox starts: now (default), or on the extension's first call. */
  sandbox?: 'now' | 'on-demand';
  /** Stored event topics of the extension, when the caller read them already. */
  subscriptions?: readonly string[];
  /** Level of the "extension loaded" line: info (default), or debug at start, where one summary line follows. */
  logLevel?: 'info' | 'debug';
}

interface LoadedExtension {
  record: InstalledRecord;
  /** The sandbox, or null until the first call of an extension loaded on demand. */
  runtime: ExtensionRuntime | null;
  /** The sandbox being created for the first call, shared by the calls that arrive meanwhile. */
  starting: Promise<ExtensionRuntime> | null;
  failures: FailureWindow;
}

export class ExtensionError extends MifyError {
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(code, status, message, details);
    this.name = 'ExtensionError';
  }
}

/** Reads and validates `mify.extension.json` of a folder, including the kernel version check. */
export function readManifest(folder: string): ExtensionManifest {
  const manifestPath = path.join(folder, MANIFEST_FILE);
  if (!fs.existsSync(manifestPath)) throw new ValidationError(`${folder} has no ${MANIFEST_FILE}.`, [{ path: '$', message: `${MANIFEST_FILE} is missing` }]);

  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new ValidationError(`${manifestPath} is not valid JSON: ${(error as Error).message}`, [{ path: '$', message: 'invalid JSON' }]);
  }
  const result = validateManifest(raw);
  if (!result.ok) {
    throw new ValidationError(
      `${manifestPath} is invalid:\n${result.errors.map((e) => `  - ${e.path}: ${e.message}`).join('\n')}`,
      result.errors.map((e) => ({ path: e.path, message: e.message })),
    );
  }
  const engine = checkEngine(result.manifest, KERNEL_VERSION);
  if (!engine.ok) throw new ExtensionError('incompatible_engine', 422, engine.message, { extensionId: result.manifest.id });
  return result.manifest;
}

function extensionState(enabled: boolean, loaded: boolean): ExtensionStatus['state'] {
  if (!enabled) return 'disabled';
  return loaded ? 'active' : 'failed';
}

function sandboxState(loaded: LoadedExtension | undefined): SandboxState {
  if (!loaded) return 'stopped';
  if (loaded.runtime) return 'running';
  return loaded.starting ? 'starting' : 'on-demand';
}

/** Base path of the routes of extensions without a mount. */
const EXTENSION_ROUTE_BASE = '/api/ext';

/**
 * Returns the record with its manifest as the extension's own file writes it, when the file
 * says the same. The database keeps manifests as jsonb, which reorders object keys, and the
 * studio shows parameters in the order of their schema's properties.
 */
function withDeclaredKeyOrder(record: InstalledRecord): InstalledRecord {
  try {
    const fromFile = JSON.parse(fs.readFileSync(path.join(record.location, MANIFEST_FILE), 'utf8')) as unknown;
    return canonicalJson(fromFile) === canonicalJson(record.manifest) ? { ...record, manifest: fromFile as InstalledRecord['manifest'] } : record;
  } catch {
    return record;
  }
}

/** Distinct `mount` paths of a manifest's routes. */
function routeMounts(manifest: ExtensionManifest): string[] {
  return [...new Set((manifest.contributes?.routes ?? []).flatMap((route) => (route.mount ? [route.mount] : [])))];
}

/**
 * Loads, confines and manages extensions: discovers bundled ones, installs
 * from folders and package files, keeps state in the database, runs each
 * enabled extension in its sandbox and tracks its health.
 */
export class ExtensionHost {
  private readonly store: ExtensionStore;
  private readonly loaded = new Map<string, LoadedExtension>();
  private readonly loadErrors = new Map<string, string>();
  private readonly lastErrors = new Map<string, string>();
  private readonly log: Logger;
  /** Mounted base paths of the active extensions; rebuilt after a load or unload. */
  private mountTable: Map<string, string> | null = null;
  /** The `start` in progress, settled without an error; null when none runs. */
  private starting: Promise<void> | null = null;
  /** Live event subscriptions, `<extension id> <topic>` → unsubscribe. */
  private readonly eventSubscriptions = new Map<string, () => Promise<void>>();

  constructor(
    private readonly deps: {
      db: Database;
      logger: Logger;
      config: KernelConfig;
      bridgeFactory: HostBridgeFactory;
      /** Folders scanned for bundled extensions. Default: the repository's extensions/ and MIFY_EXTENSIONS_DIR. */
      bundledDirs?: string[];
      /** Pub/sub that carries extension events; without it `events.subscribe` delivers nothing. */
      sharedState?: SharedState;
      /** Path patterns of the kernel's own routes, which a route mount may not overlap. */
      kernelRoutePaths?: () => readonly string[];
    },
  ) {
    this.store = new ExtensionStore(deps.db);
    this.log = deps.logger.child({ component: 'extension-host' });
  }

  /** Folder where installed (non-bundled) extensions are unpacked. */
  get installDir(): string {
    return path.join(this.deps.config.dataDir, 'extensions');
  }

  private bundledDirs(): string[] {
    return this.deps.bundledDirs ?? [BUNDLED_EXTENSIONS_DIR, ...(this.deps.config.extensionsDir ? [this.deps.config.extensionsDir] : [])];
  }

  /**
   * Registers bundled extensions, then loads every enabled one. A failing extension is reported,
   * not fatal. Loading checks the entry file and route mounts, creates collection indexes and
   * restores event subscriptions, but each sandbox starts on the extension's first call
   * (see `startSandboxes` to start them all).
   */
  start(): Promise<void> {
    const run = this.registerAndLoad();
    const settled = run.then(
      () => {},
      () => {},
    );
    this.starting = settled;
    void settled.then(() => {
      if (this.starting === settled) this.starting = null;
    });
    return run;
  }

  /** Whether a `start` is registering and loading the extensions now. */
  get isStarting(): boolean {
    return this.starting !== null;
  }

  /** Settles once the `start` in progress has loaded the extensions, or at once when none runs. Never rejects. */
  whenStarted(): Promise<void> {
    return this.starting ?? Promise.resolve();
  }

  /** Counts of active extensions and of those that failed to load. */
  loadCounts(): { active: number; failed: number } {
    return { active: this.loaded.size, failed: this.loadErrors.size };
  }

  private async registerAndLoad(): Promise<void> {
    // The records and the event subscriptions are read with one query each. Two queries per
    // extension made loading the 22 bundled extensions about 0.1 s longer (one measurement).
    const stored = new Map((await this.store.list()).map((record) => [record.id, record]));
    let changed = false;
    for (const dir of this.bundledDirs()) {
      if (!fs.existsSync(dir)) continue;
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const folder = path.join(dir, entry.name);
        if (!entry.isDirectory() || !fs.existsSync(path.join(folder, MANIFEST_FILE))) continue;
        changed = (await this.registerBundled(folder, stored)) || changed;
        // Each manifest takes a few milliseconds to validate, and `mify start` serves requests meanwhile.
        await nextTurn();
      }
    }
    changed = (await this.registerDropped(stored)) || changed;

    // Both lists are ordered by id.
    const records = changed ? await this.store.list() : [...stored.values()];
    const subscriptions = await this.storedEventSubscriptions(records.filter((record) => record.enabled).map((record) => record.id));
    for (const record of records) {
      if (!record.enabled) continue;
      await this.load(record, { sandbox: 'on-demand', subscriptions: subscriptions.get(record.id) ?? [], logLevel: 'debug' }).catch(() => {});
      await nextTurn();
    }
    this.log.info({ active: this.loaded.size, failed: this.loadErrors.size, sandboxes: 'on-demand' }, 'extensions loaded');
  }

  /**
   * Starts the sandbox of every active extension that has none yet. An extension whose sandbox
   * fails to start is marked failed with the error, as a failed load is.
   */
  async startSandboxes(): Promise<void> {
    for (const loaded of [...this.loaded.values()]) await this.sandboxOf(loaded).catch(() => {});
  }

  /** Records a bundled extension that is new, or whose version or folder changed. Returns whether it saved a record. */
  private async registerBundled(folder: string, stored: ReadonlyMap<string, InstalledRecord>): Promise<boolean> {
    let manifest: ExtensionManifest;
    try {
      manifest = readManifest(folder);
    } catch (error) {
      this.log.error({ folder, err: error }, 'bundled extension has an invalid manifest; skipped');
      return false;
    }
    const existing = stored.get(manifest.id);
    if (existing && existing.source !== 'bundled') return false;
    if (existing && existing.version === manifest.version && existing.location === folder) return false;
    await this.store.save({ id: manifest.id, version: manifest.version, enabled: existing?.enabled ?? true, source: 'bundled', location: folder, manifest, previous: null });
    return true;
  }

  /**
   * Registers extensions an operator copied into MIFY_DATA_DIR/extensions by
   * hand, as `<folder>/mify.extension.json` or `<id>/<version>/mify.extension.json`
   * (the layout installs use). Only ids without a record are added; for
   * several versions of one id the highest wins. Returns whether it saved a record.
   */
  private async registerDropped(stored: ReadonlyMap<string, InstalledRecord>): Promise<boolean> {
    if (!fs.existsSync(this.installDir)) return false;
    const found = new Map<string, { folder: string; manifest: ExtensionManifest }>();
    const consider = (folder: string) => {
      if (!fs.existsSync(path.join(folder, MANIFEST_FILE))) return;
      try {
        const manifest = readManifest(folder);
        const previous = found.get(manifest.id);
        if (!previous || semver.gt(manifest.version, previous.manifest.version)) found.set(manifest.id, { folder, manifest });
      } catch (error) {
        this.log.error({ folder, err: error }, 'extension folder in the data directory has an invalid manifest; skipped');
      }
    };
    for (const entry of fs.readdirSync(this.installDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const folder = path.join(this.installDir, entry.name);
      consider(folder);
      for (const version of fs.readdirSync(folder, { withFileTypes: true })) if (version.isDirectory()) consider(path.join(folder, version.name));
    }
    let saved = false;
    for (const { folder, manifest } of found.values()) {
      // A bundled extension registered in this same start is not in `stored`, hence the second check.
      if (stored.has(manifest.id) || (await this.store.get(manifest.id))) continue;
      await this.store.save({ id: manifest.id, version: manifest.version, enabled: true, source: 'folder', location: folder, manifest, previous: null });
      this.log.info({ extensionId: manifest.id, folder }, 'registered extension found in the data directory');
      saved = true;
    }
    return saved;
  }

  /**
   * Loads an installed extension, with its sandbox created now or on its first call. Records
   * the error and rethrows when it cannot load.
   */
  private async load(stored: InstalledRecord, options: LoadOptions = {}): Promise<LoadedExtension> {
    const sandbox = options.sandbox ?? 'now';
    const record = withDeclaredKeyOrder(stored);
    const { manifest } = record;

    try {
      this.assertMountsFree(manifest);
      const entry = path.join(record.location, manifest.entry);
      if (!fs.existsSync(entry)) throw new ExtensionError('extension_entry_missing', 422, `Extension '${record.id}' has no entry file ${manifest.entry} in ${record.location}; build it first (npm run build).`);
      if (manifest.collections?.length) await ensureCollectionIndexes(this.deps.db, record.id, manifest.collections);

      const failures = new FailureWindow({ maxFailures: UNHEALTHY_AFTER_FAILURES, windowMs: FAILURE_WINDOW_MS });
      const runtime = sandbox === 'now' ? await this.createSandbox(record, failures) : null;
      const loaded: LoadedExtension = { record, runtime, starting: null, failures };
      this.loaded.set(record.id, loaded);
      this.mountTable = null;
      await this.restoreEventSubscriptions(record.id, options.subscriptions);
      this.loadErrors.delete(record.id);
      this.log[options.logLevel ?? 'info']({ extensionId: record.id, version: record.version, runtime: manifest.runtime, sandbox: runtime ? 'running' : 'on-demand' }, 'extension loaded');
      return loaded;
    } catch (error) {
      const message = (error as Error).message;
      this.loadErrors.set(record.id, message);
      this.log.error({ extensionId: record.id, version: record.version, err: error }, 'extension failed to load');
      throw error;
    }
  }

  private createSandbox(record: InstalledRecord, failures: FailureWindow): Promise<ExtensionRuntime> {
    const onFailure = (error: ExtensionCallError) => {
      failures.record();
      this.lastErrors.set(record.id, error.message);
      if (!failures.healthy) this.log.warn({ extensionId: record.id, failures: failures.failureCount }, 'extension is unhealthy');
    };
    const entry = path.join(record.location, record.manifest.entry);
    return createSandbox({ manifest: record.manifest, entry, dataDir: this.deps.config.dataDir, logger: this.deps.logger, onFailure, shipped: isShipped(record) });
  }

  /** Pool and start counters of an extension's isolate sandbox, or undefined when it has none running. */
  sandboxStats(id: string): IsolateRuntimeStats | undefined {
    const runtime = this.loaded.get(id)?.runtime;
    return runtime?.kind === 'isolate' ? (runtime as IsolateRuntime).stats() : undefined;
  }

  /**
   * Returns the sandbox of a loaded extension, creating it on the first call. When it cannot
   * start, the extension is unloaded and marked failed with the error, which is rethrown.
   */
  private sandboxOf(loaded: LoadedExtension): Promise<ExtensionRuntime> {
    if (loaded.runtime) return Promise.resolve(loaded.runtime);
    loaded.starting ??= this.startSandbox(loaded);
    return loaded.starting;
  }

  private async startSandbox(loaded: LoadedExtension): Promise<ExtensionRuntime> {
    const { record } = loaded;
    const startedAt = performance.now();
    let runtime: ExtensionRuntime;
    try {
      runtime = await this.createSandbox(record, loaded.failures);
    } catch (error) {
      loaded.starting = null;
      // A later unload or reload replaced this entry, so the failure is not this extension's state any more.
      if (this.loaded.get(record.id) === loaded) {
        await this.unload(record.id);
        this.loadErrors.set(record.id, (error as Error).message);
        this.log.error({ extensionId: record.id, version: record.version, err: error }, 'extension sandbox failed to start');
      }
      throw error;
    }

    loaded.starting = null;
    if (this.loaded.get(record.id) !== loaded) {
      // Unloaded (disabled, upgraded, stopped) while the sandbox started.
      await runtime.dispose().catch((error: unknown) => this.log.warn({ extensionId: record.id, err: error }, 'dispose failed'));
      throw new ExtensionError('extension_inactive', 409, `Extension '${record.id}' was unloaded while its sandbox started. Call it again.`);
    }
    loaded.runtime = runtime;
    this.log.info({ extensionId: record.id, runtime: record.manifest.runtime, startMs: Math.round(performance.now() - startedAt) }, 'extension sandbox started');
    return runtime;
  }

  /**
   * Rejects an extension whose route mounts overlap a kernel route, the extension route prefix
   * `/api/ext`, or another active extension's mount.
   */
  private assertMountsFree(manifest: ExtensionManifest): void {
    const kernelPaths = this.deps.kernelRoutePaths?.() ?? [];
    for (const mount of routeMounts(manifest)) {
      const kernelPath = [EXTENSION_ROUTE_BASE, ...kernelPaths].find((candidate) => candidate === mount || candidate.startsWith(`${mount}/`));
      if (kernelPath) {
        throw new ExtensionError('route_mount_conflict', 409, `Extension '${manifest.id}' mounts routes at ${mount}, but the kernel route ${kernelPath} uses that path. Choose another mount path in contributes.routes[].mount and its routes:mount permission.`, { extensionId: manifest.id, mount });
      }
      const owner = [...this.loaded.values()].find((other) => other.record.id !== manifest.id && routeMounts(other.record.manifest).includes(mount));
      if (owner) {
        throw new ExtensionError('route_mount_conflict', 409, `Extension '${manifest.id}' mounts routes at ${mount}, which extension '${owner.record.id}' already mounts. Disable one of them, or change its mount path.`, { extensionId: manifest.id, mount, owner: owner.record.id });
      }
    }
  }

  /**
   * Checks the mounts of the extensions loaded before the kernel's routes were registered,
   * and unloads each one whose mount overlaps a kernel route, with the error as its load error.
   */
  async enforceRouteMounts(): Promise<void> {
    for (const loaded of [...this.loaded.values()]) {
      try {
        this.assertMountsFree(loaded.record.manifest);
      } catch (error) {
        await this.unload(loaded.record.id);
        this.loadErrors.set(loaded.record.id, (error as Error).message);
        this.log.error({ extensionId: loaded.record.id, err: error }, 'extension route mount rejected');
      }
    }
  }

  /** The mounted base paths of the active extensions, by path. */
  routeMountTable(): Map<string, string> {
    if (this.mountTable) return this.mountTable;
    const table = new Map<string, string>();
    for (const loaded of this.loaded.values()) for (const mount of routeMounts(loaded.record.manifest)) table.set(mount, loaded.record.id);
    this.mountTable = table;
    return table;
  }

  private async unload(id: string): Promise<void> {
    this.mountTable = null;
    for (const [key, unsubscribe] of this.eventSubscriptions) {
      if (!key.startsWith(`${id} `)) continue;
      this.eventSubscriptions.delete(key);
      await unsubscribe().catch(() => {});
    }
    const loaded = this.loaded.get(id);
    this.loaded.delete(id);
    this.loadErrors.delete(id);
    // A sandbox still starting is disposed by startSandbox, which finds the entry gone.
    if (loaded?.runtime) await loaded.runtime.dispose().catch((error: unknown) => this.log.warn({ extensionId: id, err: error }, 'dispose failed'));
  }

  /** Copies an extension folder into the data directory and returns the copy's path. */
  private copyIntoDataDir(from: string, manifest: ExtensionManifest): string {
    const target = path.join(this.installDir, manifest.id, manifest.version);
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.cpSync(from, target, { recursive: true, filter: (source) => !/[/\\](node_modules|\.git)([/\\]|$)/.test(path.relative(from, source)) && !/^(node_modules|\.git)$/.test(path.relative(from, source)) });
    return target;
  }

  private async resolveSource(source: InstallSource): Promise<{ folder: string; cleanup: () => void; kind: ExtensionSource }> {
    if (source.folder) {
      if (!fs.existsSync(source.folder)) throw new ExtensionError('extension_source_missing', 422, `Folder ${source.folder} does not exist.`);
      return { folder: path.resolve(source.folder), cleanup: () => {}, kind: 'folder' };
    }
    if (source.packageFile) {
      // Loaded on demand: the tar reader is needed only when a package is installed.
      const { unpackAndVerify } = await import('./package.js');
      const verified = await unpackAndVerify(source.packageFile);
      const cleanup = () => fs.rmSync(verified.folder, { recursive: true, force: true });
      const trusted = verified.signerFingerprint !== null && this.deps.config.trustedSigningKeys.includes(verified.signerFingerprint);
      if (!trusted && !(source.allowUnsigned || this.deps.config.allowUnsignedExtensions)) {
        cleanup();
        const why = verified.signed ? `is signed by key ${verified.signerFingerprint}, which is not in MIFY_TRUSTED_SIGNING_KEYS` : 'is not signed';
        throw new PackageError(`Package ${source.packageFile} ${why}. Add the signer's fingerprint to MIFY_TRUSTED_SIGNING_KEYS, or install with --allow-unsigned if you trust its origin.`);
      }
      return { folder: verified.folder, cleanup, kind: 'package' };
    }
    if (source.registry) {
      // Loaded on demand, like the package reader.
      const { downloadFromRegistry } = await import('./registry-client.js');
      const downloaded = await downloadFromRegistry(source.registry, { config: this.deps.config, logger: this.deps.logger, allowUnsigned: source.allowUnsigned === true });
      return { folder: downloaded.folder, cleanup: downloaded.cleanup, kind: 'registry' };
    }
    throw new ValidationError('Give a folder, a package file or a registry source to install from.', [{ path: 'source', message: 'folder, packageFile or registry is required' }]);
  }

  /**
   * Installs an extension from a folder, a verified package file or a registry
   * (see registry-client.ts for the checks) and loads it. Nothing is kept when it
   * fails to load.
   */
  async install(source: InstallSource): Promise<ExtensionStatus> {
    if (source.registry) {
      // Checked before the download, which may be large.
      const existing = await this.store.get(source.registry.id);
      if (existing) throw new ConflictError(`Extension '${source.registry.id}' is already installed (version ${existing.version}); upgrade it instead.`, { extensionId: source.registry.id });
    }
    const resolved = await this.resolveSource(source);
    try {
      const manifest = readManifest(resolved.folder);
      const existing = await this.store.get(manifest.id);
      if (existing) throw new ConflictError(`Extension '${manifest.id}' is already installed (version ${existing.version}); upgrade it instead.`, { extensionId: manifest.id });

      const location = this.copyIntoDataDir(resolved.folder, manifest);
      const record = { id: manifest.id, version: manifest.version, enabled: true, source: resolved.kind, location, manifest, previous: null };
      try {
        await this.load({ ...record, installedAt: new Date(), updatedAt: new Date() });
      } catch (error) {
        this.loadErrors.delete(manifest.id);
        fs.rmSync(location, { recursive: true, force: true });
        throw error;
      }
      await this.store.save(record);
      this.log.info({ extensionId: manifest.id, version: manifest.version, source: resolved.kind }, 'extension installed');
      return this.status(manifest.id);
    } finally {
      resolved.cleanup();
    }
  }

  /**
   * Replaces an installed extension with another version. When the new
   * version fails to load, the previous one is restored and loaded again.
   */
  async upgrade(id: string, source: InstallSource): Promise<ExtensionStatus> {
    const current = await this.requireRecord(id);
    const resolved = await this.resolveSource(source);
    try {
      const manifest = readManifest(resolved.folder);
      if (manifest.id !== id) throw new ValidationError(`The new package is extension '${manifest.id}', not '${id}'.`, [{ path: '$.id', message: `expected '${id}'` }]);
      if (manifest.version === current.version) throw new ConflictError(`Extension '${id}' is already at version ${manifest.version}.`);
      if (semver.lt(manifest.version, current.version)) this.log.warn({ extensionId: id, from: current.version, to: manifest.version }, 'downgrading extension');

      const location = this.copyIntoDataDir(resolved.folder, manifest);
      const next = { id, version: manifest.version, enabled: current.enabled, source: resolved.kind, location, manifest, previous: { version: current.version, location: current.location, source: current.source, manifest: current.manifest } };
      await this.unload(id);
      try {
        if (current.enabled) await this.load({ ...next, installedAt: current.installedAt, updatedAt: new Date() });
        else readManifest(location);
      } catch (error) {
        fs.rmSync(location, { recursive: true, force: true });
        if (current.enabled) await this.load(current).catch(() => {});
        this.log.error({ extensionId: id, from: current.version, to: manifest.version, err: error }, 'upgrade failed; rolled back');
        throw new ExtensionError('upgrade_failed', 422, `Upgrading '${id}' to ${manifest.version} failed, so version ${current.version} was restored: ${(error as Error).message}`, { extensionId: id, restoredVersion: current.version });
      }
      await this.store.save(next);
      this.log.info({ extensionId: id, from: current.version, to: manifest.version }, 'extension upgraded');
      return this.status(id);
    } finally {
      resolved.cleanup();
    }
  }

  async enable(id: string): Promise<ExtensionStatus> {
    const record = await this.requireRecord(id);
    if (!this.loaded.has(id)) await this.load({ ...record, enabled: true });
    await this.store.setEnabled(id, true);
    return this.status(id);
  }

  async disable(id: string): Promise<ExtensionStatus> {
    await this.requireRecord(id);
    await this.unload(id);
    await this.store.setEnabled(id, false);
    return this.status(id);
  }

  async uninstall(id: string): Promise<void> {
    const record = await this.requireRecord(id);
    if (record.source === 'bundled') throw new ExtensionError('bundled_extension', 409, `Extension '${id}' ships with MIFY and cannot be uninstalled; disable it instead.`);
    await this.unload(id);
    await this.store.delete(id);
    if (record.location.startsWith(this.installDir)) fs.rmSync(path.join(this.installDir, id), { recursive: true, force: true });
    this.log.info({ extensionId: id }, 'extension uninstalled');
  }

  private async requireRecord(id: string): Promise<InstalledRecord> {
    const record = await this.store.get(id);
    if (!record) throw new NotFoundError('Extension', id);
    return record;
  }

  private describe(record: InstalledRecord): ExtensionStatus {
    const loaded = this.loaded.get(record.id);
    const loadError = this.loadErrors.get(record.id);
    return {
      id: record.id,
      version: record.version,
      name: record.manifest.name,
      description: record.manifest.description,
      runtime: record.manifest.runtime,
      source: record.source,
      enabled: record.enabled,
      state: extensionState(record.enabled, loaded !== undefined),
      sandbox: sandboxState(loaded),
      health: loadError || (loaded && !loaded.failures.healthy) ? 'unhealthy' : 'healthy',
      recentFailures: loaded?.failures.failureCount ?? 0,
      lastError: loadError ?? this.lastErrors.get(record.id) ?? null,
      permissions: record.manifest.permissions,
      previousVersion: record.previous?.version ?? null,
    };
  }

  async status(id: string): Promise<ExtensionStatus> {
    return this.describe(await this.requireRecord(id));
  }

  async list(): Promise<ExtensionStatus[]> {
    return (await this.store.list()).map((record) => this.describe(record));
  }

  /** Manifests of the active extensions, for contribution listings. */
  activeManifests(): Array<{ manifest: ExtensionManifest; healthy: boolean }> {
    return [...this.loaded.values()].map((loaded) => ({ manifest: loaded.record.manifest, healthy: loaded.failures.healthy }));
  }

  /** Manifest and health of one active extension, or undefined when it is not loaded. */
  activeManifest(id: string): { manifest: ExtensionManifest; healthy: boolean } | undefined {
    const loaded = this.loaded.get(id);
    return loaded ? { manifest: loaded.record.manifest, healthy: loaded.failures.healthy } : undefined;
  }

  /** Calls a contribution of an active extension in its sandbox. */
  async invoke(id: string, request: InvokeRequest, context: InvocationContext): Promise<unknown> {
    const loaded = this.loaded.get(id);
    if (!loaded) {
      const record = await this.store.get(id);
      if (!record) throw new NotFoundError('Extension', id);
      throw new ExtensionError('extension_inactive', 409, `Extension '${id}' is ${record.enabled ? `not loaded: ${this.loadErrors.get(id) ?? 'unknown error'}` : 'disabled; enable it first'}.`);
    }
    const runtime = await this.sandboxOf(loaded);
    const bridge = await this.deps.bridgeFactory({ ...context, extensionId: id, manifest: loaded.record.manifest });
    try {
      return await runtime.invoke(request, bridge);
    } finally {
      bridge.dispose?.();
    }
  }

  /**
   * Subscribes an extension to `<publisher id>.<topic>`: the subscription is stored, so it
   * survives restarts, and each event is passed to the extension's `event` hook in the
   * workspace it was published in.
   */
  async subscribeToEvents(extensionId: string, topic: string): Promise<void> {
    await this.deps.db.query(
      `insert into extension_kv (extension_id, workspace_id, key, value) values ($1, '', $2, 'true'::jsonb) on conflict do nothing`,
      [extensionId, `${EVENT_SUBSCRIPTION_PREFIX}${topic}`],
    );
    await this.listen(extensionId, topic);
  }

  /** Subscribes an extension again to its stored topics, read from the database unless given. */
  private async restoreEventSubscriptions(extensionId: string, topics?: readonly string[]): Promise<void> {
    if (!topics) {
      const rows = await this.deps.db.query<{ key: string }>(`select key from extension_kv where extension_id = $1 and workspace_id = '' and key like $2`, [extensionId, `${EVENT_SUBSCRIPTION_PREFIX}%`]);
      topics = rows.map((row) => row.key.slice(EVENT_SUBSCRIPTION_PREFIX.length));
    }
    for (const topic of topics) await this.listen(extensionId, topic);
  }

  /** Stored event subscriptions of the given extensions: extension id → topics. */
  private async storedEventSubscriptions(extensionIds: string[]): Promise<Map<string, string[]>> {
    // Filtering by extension id lets PostgreSQL use the primary key (extension_id, workspace_id, key) of extension_kv.
    const rows = await this.deps.db.query<{ extension_id: string; key: string }>(`select extension_id, key from extension_kv where extension_id = any($1::text[]) and workspace_id = '' and key like $2`, [extensionIds, `${EVENT_SUBSCRIPTION_PREFIX}%`]);
    const topics = new Map<string, string[]>();
    for (const row of rows) topics.set(row.extension_id, [...(topics.get(row.extension_id) ?? []), row.key.slice(EVENT_SUBSCRIPTION_PREFIX.length)]);
    return topics;
  }

  private async listen(extensionId: string, topic: string): Promise<void> {
    const key = `${extensionId} ${topic}`;
    if (this.eventSubscriptions.has(key) || !this.deps.sharedState) return;
    const unsubscribe = await this.deps.sharedState.pubsub.subscribe(`ext.${topic}`, (text) => {
      let message: { topic: string; payload: unknown; source: string; publishedAt: string; workspaceId: string | null; runId: string | null };
      try {
        message = JSON.parse(text);
      } catch {
        return;
      }
      const event = { topic: `${message.source}.${message.topic}`, payload: message.payload, source: message.source, publishedAt: message.publishedAt };
      this.invoke(extensionId, { kind: 'hook', name: 'event', input: event }, { workspaceId: message.workspaceId }).catch((error: unknown) => {
        this.log.warn({ extensionId, topic, err: error }, 'event hook failed');
      });
    });
    this.eventSubscriptions.set(key, unsubscribe);
  }

  async stop(): Promise<void> {
    for (const id of [...this.loaded.keys()]) await this.unload(id);
  }
}
