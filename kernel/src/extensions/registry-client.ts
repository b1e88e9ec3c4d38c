/**
 * Downloads an extension from a registry and verifies it: the tarball's integrity
 * against the registry's metadata, every file against checksums.json, and the
 * ed25519 signature against the registry key this kernel pins.
 *
 * The key is pinned from MIFY_REGISTRY_PUBLIC_KEY (base64 SPKI DER key or its hex
 * SHA-256 fingerprint). Without it, the kernel trusts the key a registry reports on
 * the first install from it and stores it in MIFY_DATA_DIR/registry-keys.json. After
 * that, packages signed by another key are rejected until the operator removes the entry.
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KernelConfig } from '../config.js';
import { MifyError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { KERNEL_VERSION } from '../version.js';
import { PackageError } from './errors-package.js';
import { integrityOf, keyFingerprint, MAX_PACKAGE_BYTES, unpackAndVerify } from './package.js';

/** An extension to install from a registry: its id and a semver range of versions. */
export interface RegistrySource {
  id: string;
  /** Semver range, such as ^1.2.0, or an exact version; `*` picks the newest. */
  range: string;
  /** Registry base URL; MIFY_REGISTRY_URL when unset. */
  url?: string | undefined;
}

export const REGISTRY_KEYS_FILE = 'registry-keys.json';
/** Time limit of one request to a registry, in milliseconds. */
const REGISTRY_TIMEOUT_MS = 30_000;

interface ResolvedVersion {
  id: string;
  version: string;
  integrity: string;
  tarballUrl: string;
  signerFingerprint: string | null;
}

export interface DownloadedPackage {
  /** Temporary folder with the verified files; removed by `cleanup`. */
  folder: string;
  version: string;
  signed: boolean;
  cleanup(): void;
}

/** Returns the base URL of the registry of `source` without a trailing slash, or raises a validation error that names the fix. */
export function registryBaseUrl(source: RegistrySource, config: KernelConfig): string {
  const raw = source.url ?? config.registryUrl;
  if (!raw) throw new ValidationError('No registry to install from: pass registry.url (--registry URL) or set MIFY_REGISTRY_URL.', [{ path: 'registry.url', message: 'required when MIFY_REGISTRY_URL is unset' }]);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(`Registry URL ${JSON.stringify(raw)} is not a valid URL; use one such as https://registry.example.com.`, [{ path: 'registry.url', message: 'invalid URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError(`Registry URL ${raw} must use http or https.`, [{ path: 'registry.url', message: 'expected http or https' }]);
  return url.href.replace(/\/+$/, '');
}

async function registryFetch(url: string, base: string): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    throw new MifyError('registry_unavailable', 502, `Could not reach the registry at ${base}: ${(error as Error).message}. Check the URL and that the registry is running.`, { registry: base });
  }
}

/** Raises the registry's problem+json as a kernel error that keeps its code and message. */
async function registryError(response: Response, base: string): Promise<never> {
  let problem: { code?: string; detail?: string } = {};
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    // Not problem+json; the status is reported alone.
  }
  // A registry 404 stays a 404 (unknown id or version), other client errors become 422, and server errors 502.
  let status = 502;
  if (response.status === 404) status = 404;
  else if (response.status >= 400 && response.status < 500) status = 422;
  throw new MifyError(problem.code ?? 'registry_error', status, `Registry ${base} returned ${response.status}: ${problem.detail ?? response.statusText}`, { registry: base });
}

/** Returns the fingerprint this kernel trusts for a registry, pinning the registry's key on first use. */
async function pinnedFingerprint(base: string, config: KernelConfig, logger: Logger): Promise<string | null> {
  if (config.registryPublicKey) return configuredFingerprint(config.registryPublicKey);

  const file = path.join(config.dataDir, REGISTRY_KEYS_FILE);
  const pinned = readPins(file);
  if (pinned[base]) return pinned[base]!.fingerprint;

  const response = await registryFetch(`${base}/api/registry/keys`, base);
  if (!response.ok) await registryError(response, base);
  const body = (await response.json()) as { keys?: Array<{ algorithm?: string; publicKey?: string }> };
  const key = body.keys?.find((k) => k.algorithm === 'ed25519' && k.publicKey);
  if (!key) return null;

  const fingerprint = keyFingerprint(createPublicKey({ key: Buffer.from(key.publicKey!, 'base64'), format: 'der', type: 'spki' }));
  pinned[base] = { fingerprint, publicKey: key.publicKey!, pinnedAt: new Date().toISOString() };
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(pinned, null, 2)}\n`, { mode: 0o600 });
  logger.info({ registry: base, fingerprint }, 'pinned registry signing key on first use');
  return fingerprint;
}

function readPins(file: string): Record<string, { fingerprint: string; publicKey: string; pinnedAt: string }> {
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MifyError('invalid_registry_keys', 500, `${file} is not valid JSON (${(error as Error).message}); fix or delete it, then install again to pin the registry key anew.`);
  }
}

/** Accepts a hex fingerprint or a base64 SPKI DER key, as MIFY_REGISTRY_PUBLIC_KEY allows. */
export function configuredFingerprint(value: string): string {
  if (/^[0-9a-f]{64}$/i.test(value)) return value.toLowerCase();
  return keyFingerprint(createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' }));
}

/**
 * Resolves `source` against the registry for this kernel's version, downloads the
 * tarball and verifies integrity, checksums and the signature. Unsigned packages are
 * rejected unless `allowUnsigned`; a package signed by another key than the pinned
 * one is always rejected.
 *
 * @example
 * const pkg = await downloadFromRegistry({ id: 'acme.hello', range: '^1.0.0' }, { config, logger, allowUnsigned: false });
 * try { install(pkg.folder); } finally { pkg.cleanup(); }
 */
export async function downloadFromRegistry(source: RegistrySource, options: { config: KernelConfig; logger: Logger; allowUnsigned: boolean }): Promise<DownloadedPackage> {
  const base = registryBaseUrl(source, options.config);
  const log = options.logger.child({ registry: base, extensionId: source.id });

  const resolveUrl = `${base}/api/registry/packages/${encodeURIComponent(source.id)}/resolve?range=${encodeURIComponent(source.range)}&engine=${encodeURIComponent(KERNEL_VERSION)}`;
  const resolveResponse = await registryFetch(resolveUrl, base);
  if (!resolveResponse.ok) await registryError(resolveResponse, base);
  const resolved = (await resolveResponse.json()) as ResolvedVersion;

  const tarballResponse = await registryFetch(new URL(resolved.tarballUrl, `${base}/`).href, base);
  if (!tarballResponse.ok) await registryError(tarballResponse, base);
  const bytes = await readLimited(tarballResponse, `${source.id}@${resolved.version}`);
  if (integrityOf(bytes) !== resolved.integrity) {
    throw new PackageError(`The tarball of ${source.id}@${resolved.version} from ${base} does not match the integrity the registry lists (${resolved.integrity.slice(0, 20)}…): it was altered or corrupted in storage or transit. Ask the registry operator to check its file store.`);
  }

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-registry-download-'));
  const file = path.join(work, `${source.id}-${resolved.version}.tgz`);
  fs.writeFileSync(file, bytes);
  try {
    const verified = await unpackAndVerify(file);
    const cleanup = () => fs.rmSync(verified.folder, { recursive: true, force: true });
    try {
      await checkTrust({ base, source, version: resolved.version, signerFingerprint: verified.signerFingerprint, allowUnsigned: options.allowUnsigned, config: options.config, logger: log });
      checkIdentity(verified.folder, source.id, resolved.version, base);
    } catch (error) {
      cleanup();
      throw error;
    }
    log.info({ version: resolved.version, signed: verified.signed }, 'downloaded and verified extension package');
    return { folder: verified.folder, version: resolved.version, signed: verified.signed, cleanup };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Reads a response body, stopping as soon as it passes MAX_PACKAGE_BYTES, so a registry cannot fill the kernel's memory. */
async function readLimited(response: Response, subject: string): Promise<Buffer> {
  const tooLarge = (bytes: number) => new PackageError(`${subject} is ${bytes} bytes or more; the kernel installs packages up to ${MAX_PACKAGE_BYTES} bytes.`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_PACKAGE_BYTES) throw tooLarge(declared);

  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_PACKAGE_BYTES) {
      await reader.cancel();
      throw tooLarge(total);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function checkTrust(input: { base: string; source: RegistrySource; version: string; signerFingerprint: string | null; allowUnsigned: boolean; config: KernelConfig; logger: Logger }): Promise<void> {
  const subject = `${input.source.id}@${input.version} from ${input.base}`;
  if (input.signerFingerprint === null) {
    if (input.allowUnsigned || input.config.allowUnsignedExtensions) return;
    throw new PackageError(`${subject} is not signed. Install it with --allow-unsigned (allowUnsigned: true) or MIFY_ALLOW_UNSIGNED_EXTENSIONS=true only if you trust this registry.`);
  }

  const pinned = await pinnedFingerprint(input.base, input.config, input.logger);
  if (pinned === input.signerFingerprint || input.config.trustedSigningKeys.includes(input.signerFingerprint)) return;
  const expected = pinned ? `the pinned registry key ${pinned}` : 'no key, because the registry publishes none';
  throw new PackageError(
    `${subject} is signed by key ${input.signerFingerprint}, but this kernel trusts ${expected}. If the registry rotated its key, set MIFY_REGISTRY_PUBLIC_KEY to the new key (or remove its entry from ${REGISTRY_KEYS_FILE} in MIFY_DATA_DIR); otherwise the package was replaced and must not be installed.`,
    { signerFingerprint: input.signerFingerprint, pinnedFingerprint: pinned },
  );
}

function checkIdentity(folder: string, id: string, version: string, base: string): void {
  let manifest: { id?: unknown; version?: unknown };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(folder, 'mify.extension.json'), 'utf8'));
  } catch {
    return; // readManifest reports an unreadable manifest with its details.
  }
  if (manifest.id !== id || manifest.version !== version) {
    throw new PackageError(`Registry ${base} served ${String(manifest.id)}@${String(manifest.version)} for ${id}@${version}; the registry is misbehaving, so nothing was installed.`);
  }
}

/**
 * Searches a registry by text, for the studio's extensions page, which talks only to the
 * kernel. Returns the registry's page of matches unchanged.
 *
 * @example
 * const { items } = await searchRegistry({ q: 'weather' }, config);
 */
export async function searchRegistry(query: { q: string; limit: number; offset: number; url?: string | undefined }, config: KernelConfig): Promise<unknown> {
  const base = registryBaseUrl({ id: '', range: '*', url: query.url }, config);
  const params = new URLSearchParams({ q: query.q, limit: String(query.limit), offset: String(query.offset) });
  const response = await registryFetch(`${base}/api/registry/search?${params}`, base);
  if (!response.ok) await registryError(response, base);
  return response.json();
}

/** Returns a registry package with its versions (yanked ones flagged), as the registry lists it. */
export async function registryPackage(id: string, config: KernelConfig, url?: string): Promise<unknown> {
  const base = registryBaseUrl({ id, range: '*', url }, config);
  const response = await registryFetch(`${base}/api/registry/packages/${encodeURIComponent(id)}`, base);
  if (!response.ok) await registryError(response, base);
  return response.json();
}
