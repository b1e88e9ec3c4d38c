import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import semver from 'semver';
import { isRole, type Role } from '../auth/roles.js';
import { describeEnvironment, loadConfig, type KernelConfig } from '../config.js';
import { ConfigError, MifyError } from '../errors.js';
import { GraphImportService, IMPORT_PLATFORMS, importTooLargeMessage, MAX_IMPORT_FILE_BYTES, type ImportReport } from '../graphs/imports.js';
import type { InstallSource } from '../extensions/host.js';
import { loadRegistryRoutes } from '../extensions/registry-mount.js';
import { createKernel, type Kernel } from '../kernel.js';
import { createLogger } from '../logger.js';
import { loadNativeMemory, startIdleMemoryTrim } from './idle-memory.js';
import { openDatabase, type Database } from '../storage/database.js';
import { migrate } from '../storage/migrator.js';
import { startServer } from '../server.js';
import { KERNEL_VERSION } from '../version.js';

/** A mistake in how the command was called; printed with the command's usage. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface Command {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Number of positional arguments the command takes (default 0). */
  positionals?: number;
  run(values: Record<string, string | boolean | undefined>, io: CliIo, positionals: string[]): Promise<number | 'running'>;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** The database of `mify start`, when the caller began to open it already (see early-database.ts). */
  startDatabase?: Promise<Database> | null;
}

const commonOptions = { help: { type: 'boolean', short: 'h' } } as const;

function required(values: Record<string, unknown>, name: string, usage: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`Missing required option --${name}.`, usage);
  return value;
}

function roleOption(values: Record<string, unknown>, usage: string, fallback: Role): Role {
  const value = values.role ?? fallback;
  if (!isRole(value)) throw new UsageError(`--role '${String(value)}' is invalid; use owner, editor or viewer.`, usage);
  return value;
}

/**
 * Starts the idle memory trim of `mify start` (idle-memory.ts) once the extensions are loaded.
 * Its first check comes a second later, after the start-up work has settled. Where the native
 * addon is missing, V8's memory reducer and glibc's own trimming are left to their defaults.
 */
function startMemoryTrim(config: KernelConfig, logger: Kernel['services']['logger']): void {
  if (config.memoryTrimIntervalMs === 0) return;
  const { native, reason } = loadNativeMemory();
  if (!native) {
    logger.debug({ reason }, 'freed memory is not returned to the system');
    return;
  }
  startIdleMemoryTrim({ trim: native.trim, reduceHeap: native.reduceHeap, firstDelayMs: Math.min(1_000, config.memoryTrimIntervalMs), intervalMs: config.memoryTrimIntervalMs, logger });
}

/** Opens a kernel for a one-shot command, with logs at warn level so the output stays readable. */
async function withKernel<T>(io: CliIo, fn: (kernel: Kernel) => Promise<T>, options: { loadExtensions?: boolean } = {}): Promise<T> {
  const config = loadConfig(io.env);
  const kernel = await createKernel({ config, logger: createLogger({ level: io.env.MIFY_LOG_LEVEL ?? 'warn' }), loadExtensions: options.loadExtensions ?? false, executeRuns: false });
  try {
    return await fn(kernel);
  } finally {
    await kernel.close();
  }
}

function printRunning(io: CliIo, url: string, config: KernelConfig): void {
  io.out('');
  io.out(`MIFY ${KERNEL_VERSION} is running at ${url}`);
  io.out(`  storage: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.dataDir}`}`);
}

function printSetupHint(io: CliIo, url: string, needsSetup: boolean, config: KernelConfig): void {
  if (needsSetup) {
    io.out('');
    io.out('First run: create the owner account and the first workspace, either');
    io.out(`  - in the browser at ${url}/setup, or`);
    io.out('  - from a terminal: npx mify setup --email you@example.com --password <password> --workspace "My team"');
    if (!config.databaseUrl) io.out('    (stop this server first: the embedded database serves one process at a time)');
  }
  io.out('');
}

/** Maximum wait, in milliseconds, of a stop signal for the extensions that are still loading. */
const STOP_LOADING_WAIT_MS = 10_000;

const commands: Record<string, Command> = {
  start: {
    usage: 'mify start [--host HOST] [--port PORT]',
    summary: 'Migrate the database and serve the API and the studio',
    options: { host: { type: 'string' }, port: { type: 'string' } },
    async run(values, io) {
      const env = { ...io.env };
      if (typeof values.host === 'string') env.MIFY_HOST = values.host;
      if (typeof values.port === 'string') env.MIFY_PORT = values.port;
      const config = loadConfig(env);
      const registry = config.registryMount ? { extraRoutes: await loadRegistryRoutes(config, createLogger({ level: config.logLevel })) } : {};
      // Extensions load after the server listens, so /api/health responds while they load.
      const kernel = await createKernel({ config, loadExtensions: false, ...(io.startDatabase ? { database: io.startDatabase } : {}), ...registry });
      const running = await startServer(kernel);
      // The URL comes first, because the setup check below waits for Prisma to load its query compiler on a fresh start.
      printRunning(io, running.url, config);
      // Runs start executing once the extensions are loaded, so runs resumed after a crash find their node types.
      const loading = kernel.services.extensionHost
        .start()
        .catch((error: unknown) => kernel.services.logger.error({ err: error }, 'loading extensions failed'))
        .then(() => kernel.startExecution())
        .catch((error: unknown) => kernel.services.logger.error({ err: error }, 'could not start executing runs'))
        .then(() => startMemoryTrim(config, kernel.services.logger));

      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        kernel.services.logger.info({ signal }, 'received signal');
        // A signal that arrives while the extensions load waits for them (up to STOP_LOADING_WAIT_MS), so the database is not closed under their queries.
        const loaded = Promise.race([loading, sleep(STOP_LOADING_WAIT_MS, undefined, { ref: false })]);
        loaded.then(() => running.close()).then(
          () => process.exit(0),
          (error: unknown) => {
            kernel.services.logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      // A terminal's Ctrl-C reaches this process and its launcher, which forwards it again,
      // so later signals are ignored while the first one drains.
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));

      printSetupHint(io, running.url, await kernel.services.userService.needsSetup(), config);
      return 'running';
    },
  },
  worker: {
    usage: 'mify worker',
    summary: 'Run a Temporal worker that executes runs, without the HTTP server (needs TEMPORAL_ADDRESS and DATABASE_URL)',
    options: {},
    async run(_values, io) {
      const problem = workerConfigProblem(io.env);
      if (problem) {
        io.err(problem);
        return 78;
      }
      const config = loadConfig({ ...io.env, MIFY_RUN_BACKEND: 'temporal' });
      const kernel = await createKernel({ config, loadExtensions: true, temporalWorker: true });
      const { logger } = kernel.services;

      let stopping = false;
      const stop = (reason: string, code: number) => {
        if (stopping) return;
        stopping = true;
        logger.info({ reason }, 'stopping the worker');
        kernel.close().then(
          () => process.exit(code),
          (error: unknown) => {
            logger.error({ err: error }, 'worker shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM', 0));
      process.on('SIGINT', () => stop('SIGINT', 0));
      kernel.temporalWorker!.done.catch(() => stop('the Temporal worker stopped on an error', 1));

      io.out(`MIFY worker polling task queue '${config.temporalTaskQueue}' of namespace '${config.temporalNamespace}' at ${config.temporalAddress}; stop it with Ctrl-C.`);
      return 'running';
    },
  },
  migrate: {
    usage: 'mify migrate',
    summary: 'Apply pending database migrations and exit',
    options: {},
    async run(_values, io) {
      const config = loadConfig(io.env);
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteThread: config.pgliteThread });
      try {
        const applied = await migrate(db);
        io.out(applied.length === 0 ? `Database is up to date (${db.location}).` : `Applied ${applied.length} migration(s) to ${db.location}:\n${applied.map((name) => `  ${name}`).join('\n')}`);
      } finally {
        await db.close();
      }
      return 0;
    },
  },
  setup: {
    usage: 'mify setup --email EMAIL --password PASSWORD --workspace NAME [--name NAME]',
    summary: 'Create the owner account and the first workspace (first run only)',
    options: { email: { type: 'string' }, password: { type: 'string' }, workspace: { type: 'string' }, name: { type: 'string' } },
    async run(values, io) {
      const usage = commands.setup!.usage;
      const input = { email: required(values, 'email', usage), password: required(values, 'password', usage), workspace: required(values, 'workspace', usage), name: values.name as string | undefined };
      const result = await withKernel(io, (kernel) => kernel.services.userService.setup(input));
      io.out(`Created owner ${result.user.email} and workspace '${result.workspace.name}' (slug ${result.workspace.slug}, id ${result.workspace.id}).`);
      return 0;
    },
  },
  'user create': {
    usage: 'mify user create --email EMAIL --password PASSWORD [--name NAME] [--workspace SLUG_OR_ID --role owner|editor|viewer]',
    summary: 'Create a user, optionally adding them to a workspace',
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, workspace: { type: 'string' }, role: { type: 'string' } },
    async run(values, io) {
      const usage = commands['user create']!.usage;
      const email = required(values, 'email', usage);
      const password = required(values, 'password', usage);
      const role = roleOption(values, usage, 'editor');
      await withKernel(io, async (kernel) => {
        const { userService, db } = kernel.services;
        const workspace = typeof values.workspace === 'string' ? await userService.findWorkspace(values.workspace) : null;
        if (typeof values.workspace === 'string' && !workspace) throw new UsageError(`Workspace '${values.workspace}' was not found; pass its slug or id.`, usage);
        const user = await userService.createUser({ email, password, name: values.name as string | undefined });
        if (workspace) await db.prisma.membership.create({ data: { workspaceId: workspace.id, userId: user.id, role } });
        io.out(`Created user ${user.email} (id ${user.id})${workspace ? ` as ${role} of '${workspace.slug}'` : ''}.`);
      });
      return 0;
    },
  },
  'api-key create': {
    usage: 'mify api-key create --workspace SLUG_OR_ID --name NAME [--role owner|editor|viewer]',
    summary: 'Create an API key for a workspace and print it (shown only once)',
    options: { workspace: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    async run(values, io) {
      const usage = commands['api-key create']!.usage;
      const workspaceRef = required(values, 'workspace', usage);
      const name = required(values, 'name', usage);
      const role = roleOption(values, usage, 'editor');
      const key = await withKernel(io, async (kernel) => {
        const workspace = await kernel.services.userService.findWorkspace(workspaceRef);
        if (!workspace) throw new UsageError(`Workspace '${workspaceRef}' was not found; pass its slug or id (see the output of \`mify setup\`).`, usage);
        return (await kernel.services.apiKeyService.create({ workspaceId: workspace.id, name, role, createdBy: null })).key;
      });
      io.out(key);
      io.err('Store this key now: it is not shown again. Send it as "Authorization: Bearer <key>".');
      return 0;
    },
  },
  import: {
    usage: `mify import <${IMPORT_PLATFORMS.join('|')}> <file> [--workspace SLUG_OR_ID] [--name NAME] [--confirm-newer-version]`,
    summary: 'Import a workflow file of another platform as a new graph and print the import report',
    options: { workspace: { type: 'string' }, name: { type: 'string' }, 'confirm-newer-version': { type: 'boolean' } },
    positionals: 2,
    async run(values, io, positionals) {
      const usage = commands.import!.usage;
      const [platform, file] = positionals as [string, string];
      if (!(IMPORT_PLATFORMS as readonly string[]).includes(platform)) throw new UsageError(`Platform '${platform}' is unknown; use one of ${IMPORT_PLATFORMS.join(', ')}.`, usage);
      if (!fs.existsSync(file)) throw new UsageError(`File ${file} does not exist.`, usage);
      const bytes = fs.statSync(file).size;
      if (bytes > MAX_IMPORT_FILE_BYTES) {
        io.err(`Error: ${importTooLargeMessage(bytes)}`);
        return 1;
      }
      const content = fs.readFileSync(file, 'utf8');

      const result = await withKernel(io, async (kernel) => {
        const { userService, db, extensionHost, contributions, graphService, logger } = kernel.services;
        const workspace = await resolveWorkspace(values.workspace as string | undefined, usage, (ref) => userService.findWorkspace(ref), () => db.prisma.workspace.findMany({ take: 2, select: { id: true, slug: true } }));
        const service = new GraphImportService({ extensionHost, contributions, graphService, logger });
        return service.importFile(workspace.id, { type: 'user', id: 'mify-cli' }, platform, {
          fileName: path.basename(file),
          content,
          confirmNewerVersion: values['confirm-newer-version'] === true,
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
        });
      }, { loadExtensions: true });

      for (const entry of [{ graph: result.graph, report: result.report }, ...result.additionalGraphs]) printImport(io, entry.graph, entry.report);
      return 0;
    },
  },
  'ext list': {
    usage: 'mify ext list',
    summary: 'List installed extensions with state and health',
    options: {},
    async run(_values, io) {
      await withKernel(io, async (kernel) => {
        // A kernel starts each sandbox on first call. Starting them all here lists a bundle that cannot load as failed.
        await kernel.services.extensionHost.startSandboxes();
        const items = await kernel.services.extensionHost.list();
        if (items.length === 0) io.out('No extensions installed.');
        for (const item of items) {
          io.out(`${item.id}@${item.version}  ${item.state}${item.health === 'unhealthy' ? ' (unhealthy)' : ''}  ${item.runtime}  ${item.source}${item.lastError ? `\n    last error: ${item.lastError}` : ''}`);
        }
      }, { loadExtensions: true });
      return 0;
    },
  },
  'ext install': {
    usage: 'mify ext install <folder|package.tgz|id@range> [--registry URL] [--allow-unsigned]',
    summary: 'Install an extension from a folder, a package file or a registry (id@range, such as acme.hello@^1.0.0)',
    options: { 'allow-unsigned': { type: 'boolean' }, registry: { type: 'string' } },
    positionals: 1,
    async run(values, io, positionals) {
      const source = sourceFrom(positionals[0], values, commands['ext install']!.usage);
      const status = await withKernel(io, (kernel) => kernel.services.extensionHost.install(source), { loadExtensions: true });
      io.out(`Installed ${status.id}@${status.version} (${status.state}).`);
      return 0;
    },
  },
  'ext upgrade': {
    usage: 'mify ext upgrade <id> <folder|package.tgz|id@range> [--registry URL] [--allow-unsigned]',
    summary: 'Upgrade an extension; the previous version is restored if the new one fails to load',
    options: { 'allow-unsigned': { type: 'boolean' }, registry: { type: 'string' } },
    positionals: 2,
    async run(values, io, positionals) {
      const usage = commands['ext upgrade']!.usage;
      const [id, target] = positionals;
      const status = await withKernel(io, (kernel) => kernel.services.extensionHost.upgrade(id!, sourceFrom(target, values, usage)), { loadExtensions: true });
      io.out(`Upgraded ${status.id} to ${status.version}.`);
      return 0;
    },
  },
  'ext enable': extensionStateCommand('enable', 'Enable an extension'),
  'ext disable': extensionStateCommand('disable', 'Disable an extension'),
  'ext uninstall': {
    usage: 'mify ext uninstall <id>',
    summary: 'Uninstall an extension and delete its files',
    options: {},
    positionals: 1,
    async run(values, io, positionals) {
      const [id] = positionals;
      await withKernel(io, (kernel) => kernel.services.extensionHost.uninstall(id!));
      io.out(`Uninstalled ${id}.`);
      return 0;
    },
  },
};

/** Finds the workspace named by --workspace, or the only workspace when the option is left out. */
async function resolveWorkspace(
  ref: string | undefined,
  usage: string,
  find: (ref: string) => Promise<{ id: string; slug: string } | null>,
  firstTwo: () => Promise<Array<{ id: string; slug: string }>>,
): Promise<{ id: string; slug: string }> {
  if (ref) {
    const workspace = await find(ref);
    if (!workspace) throw new UsageError(`Workspace '${ref}' was not found; pass its slug or id.`, usage);
    return workspace;
  }
  const workspaces = await firstTwo();
  if (workspaces.length === 1) return workspaces[0]!;
  throw new UsageError(workspaces.length === 0 ? 'There is no workspace yet; run `mify setup` first.' : 'There are several workspaces; choose one with --workspace.', usage);
}

/** Prints the new graph and its import report: one line per source node, then credentials, schedules and warnings. */
function printImport(io: CliIo, graph: { id: string; name: string }, report: ImportReport): void {
  io.out(`Imported '${graph.name}' as graph ${graph.id} (${report.format}): ${report.counts.mapped} mapped, ${report.counts.approximated} approximated, ${report.counts.opaque} opaque.`);
  const width = Math.max(...report.nodes.map((node) => node.source.name.length), 4);
  for (const node of report.nodes) {
    io.out(`  ${node.status.padEnd(12)} ${node.source.name.padEnd(width)}  ${node.source.type} -> ${node.nodeType ?? '(folded into another node)'}${node.flags.length > 0 ? `  [${node.flags.join(', ')}]` : ''}`);
    for (const note of node.notes) io.out(`${' '.repeat(16)}- ${note}`);
  }
  for (const credential of report.credentials) {
    io.out(`  credential to bind: node '${credential.nodeName}', parameter ${credential.parameter}: ${credential.platformType}${credential.platformName ? ` '${credential.platformName}'` : ''} (suggested: ${credential.suggestedTypes.join(', ')})`);
  }
  for (const hint of report.scheduleHints) io.out(`  schedule hint: ${hint.cron}${hint.timezone ? ` (${hint.timezone})` : ''}`);
  if (report.stickyNotes > 0) io.out(`  sticky notes: ${report.stickyNotes}`);
  for (const warning of report.warnings) io.out(`  warning: ${warning}`);
}

/** Builds `mify ext enable|disable <id>`, which reports the extension's state afterwards. */
function extensionStateCommand(action: 'enable' | 'disable', summary: string): Command {
  return {
    usage: `mify ext ${action} <id>`,
    summary,
    options: {},
    positionals: 1,
    async run(_values, io, positionals) {
      const [id] = positionals;
      // Only enabling loads sandboxes, to report whether the extension starts.
      const status = await withKernel(io, (kernel) => kernel.services.extensionHost[action](id!), { loadExtensions: action === 'enable' });
      io.out(`${status.id} is ${status.state}.`);
      return 0;
    },
  };
}

/** Registry references on the command line: `acme.hello`, `acme.hello@^1.2.0`, `acme.hello@1.2.3`. */
const REGISTRY_REFERENCE = /^([a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+)(?:@(.+))?$/;

/**
 * Reads the install target: an existing folder or package file, or else a registry
 * reference `id@range` (the newest compatible version when the range is left out).
 */
function sourceFrom(target: string | undefined, values: Record<string, unknown>, usage: string): InstallSource {
  if (!target) throw new UsageError('Missing the folder, package file or id@range to install from.', usage);
  const allowUnsigned = values['allow-unsigned'] === true;
  const registryUrl = typeof values.registry === 'string' ? values.registry : undefined;
  const isFile = /\.(tgz|tar\.gz)$/.test(target);
  const reference = REGISTRY_REFERENCE.exec(target);

  if (fs.existsSync(target) || isFile || !reference) {
    if (registryUrl) throw new UsageError(`--registry applies to registry installs (id@range), but ${target} is a folder or package file.`, usage);
    return isFile ? { packageFile: target, allowUnsigned } : { folder: target, allowUnsigned };
  }
  const range = reference[2] ?? '*';
  if (semver.validRange(range) === null) throw new UsageError(`'${range}' in ${target} is not a semver range; use a version (1.2.0) or a range such as ^1.0.0.`, usage);
  return { registry: { id: reference[1]!, range, url: registryUrl }, allowUnsigned };
}

/** Returns why `mify worker` cannot run with this environment, or null when it can. */
function workerConfigProblem(env: Record<string, string | undefined>): string | null {
  if (!env.TEMPORAL_ADDRESS) return 'mify worker needs TEMPORAL_ADDRESS, the Temporal frontend to poll (host:port such as 127.0.0.1:7233).';
  if (env.MIFY_RUN_BACKEND && env.MIFY_RUN_BACKEND !== 'temporal') {
    return `mify worker executes runs of the temporal back end, but MIFY_RUN_BACKEND=${env.MIFY_RUN_BACKEND}; unset MIFY_RUN_BACKEND or set it to temporal.`;
  }
  if (!env.DATABASE_URL) {
    return 'mify worker needs DATABASE_URL, the PostgreSQL server the kernel processes use: workers record steps in the same database, and the embedded database opens in one process only. To run without a separate worker, let the kernel run one (MIFY_TEMPORAL_WORKER=on).';
  }
  return null;
}

function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    `mify ${KERNEL_VERSION}: the MIFY kernel`,
    '',
    'Usage: mify <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `mify <command> --help` for the options of a command.',
    '',
    'Environment:',
    ...describeEnvironment().map(({ name, description }) => `  ${name}${description ? `: ${description}` : ''}`),
  ].join('\n');
}

/** Runs the CLI. Returns the exit code, or 'running' when a server keeps the process alive. */
export async function runCli(argv: string[], io: CliIo): Promise<number | 'running'> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.out(KERNEL_VERSION);
    return 0;
  }

  const twoWord = `${argv[0]} ${argv[1] ?? ''}`;
  const [name, rest] = commands[twoWord] ? [twoWord, argv.slice(2)] : [argv[0]!, argv.slice(1)];
  const command = commands[name];
  if (!command) {
    const groups = Object.keys(commands).filter((key) => key.startsWith(`${argv[0]} `));
    const hint = groups.length > 0 ? `Did you mean: ${groups.map((g) => `mify ${g}`).join(', ')}?` : 'Run `mify --help` for the list of commands.';
    io.err(`Unknown command '${argv.slice(0, 2).join(' ')}'. ${hint}`);
    return 2;
  }

  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...command.options, ...commonOptions }, strict: true, allowPositionals: (command.positionals ?? 0) > 0 });
    if (values.help) {
      io.out(`Usage: ${command.usage}\n\n${command.summary}.`);
      return 0;
    }
    if (positionals.length !== (command.positionals ?? 0)) throw new UsageError(`Expected ${command.positionals ?? 0} argument(s), got ${positionals.length}.`, command.usage);
    return await command.run(values as Record<string, string | boolean | undefined>, io, positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\nUsage: ${error.usage}`);
      return 2;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${error.message}\nUsage: ${command.usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 78;
    }
    if (error instanceof MifyError) {
      // Some messages already list their problems; print the list only when they do not.
      const problems = ((error.details?.errors as Array<{ path: string; message: string }> | undefined) ?? []).filter((p) => !error.message.includes(p.message));
      io.err([`Error: ${error.message}`, ...problems.map((p) => `  - ${p.path}: ${p.message}`)].join('\n'));
      return 1;
    }
    throw error;
  }
}
