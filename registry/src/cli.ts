#!/usr/bin/env node
/**
 * `mify-registry`: runs the extension registry as its own process, or creates a
 * publisher token. Settings come from options and environment variables.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { createLogger } from '@mify/kernel';
import { openRegistry } from './open.js';

const USAGE = `Usage:
  mify-registry [serve] [--host HOST] [--port PORT] [--data-dir DIR] [--unsigned]
  mify-registry token create --publisher NAME [--data-dir DIR]

Environment:
  MIFY_REGISTRY_DATA_DIR: folder of the signing key, the tarballs and the embedded database (default ./.mify-registry)
  DATABASE_URL: PostgreSQL server to use instead of the embedded database
  MIFY_REGISTRY_ADMIN_TOKEN: token that may create publisher tokens over HTTP (POST /api/registry/tokens)
  MIFY_REGISTRY_MAX_PACKAGE_BYTES: largest accepted package, compressed, in bytes (default 10485760)
  MIFY_LOG_LEVEL: log level (default info)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) fail(`${name}=${JSON.stringify(value)} is invalid: expected a whole number.`);
  return number;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: argv,
        allowPositionals: true,
        options: { host: { type: 'string' }, port: { type: 'string' }, 'data-dir': { type: 'string' }, unsigned: { type: 'boolean' }, publisher: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
    } catch (error) {
      return fail((error as Error).message);
    }
  })();
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const env = process.env;
  const logger = createLogger({ level: env.MIFY_LOG_LEVEL ?? 'info' });
  const dataDir = path.resolve(values['data-dir'] ?? env.MIFY_REGISTRY_DATA_DIR ?? '.mify-registry');
  const maxPackageBytes = positiveInteger(env.MIFY_REGISTRY_MAX_PACKAGE_BYTES, 'MIFY_REGISTRY_MAX_PACKAGE_BYTES');
  const command = positionals.join(' ');

  if (command === 'token create') {
    if (!values.publisher) fail('Missing --publisher NAME.');
    const opened = await openRegistry({ dataDir, databaseUrl: env.DATABASE_URL, logger, maxPackageBytes });
    try {
      const token = await opened.registry.issueToken(values.publisher);
      process.stdout.write(`Created a token for publisher '${token.publisher}' (shown only once):\n${token.token}\n`);
    } finally {
      await opened.close();
    }
    return;
  }
  if (command !== '' && command !== 'serve') fail(`Unknown command '${command}'.`);

  const port = positiveInteger(values.port ?? env.MIFY_REGISTRY_PORT, '--port') ?? 4873;
  const host = values.host ?? env.MIFY_REGISTRY_HOST ?? '127.0.0.1';
  const opened = await openRegistry({ dataDir, databaseUrl: env.DATABASE_URL, logger, sign: !values.unsigned, adminToken: env.MIFY_REGISTRY_ADMIN_TOKEN, maxPackageBytes });
  const server = serve({ fetch: opened.app.fetch, hostname: host, port }, (info) => {
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
    logger.info({ url, dataDir, signingKey: opened.registry.signingKey?.fingerprint ?? null }, 'registry started');
    process.stdout.write(`MIFY registry listening at ${url}\n`);
    process.stdout.write(opened.registry.signingKey ? `Signing key fingerprint: ${opened.registry.signingKey.fingerprint}\n` : 'Packages are served unsigned (--unsigned).\n');
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'registry stopping');
    server.close(() => {
      opened.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'registry shutdown failed');
          process.exit(1);
        },
      );
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`Error: ${(error as Error).message}\n`);
  process.exit(1);
});
