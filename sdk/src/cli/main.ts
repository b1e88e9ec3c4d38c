/**
 * `mify-plugin`: the extension author's command line. Commands: init, validate, build,
 * test, dev, login, publish.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { buildExtension, WORK_DIR } from './build.js';
import { chooseRegistry, normaliseRegistryUrl, readCredentials, tokenFor, writeCredentials } from './credentials.js';
import { startDev } from './dev.js';
import { initExtension, TEMPLATES } from './init.js';
import { PluginCliError, UsageError, type PluginCliIo } from './io.js';
import { readManifestFile } from './manifest-file.js';
import { registryRequest } from './registry-client.js';
import { testExtension } from './test-command.js';
import { validateExtension } from './validate.js';
import { packExtension } from '../package.js';

export type { PluginCliIo };

interface Command {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Most positional arguments the command takes (default 0). */
  positionals?: number;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], io: PluginCliIo): Promise<number | 'running'>;
}

const dirOption = { dir: { type: 'string' } } as const;

function folderOf(values: Record<string, unknown>, io: PluginCliIo): string {
  return path.resolve(io.cwd, typeof values.dir === 'string' ? values.dir : '.');
}

async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY) return '';
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split('\n')[0]!.trim();
}

const commands: Record<string, Command> = {
  init: {
    usage: `mify-plugin init <folder> [--template ${Object.keys(TEMPLATES).join('|')}] [--id ID] [--name NAME]`,
    summary: 'Create an extension from a template',
    options: { template: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' } },
    positionals: 1,
    async run(values, positionals, io) {
      if (!positionals[0]) throw new UsageError('Missing the folder to create.', commands.init!.usage);
      const template = typeof values.template === 'string' ? values.template : 'typescript';
      const created = initExtension({ folder: path.resolve(io.cwd, positionals[0]), template, id: values.id as string | undefined, name: values.name as string | undefined });
      io.out(`Created ${created.id} from the ${template} template in ${created.folder}:`);
      for (const file of created.files) io.out(`  ${file}`);
      io.out('Next: npm install, then npx mify-plugin test.');
      return 0;
    },
  },
  validate: {
    usage: 'mify-plugin validate [--dir DIR] [--source-only]',
    summary: 'Check the manifest, the built entry and the permissions, with a fix for each problem',
    options: { ...dirOption, 'source-only': { type: 'boolean' } },
    async run(values, _positionals, io) {
      const findings = validateExtension(folderOf(values, io), { built: values['source-only'] !== true });
      for (const finding of findings) (finding.level === 'error' ? io.err : io.out)(`${finding.level}: ${finding.where}: ${finding.message}`);
      const errors = findings.filter((f) => f.level === 'error').length;
      io.out(errors === 0 ? `Valid${findings.length > 0 ? `, with ${findings.length} warning(s)` : ''}.` : `${errors} error(s); fix them and run validate again.`);
      return errors === 0 ? 0 : 1;
    },
  },
  build: {
    usage: 'mify-plugin build [--dir DIR]',
    summary: 'Bundle for the isolate or compile to WebAssembly, validate, and pack into .mify/<id>-<version>.tgz',
    options: dirOption,
    async run(values, _positionals, io) {
      const result = await buildExtension(folderOf(values, io), { log: io.out, env: io.env });
      for (const finding of result.findings) io.out(`warning: ${finding.where}: ${finding.message}`);
      io.out(`Built ${result.manifest.id}@${result.manifest.version}: ${path.relative(io.cwd, result.packageFile) || result.packageFile}`);
      return 0;
    },
  },
  test: {
    usage: 'mify-plugin test [--dir DIR]',
    summary: "Build, then run the extension's test/*.test.ts in the production sandbox",
    options: dirOption,
    async run(values, _positionals, io) {
      return testExtension(folderOf(values, io), { log: io.out, env: io.env });
    },
  },
  dev: {
    usage: 'mify-plugin dev [--dir DIR] [--kernel URL] [--api-key KEY]',
    summary: 'Install into a local kernel and reinstall on every change (MIFY_KERNEL_URL, MIFY_API_KEY)',
    options: { ...dirOption, kernel: { type: 'string' }, 'api-key': { type: 'string' } },
    async run(values, _positionals, io) {
      const kernelUrl = (values.kernel as string | undefined) ?? io.env.MIFY_KERNEL_URL ?? 'http://127.0.0.1:8080';
      const apiKey = (values['api-key'] as string | undefined) ?? io.env.MIFY_API_KEY;
      if (!apiKey) throw new UsageError('Missing an API key: pass --api-key or set MIFY_API_KEY to an owner key (`npx mify api-key create --workspace SLUG --name dev --role owner`).', commands.dev!.usage);
      const stop = await startDev({ folder: folderOf(values, io), kernelUrl: kernelUrl.replace(/\/+$/, ''), apiKey, log: io.out, env: io.env });
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          stop();
          process.exit(0);
        });
      }
      return 'running';
    },
  },
  login: {
    usage: 'mify-plugin login --registry URL [--token TOKEN]',
    summary: 'Check a registry token and store it (in ~/.config/mify/credentials.json or $MIFY_CONFIG_DIR); without --token it is read from stdin',
    options: { registry: { type: 'string' }, token: { type: 'string' } },
    async run(values, _positionals, io) {
      if (typeof values.registry !== 'string') throw new UsageError('Missing --registry URL.', commands.login!.usage);
      const registry = normaliseRegistryUrl(values.registry);
      const token = typeof values.token === 'string' ? values.token : await readStdinLine();
      if (!token) throw new UsageError('Missing the token: pass --token TOKEN or pipe it on stdin.', commands.login!.usage);
      const { publisher } = await registryRequest<{ publisher: string }>(registry, '/api/registry/whoami', { token });
      const credentials = readCredentials(io.env);
      credentials.registries[registry] = { token, publisher };
      credentials.defaultRegistry = registry;
      const file = writeCredentials(io.env, credentials);
      io.out(`Logged in to ${registry} as publisher '${publisher}'; the token is stored in ${file}.`);
      return 0;
    },
  },
  publish: {
    usage: 'mify-plugin publish [--dir DIR] [--registry URL]',
    summary: 'Validate the built extension, pack it and upload it to the registry, which signs it',
    options: { ...dirOption, registry: { type: 'string' } },
    async run(values, _positionals, io) {
      const folder = folderOf(values, io);
      const registry = chooseRegistry(values.registry as string | undefined, io.env);
      const token = tokenFor(registry, io.env);
      const errors = validateExtension(folder, { built: true }).filter((f) => f.level === 'error');
      if (errors.length > 0) throw new PluginCliError(`Not published, because the extension is not valid:\n${errors.map((f) => `  - ${f.where}: ${f.message}`).join('\n')}`);

      const manifest = readManifestFile(folder);
      const packageFile = path.join(folder, WORK_DIR, `${manifest.id}-${manifest.version}.tgz`);
      fs.mkdirSync(path.dirname(packageFile), { recursive: true });
      await packExtension(folder, packageFile);
      const published = await registryRequest<{ id: string; version: string; signerFingerprint: string | null; integrity: string }>(registry, '/api/registry/packages', {
        method: 'POST',
        token,
        headers: { 'content-type': 'application/gzip' },
        body: fs.readFileSync(packageFile),
      });
      io.out(`Published ${published.id}@${published.version} to ${registry}${published.signerFingerprint ? `, signed by key ${published.signerFingerprint}` : ' (unsigned)'}.`);
      io.out(`Install it with: npx mify ext install ${published.id}@${published.version} --registry ${registry}`);
      return 0;
    },
  },
};

function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'mify-plugin: create, test, build and publish MIFY extensions',
    '',
    'Usage: mify-plugin <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `mify-plugin <command> --help` for the options of a command.',
  ].join('\n');
}

/**
 * Runs `mify-plugin` with the given arguments. Returns the exit code, or 'running' when
 * a watcher (dev) keeps the process alive.
 *
 * @example
 * const code = await runPluginCli(['validate'], { out: console.log, err: console.error, env: process.env, cwd: process.cwd() });
 */
export async function runPluginCli(argv: string[], io: PluginCliIo): Promise<number | 'running'> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const command = commands[argv[0]!];
  if (!command) {
    io.err(`Unknown command '${argv[0]}'. Run \`mify-plugin --help\` for the list of commands.`);
    return 2;
  }

  try {
    const { values, positionals } = parseArgs({ args: argv.slice(1), options: { ...command.options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: (command.positionals ?? 0) > 0 });
    if (values.help) {
      io.out(`Usage: ${command.usage}\n\n${command.summary}.`);
      return 0;
    }
    if (positionals.length > (command.positionals ?? 0)) throw new UsageError(`Expected at most ${command.positionals ?? 0} argument(s), got ${positionals.length}.`, command.usage);
    return await command.run(values as Record<string, string | boolean | undefined>, positionals, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\nUsage: ${error.usage}`);
      return 2;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${error.message}\nUsage: ${command.usage}`);
      return 2;
    }
    if (error instanceof PluginCliError) {
      io.err(`Error: ${error.message}`);
      return error.exitCode;
    }
    if ((error as { name?: string }).name === 'PackageFormatError') {
      io.err(`Error: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
}
