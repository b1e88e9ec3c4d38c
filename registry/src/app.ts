import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { problemResponse, RegistryError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { MAX_SEARCH_LIMIT, type Registry } from './service.js';

/**
 * Header that carries a registry token. `Authorization: Bearer` works too when the
 * registry runs on its own, but the kernel reads that header as a kernel API key, so
 * clients send this one to work in both set-ups.
 */
export const TOKEN_HEADER = 'x-mify-registry-token';

const searchQuery = z.object({
  q: z.string().max(200, 'at most 200 characters').default(''),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT, `at most ${MAX_SEARCH_LIMIT}`).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});
const resolveQuery = z.object({
  range: z.string().min(1).default('*'),
  engine: z.string().min(1).optional(),
});
const tokenBody = z.object({ publisher: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes, at most 64 characters') });
const yankBody = z.object({ reason: z.string().max(500).optional() }).default({});

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message }));
  throw new RegistryError('validation_failed', 422, `The request is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`, { errors: problems });
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RegistryError('malformed_json', 400, `The request body is not valid JSON: ${(error as Error).message}.`);
  }
}

function tokenOf(c: Context): string | null {
  const header = c.req.header(TOKEN_HEADER);
  if (header) return header.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
  return bearer ? bearer[1]! : null;
}

/**
 * Builds the registry's HTTP API under `/api/registry`, plus its OpenAPI 3.1 document
 * at `/openapi.json` and `/api/registry/openapi.json`. Every error is problem+json.
 *
 * @example
 * const app = createRegistryApp(registry);
 * serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 4873 });
 */
export function createRegistryApp(registry: Registry): Hono {
  const app = new Hono();
  const base = '/api/registry';

  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get(`${base}/openapi.json`, (c) => c.json(openApiDocument()));
  app.get(`${base}/health`, (c) => c.json({ status: 'ok' }));

  app.get(`${base}/keys`, (c) => {
    const key = registry.signingKey;
    return c.json({ keys: key ? [{ algorithm: 'ed25519', publicKey: key.publicKey, fingerprint: key.fingerprint }] : [] });
  });

  app.post(`${base}/tokens`, async (c) => {
    const body = parse(tokenBody, await jsonBody(c), 'body');
    return c.json(await registry.createToken(tokenOf(c), body.publisher), 201);
  });

  app.get(`${base}/whoami`, async (c) => c.json({ publisher: await registry.authenticate(tokenOf(c)) }));

  app.get(`${base}/search`, async (c) => {
    const query = parse(searchQuery, c.req.query(), 'query');
    return c.json(await registry.search(query.q, query.limit, query.offset));
  });

  app.post(
    `${base}/packages`,
    bodyLimit({ maxSize: registry.maxPackageBytes, onError: (c) => problemResponse(registry.tooLarge(null), c.req.path) }),
    async (c) => {
      const publisher = await registry.authenticate(tokenOf(c));
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/(gzip|x-gzip|octet-stream)\b/i.test(type)) {
        throw new RegistryError('unsupported_media_type', 415, `Content-Type '${type || '(none)'}' is not supported; send the package tarball with 'Content-Type: application/gzip'.`);
      }
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      return c.json(await registry.publish(bytes, publisher), 201);
    },
  );

  app.get(`${base}/packages/:id`, async (c) => c.json(await registry.getPackage(c.req.param('id'))));

  app.get(`${base}/packages/:id/resolve`, async (c) => {
    const query = parse(resolveQuery, c.req.query(), 'query');
    return c.json(await registry.resolve(c.req.param('id'), query.range, query.engine));
  });

  app.get(`${base}/packages/:id/versions/:version`, async (c) => c.json(await registry.getVersion(c.req.param('id'), c.req.param('version'))));

  app.get(`${base}/packages/:id/versions/:version/tarball`, async (c) => {
    const tarball = await registry.tarball(c.req.param('id'), c.req.param('version'));
    return new Response(tarball.bytes, {
      headers: {
        'content-type': 'application/gzip',
        'content-length': String(tarball.bytes.byteLength),
        'content-disposition': `attachment; filename="${tarball.fileName}"`,
        'x-mify-integrity': tarball.integrity,
      },
    });
  });

  for (const [action, yanked] of [['yank', true], ['unyank', false]] as const) {
    app.post(`${base}/packages/:id/versions/:version/${action}`, async (c) => {
      const publisher = await registry.authenticate(tokenOf(c));
      const body = parse(yankBody, await jsonBody(c), 'body');
      return c.json(await registry.setYanked(c.req.param('id'), c.req.param('version'), publisher, yanked, body.reason ?? null));
    });
  }

  app.notFound((c) => problemResponse(new RegistryError('route_not_found', 404, `No registry route matches ${c.req.method} ${c.req.path}. The routes are listed in /openapi.json.`), c.req.path));
  app.onError((error, c) => {
    if (error instanceof RegistryError) return problemResponse(error, c.req.path);
    registry.log.error({ err: error, path: c.req.path }, 'registry request failed');
    return problemResponse(new RegistryError('internal_error', 500, 'The registry failed to handle the request; see its log.'), c.req.path);
  });
  return app;
}
