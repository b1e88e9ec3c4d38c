/** The registry's OpenAPI 3.1 document. */

const problem = { description: 'Problem details (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Extension id, such as acme.hello' };
const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' }, description: 'Exact semver version' };
const tokenSecurity = [{ registryToken: [] }];

/**
 * Returns the OpenAPI 3.1 document of the registry API.
 *
 * @example
 * const paths = Object.keys(openApiDocument().paths);
 */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'MIFY extension registry', version: '1.0.0', description: 'Publish, sign, search, resolve, yank and download MIFY extension packages.' },
    paths: {
      '/api/registry/keys': { get: { operationId: 'listSigningKeys', summary: 'Public ed25519 keys that sign the packages of this registry', responses: { 200: json({ type: 'object', properties: { keys: { type: 'array', items: ref('SigningKey') } } }, 'Keys') } } },
      '/api/registry/tokens': {
        post: {
          operationId: 'createPublisherToken',
          summary: 'Create a publisher token (needs the admin token in X-Mify-Registry-Token)',
          security: tokenSecurity,
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['publisher'], properties: { publisher: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } } } } } },
          responses: { 201: json({ type: 'object', properties: { id: { type: 'string' }, publisher: { type: 'string' }, token: { type: 'string' } } }, 'Token, shown once'), 401: problem, 403: problem, 422: problem },
        },
      },
      '/api/registry/whoami': { get: { operationId: 'whoami', summary: 'Publisher of the presented token', security: tokenSecurity, responses: { 200: json({ type: 'object', properties: { publisher: { type: 'string' } } }, 'Publisher'), 401: problem } } },
      '/api/registry/search': {
        get: {
          operationId: 'searchPackages',
          summary: 'Search packages by id, name and description',
          parameters: [
            { name: 'q', in: 'query', schema: { type: 'string', maxLength: 200 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          ],
          responses: { 200: json({ type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('PackageSummary') } } }, 'Matches'), 422: problem },
        },
      },
      '/api/registry/packages': {
        post: {
          operationId: 'publishPackage',
          summary: 'Publish a package tarball; the registry verifies its checksums and manifest, then signs it',
          security: tokenSecurity,
          requestBody: { required: true, content: { 'application/gzip': { schema: { type: 'string', contentMediaType: 'application/gzip' } } } },
          responses: { 201: json(ref('Version'), 'Published'), 401: problem, 403: problem, 409: problem, 413: problem, 415: problem, 422: problem },
        },
      },
      '/api/registry/packages/{id}': { get: { operationId: 'getPackage', summary: 'A package with its versions, newest first', parameters: [idParam], responses: { 200: json(ref('Package'), 'Package'), 404: problem } } },
      '/api/registry/packages/{id}/resolve': {
        get: {
          operationId: 'resolveVersion',
          summary: 'Highest unyanked version in a semver range whose engines.mify accepts the given kernel version',
          parameters: [idParam, { name: 'range', in: 'query', schema: { type: 'string', default: '*' } }, { name: 'engine', in: 'query', schema: { type: 'string' }, description: 'Kernel version, such as 1.0.0' }],
          responses: { 200: json(ref('Version'), 'Resolved version'), 400: problem, 404: problem },
        },
      },
      '/api/registry/packages/{id}/versions/{version}': { get: { operationId: 'getVersion', summary: 'One version with its manifest', parameters: [idParam, versionParam], responses: { 200: json(ref('Version'), 'Version'), 404: problem } } },
      '/api/registry/packages/{id}/versions/{version}/tarball': {
        get: { operationId: 'downloadTarball', summary: 'Download the signed tarball (yanked versions too)', parameters: [idParam, versionParam], responses: { 200: { description: 'Tarball; X-Mify-Integrity carries its sha512', content: { 'application/gzip': {} } }, 404: problem } },
      },
      '/api/registry/packages/{id}/versions/{version}/yank': {
        post: { operationId: 'yankVersion', summary: 'Take a version out of range resolution', security: tokenSecurity, parameters: [idParam, versionParam], requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } } } } }, responses: { 200: json(ref('Version'), 'Yanked'), 401: problem, 403: problem, 404: problem } },
      },
      '/api/registry/packages/{id}/versions/{version}/unyank': {
        post: { operationId: 'unyankVersion', summary: 'Put a yanked version back into range resolution', security: tokenSecurity, parameters: [idParam, versionParam], responses: { 200: json(ref('Version'), 'Unyanked'), 401: problem, 403: problem, 404: problem } },
      },
    },
    components: {
      securitySchemes: { registryToken: { type: 'apiKey', in: 'header', name: 'X-Mify-Registry-Token' } },
      schemas: {
        Problem: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' }, instance: { type: 'string' } } },
        SigningKey: { type: 'object', properties: { algorithm: { const: 'ed25519' }, publicKey: { type: 'string', description: 'Base64 SPKI DER' }, fingerprint: { type: 'string', description: 'SHA-256 of the SPKI DER key, hex' } } },
        PackageSummary: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, owner: { type: 'string' }, latestVersion: { type: ['string', 'null'] } } },
        Package: { allOf: [ref('PackageSummary'), { type: 'object', properties: { versions: { type: 'array', items: ref('Version') } } }] },
        Version: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            version: { type: 'string' },
            enginesMify: { type: 'string' },
            yanked: { type: 'boolean' },
            yankReason: { type: ['string', 'null'] },
            publishedAt: { type: 'string', format: 'date-time' },
            publishedBy: { type: 'string' },
            integrity: { type: 'string', description: 'sha512-<base64> of the tarball' },
            sizeBytes: { type: 'integer' },
            signerFingerprint: { type: ['string', 'null'] },
            tarballUrl: { type: 'string' },
            manifest: { type: 'object', description: 'Only in GET .../versions/{version}' },
          },
        },
      },
    },
  };
}
