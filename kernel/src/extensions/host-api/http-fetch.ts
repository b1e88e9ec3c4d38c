import { HTTP_FETCH_PREFIX, isFetchAllowed } from '@mify/sdk';
import http from 'node:http';
import net from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { z } from 'zod';
import { MifyError } from '../../errors.js';
import { InvalidArgumentError } from './arguments.js';
import { checkAddress } from './address-guard.js';
import { httpStreamMethods } from './http-stream.js';
import { defaultHttpTransport, type ConnectTarget, type HttpTransport } from './http-transport.js';
import { PermissionDeniedError } from './permissions.js';
import { defineHostMethod, type HostCallScope, type HostMethod } from './types.js';

/** Default of `HostApiConfig.httpMaxResponseBytes`: 10 MiB. */
export const DEFAULT_HTTP_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** Default of `HostApiConfig.httpTimeoutMs`: 30 seconds. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/** Maximum request body, in bytes. */
export const MAX_HTTP_REQUEST_BYTES = 10 * 1024 * 1024;

/**
 * Maximum `delayMs` of one `http.fetch`, in milliseconds. Sandboxes have no timers, so an
 * extension that backs off between retries requests the kernel to wait before sending.
 */
export const MAX_HTTP_DELAY_MS = 60_000;

/** Maximum redirects one `http.fetch` follows; each one is checked like the first request. */
export const MAX_HTTP_REDIRECTS = 5;

/**
 * Request headers an extension may not set, because the kernel owns the connection and the
 * framing: a forged `host` or `content-length` could smuggle a second request.
 */
const FORBIDDEN_REQUEST_HEADERS = new Set([
  'host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'http2-settings',
]);

/** Headers dropped when a redirect leaves the origin, so credentials do not follow it to another site. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headers = z.record(
  z.string().regex(HEADER_NAME_PATTERN, 'must be an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)')
    .refine((name) => !FORBIDDEN_REQUEST_HEADERS.has(name.toLowerCase()) && !name.toLowerCase().startsWith('proxy-'), {
      message: `must not be one of ${[...FORBIDDEN_REQUEST_HEADERS].join(', ')} or proxy-*, which the kernel sets itself`,
    }),
  z.string().max(16 * 1024).refine((value) => !/[\r\n\u0000]/.test(value), 'must not contain CR, LF or NUL'),
);

const fetchOptions = z
  .object({
    method: z
      .string()
      .transform((method) => method.toUpperCase())
      .pipe(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']))
      .default('GET'),
    headers: headers.default({}),
    /** Request body as UTF-8 text. */
    body: z.string().optional(),
    /** Request body as base64, for binary data; ignored when `body` is set. */
    bodyBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').optional(),
    /** Time for the whole fetch including redirects, in milliseconds; capped at the kernel's `httpTimeoutMs`. */
    timeoutMs: z.number().int().min(1).optional(),
    /** Whether to follow redirects (default true); when false a 3xx response is returned as it is. */
    followRedirects: z.boolean().default(true),
    /** Delay before sending, in milliseconds, such as a retry backoff. It is not counted in `timeoutMs`. */
    delayMs: z.number().int().min(0).max(MAX_HTTP_DELAY_MS).optional(),
    /** Maximum response body to accept, in bytes after decompression. Capped at the kernel's `httpMaxResponseBytes`. */
    maxResponseBytes: z.number().int().min(1).optional(),
    /** Flag to resolve once the headers arrive and hand the body out piece by piece through `http.read`. */
    stream: z.boolean().default(false),
  })
  .strict()
  .default({ method: 'GET', headers: {}, followRedirects: true, stream: false });

type FetchOptions = z.output<typeof fetchOptions>;

const fetchUrl = z
  .string()
  .max(8 * 1024)
  .refine((text) => URL.canParse(text), 'must be an absolute URL such as https://api.example.com/items')
  .refine((text) => !URL.canParse(text) || ['http:', 'https:'].includes(new URL(text).protocol), 'must use http or https')
  .refine((text) => !URL.canParse(text) || (new URL(text).username === '' && new URL(text).password === ''), 'must not contain a user name or password; send credentials in an Authorization header');

/** Result of `http.fetch`, as the SDK's `HttpResponse` declares it plus `statusText` and `url`. */
export interface HttpFetchResult {
  status: number;
  statusText: string;
  /** URL of the final response, after redirects. */
  url: string;
  /** Response headers, lower-case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Body decoded as text, in the declared charset or else UTF-8; lossy for binary bodies. */
  body: string;
  /** The body's exact bytes as base64, set when the content type is not text. */
  bodyBase64?: string;
  /** Id to pass to `http.read`, set for `stream: true`. `body` is then empty. */
  streamId?: string;
}

function httpError(code: string, status: number, message: string, details: Record<string, unknown>): MifyError {
  return new MifyError(code, status, message, details);
}

function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** Returns the manifest permission that would allow `url`, for messages. */
function permissionFor(url: URL): string {
  return `${HTTP_FETCH_PREFIX}${url.hostname}`;
}

function checkUrl(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`http.fetch supports only http and https URLs, not '${url.protocol}' in ${describeUrl(url)}.`, [{ path: 'url', message: `unsupported scheme ${url.protocol}` }]);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('http.fetch does not take user names or passwords in the URL; send them in an Authorization header.', [{ path: 'url', message: 'contains user information' }]);
  }
}

/** Returns `url` for messages and logs: origin and path, without the query, which may contain keys. */
function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Resolves the URL's host and approves the address to connect to. Every address of a host
 * name must pass the guard, so a name cannot mix a public address with a private one.
 * No connection is opened here.
 */
async function approveTarget(url: URL, scope: HostCallScope, transport: HttpTransport, signal: AbortSignal): Promise<ConnectTarget> {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const allowPrivateNetwork = scope.services.config.allowPrivateNetwork;
  const port = effectivePort(url);
  const isTls = url.protocol === 'https:';

  const literalFamily = net.isIP(hostname);
  const addresses = literalFamily !== 0
    ? [{ address: hostname, family: literalFamily as 4 | 6 }]
    : await abortable(transport.lookup(hostname), signal).catch((error: unknown) => {
        if (signal.aborted) throw error;
        throw httpError('network_error', 502, `http.fetch could not resolve the host '${hostname}' of ${describeUrl(url)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Check the host name.`, { host: hostname });
      });
  if (addresses.length === 0) throw httpError('network_error', 502, `http.fetch could not resolve the host '${hostname}': no addresses.`, { host: hostname });

  for (const candidate of addresses) {
    const verdict = checkAddress(candidate.address, { allowPrivateNetwork });
    if (verdict.allowed) continue;
    const subject = literalFamily !== 0 ? `${candidate.address} is ${verdict.description}` : `the host '${hostname}' resolves to ${candidate.address}, ${verdict.description}`;
    throw httpError(
      'address_blocked',
      403,
      `http.fetch to ${describeUrl(url)} was blocked before connecting: ${subject}. Extensions may reach only public addresses` +
        (allowPrivateNetwork ? '.' : '; an operator can allow private networks with MIFY_ALLOW_PRIVATE_NETWORK=true.'),
      { host: hostname, address: candidate.address },
    );
  }

  const chosen = addresses[0]!;
  return { address: chosen.address, family: chosen.family, port, hostname, tls: isTls };
}

/** Rejects with the signal's reason once it aborts; `promise` itself keeps running. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Sends one request over a connection to the approved target and resolves once the response headers arrive. */
function sendRequest(url: URL, target: ConnectTarget, request: { method: string; headers: Record<string, string>; body: Buffer | undefined }, transport: HttpTransport, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({
      method: request.method,
      path: `${url.pathname}${url.search}`,
      // Host comes from the URL; the socket from `createConnection` alone (no agent, no DNS).
      headers: { ...request.headers, host: url.host },
      agent: undefined,
      createConnection: () => transport.connect(target) as net.Socket,
      signal,
    });
    outgoing.once('response', resolve);
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** Returns the response body as it decodes, through a gzip, deflate or br decoder when the response is compressed. */
function decodedBody(response: http.IncomingMessage): { source: Readable; decoded: boolean } {
  const encoding = (response.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoders: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
    gzip: () => zlib.createGunzip(),
    'x-gzip': () => zlib.createGunzip(),
    deflate: () => zlib.createInflate(),
    br: () => zlib.createBrotliDecompress(),
  };
  const decoder = decoders[encoding]?.();
  if (!decoder) return { source: response, decoded: false };

  response.on('error', (error) => decoder.destroy(error));
  return { source: response.pipe(decoder), decoded: true };
}

/**
 * Rejects a response whose declared length passes `maxBytes` before reading it. Compressed
 * responses are not checked, because their length does not bound the decoded size.
 */
function checkDeclaredLength(response: http.IncomingMessage, decoded: boolean, maxBytes: number, url: URL, limitName: string): void {
  const declared = Number(response.headers['content-length']);
  if (!decoded && Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    throw tooLarge(url, maxBytes, limitName);
  }
}

/** Reads a response body, decompressing gzip, deflate and br, and stops past `maxBytes` of decoded data. */
async function readBody(response: http.IncomingMessage, maxBytes: number, url: URL, limitName: string): Promise<{ bytes: Buffer; decoded: boolean }> {
  const { source, decoded } = decodedBody(response);
  checkDeclaredLength(response, decoded, maxBytes, url, limitName);

  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      response.destroy();
      source.destroy();
      throw tooLarge(url, maxBytes, limitName);
    }
    chunks.push(chunk as Buffer);
  }
  return { bytes: Buffer.concat(chunks), decoded };
}

function tooLarge(url: URL, maxBytes: number, limitName: string): MifyError {
  return httpError('response_too_large', 502, `The response from ${describeUrl(url)} is larger than ${limitName} of ${maxBytes} bytes; request less data, for example one page at a time.`, { maxBytes });
}

function isTextType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || /^application\/(?:json|xml|javascript|x-www-form-urlencoded|graphql)$/.test(type) || /\+(?:json|xml)$/.test(type);
}

function charsetOf(contentType: string): string {
  return /;\s*charset="?([^";]+)"?/i.exec(contentType)?.[1] ?? 'utf-8';
}

/** Decodes a body as text in the declared charset, or UTF-8 when none is declared or known. */
function decodeText(bytes: Buffer, contentType: string): string {
  const charset = charsetOf(contentType);
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Decides whether a body is text: by its content type, or, without one, by being valid UTF-8. */
function isText(bytes: Buffer, contentType: string): boolean {
  if (contentType !== '') return isTextType(contentType);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function flattenHeaders(response: http.IncomingMessage, decoded: boolean): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * Fetches a URL for an extension. Each hop, the first request and every redirect, is checked
 * against the manifest's `http:fetch:` permissions and the address guard. The connection
 * then goes to the approved IP address itself. So a DNS answer that changes between the
 * check and the connection (DNS rebinding) cannot move the socket elsewhere.
 */
async function fetchUrlForExtension(scope: HostCallScope, rawUrl: string, options: FetchOptions): Promise<HttpFetchResult> {
  const { config } = scope.services;
  const transport: HttpTransport = { ...defaultHttpTransport, ...scope.services.httpTransport };
  const kernelMaxBytes = config.httpMaxResponseBytes ?? DEFAULT_HTTP_MAX_RESPONSE_BYTES;
  const maxBytes = Math.min(options.maxResponseBytes ?? kernelMaxBytes, kernelMaxBytes);
  const limitName = maxBytes < kernelMaxBytes ? 'the request\'s maxResponseBytes limit' : 'the kernel\'s limit';
  const maxTimeoutMs = config.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const timeoutMs = Math.min(options.timeoutMs ?? maxTimeoutMs, maxTimeoutMs);

  let body: Buffer | undefined;
  if (options.body !== undefined) body = Buffer.from(options.body, 'utf8');
  else if (options.bodyBase64 !== undefined) body = Buffer.from(options.bodyBase64, 'base64');
  if (body !== undefined && body.length > MAX_HTTP_REQUEST_BYTES) {
    throw new InvalidArgumentError(`The request body is ${body.length} bytes; http.fetch sends at most ${MAX_HTTP_REQUEST_BYTES}.`, [{ path: 'options.body', message: `must be at most ${MAX_HTTP_REQUEST_BYTES} bytes` }]);
  }

  const requestHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers)) requestHeaders[name.toLowerCase()] = value;
  requestHeaders['user-agent'] ??= `MIFY extension ${scope.context.extensionId}`;
  requestHeaders['accept-encoding'] ??= 'gzip, deflate, br';
  let method: string = options.method;

  if (options.delayMs !== undefined && options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, options.delayMs));

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
  // A streamed body keeps the timer running until http.read reaches its end or the call ends.
  let timerHandedOff = false;
  let url = new URL(rawUrl);
  const timedOut = () => {
    const hint = timeoutMs < maxTimeoutMs ? `Raise options.timeoutMs (kernel maximum ${maxTimeoutMs} ms)` : 'The kernel allows no longer, so fetch less data per request';
    return httpError('timeout', 504, `http.fetch of ${describeUrl(url)} timed out after ${timeoutMs} ms. ${hint}, or try again later.`, { timeoutMs });

  };

  try {
    for (let redirects = 0; ; redirects += 1) {
      checkUrl(url);
      const target = await approveTarget(url, scope, transport, controller.signal);
      const response = await sendRequest(url, target, { method, headers: requestHeaders, body }, transport, controller.signal);

      const location = response.headers.location;
      if (options.followRedirects && REDIRECT_STATUSES.has(response.statusCode ?? 0) && location !== undefined) {
        response.destroy();
        if (redirects >= MAX_HTTP_REDIRECTS) {
          throw httpError('too_many_redirects', 502, `http.fetch of ${describeUrl(new URL(rawUrl))} was redirected more than ${MAX_HTTP_REDIRECTS} times; fetch the final URL directly.`, { maxRedirects: MAX_HTTP_REDIRECTS });
        }

        const next = new URL(location, url);
        checkUrl(next);
        if (!isFetchAllowed(scope.context.permissions, next)) {
          throw new PermissionDeniedError(scope.context.extensionId, 'http.fetch', permissionFor(next), `The response from ${url.host} redirected to ${next.host}`);
        }
        if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) delete requestHeaders[name];
        // As browsers do: 303 turns any method but HEAD into GET, and 301/302 turn POST into GET, without the body.
        const status = response.statusCode!;
        if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          delete requestHeaders['content-type'];
        }
        url = next;
        continue;
      }

      const contentType = String(response.headers['content-type'] ?? '');
      if (options.stream) {
        const { source, decoded } = decodedBody(response);
        checkDeclaredLength(response, decoded, maxBytes, url, limitName);
        const finalUrl = url;
        const streamId = scope.streams.open({
          source,
          // Without a content type the body cannot be sniffed before it arrives, so it is taken as text.
          text: contentType === '' || isTextType(contentType),
          charset: charsetOf(contentType),
          maxBytes,
          signal: controller.signal,
          tooLarge: () => tooLarge(finalUrl, maxBytes, limitName),
          timedOut,
          release: () => {
            clearTimeout(timer);
            response.destroy();
          },
        });
        timerHandedOff = true;
        return { status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', url: url.toString(), headers: flattenHeaders(response, decoded), body: '', streamId };
      }

      const { bytes, decoded } = await readBody(response, maxBytes, url, limitName);
      return {
        status: response.statusCode ?? 0,
        statusText: response.statusMessage ?? '',
        url: url.toString(),
        headers: flattenHeaders(response, decoded),
        body: decodeText(bytes, contentType),
        ...(isText(bytes, contentType) ? {} : { bodyBase64: bytes.toString('base64') }),
      };
    }
  } catch (error) {
    if (controller.signal.aborted) throw timedOut();
    if (error instanceof MifyError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw httpError('network_error', 502, `http.fetch of ${describeUrl(url)} failed: ${code}. Check that the server is reachable and, for https, that its certificate is valid.`, { host: url.host, reason: code });
  } finally {
    if (!timerHandedOff) clearTimeout(timer);
  }
}

/**
 * `http.fetch(url, options)`: HTTP and HTTPS requests to hosts the manifest allows with
 * `http:fetch:<host>` permissions (matched by the SDK's `isFetchAllowed`), guarded against
 * server-side request forgery (see `checkAddress` for the addresses it rejects).
 */
export const httpMethods: HostMethod[] = [
  defineHostMethod({
    name: 'http.fetch',
    permission: `${HTTP_FETCH_PREFIX}<host>`,
    parameters: { url: fetchUrl, options: fetchOptions },
    authorize: ({ url }, permissions) => (isFetchAllowed(permissions, url) ? null : permissionFor(new URL(url))),
    target: ({ url }) => new URL(url).host,
    run: ({ url, options }, scope) => fetchUrlForExtension(scope, url, options),
  }),
  ...httpStreamMethods,
];
