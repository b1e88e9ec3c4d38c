/**
 * The extension package format, shared by `mify-plugin`, the registry and the kernel.
 *
 * A package is a gzipped tarball whose root contains the extension's files plus:
 * - `checksums.json`: `{ "algorithm": "sha256", "files": { "<path>": "<hex>" }, "sha512": { "<path>": "<hex>" } }`,
 *   the SHA-256 and SHA-512 of every other file (`sha512` is absent in packages made
 *   before it was added, and is then not checked);
 * - optionally `signature.json`: `{ "algorithm": "ed25519", "publicKey": "<base64 SPKI DER>",
 *   "signature": "<base64 signature of the exact checksums.json bytes>" }`.
 *
 * Signing `checksums.json` covers every file, the manifest included, so the signature
 * binds the extension id and version too.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';

export const CHECKSUMS_FILE = 'checksums.json';
export const SIGNATURE_FILE = 'signature.json';
/** Largest package accepted, compressed, in bytes. */
export const MAX_PACKAGE_BYTES = 50 * 1024 * 1024;
/** Largest total unpacked size, in bytes. */
export const MAX_UNPACKED_BYTES = 200 * 1024 * 1024;
/** Top-level folders that `packExtension` leaves out by default. */
export const DEFAULT_PACK_EXCLUDES: readonly string[] = ['node_modules', '.git', 'src', 'test', 'tests', '.mify'];

/** A package that is malformed, altered, or fails a check; `files` names the files concerned. */
export class PackageFormatError extends Error {
  readonly files: string[] | undefined;

  constructor(message: string, files?: string[]) {
    super(message);
    this.name = 'PackageFormatError';
    this.files = files;
  }
}

/** Result of {@link unpackAndVerify}. */
export interface VerifiedPackage {
  /** Temporary folder with the unpacked, verified files; the caller moves or removes it. */
  folder: string;
  signed: boolean;
  /** SHA-256 of the signer's public key (SPKI DER), hex, when signed. */
  signerFingerprint: string | null;
}

/** Options of {@link packExtension}. */
export interface PackOptions {
  /** PEM-encoded ed25519 private key that signs the package; unsigned without it. */
  privateKeyPem?: string;
  /** Top-level folders or files left out (default {@link DEFAULT_PACK_EXCLUDES}). */
  exclude?: readonly string[];
}

function digest(algorithm: 'sha256' | 'sha512', data: Buffer | string): string {
  return createHash(algorithm).update(data).digest('hex');
}

/**
 * Returns the SHA-256 fingerprint of a public key's SPKI DER encoding, as hex.
 *
 * @example
 * keyFingerprint(createPublicKey(privateKeyPem)); // '3f1c…' (64 hex characters)
 */
export function keyFingerprint(publicKey: KeyObject): string {
  return digest('sha256', publicKey.export({ type: 'spki', format: 'der' }));
}

/**
 * Returns the fingerprint of a base64 SPKI DER ed25519 public key, as the registry
 * publishes it and `signature.json` carries it.
 *
 * @example
 * publicKeyFingerprint(keys[0].publicKey) === pinnedFingerprint;
 */
export function publicKeyFingerprint(publicKeyBase64: string): string {
  return keyFingerprint(createPublicKey({ key: Buffer.from(publicKeyBase64, 'base64'), format: 'der', type: 'spki' }));
}

function listPackFiles(root: string, exclude: ReadonlySet<string>, dir = root): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (dir === root && (exclude.has(entry.name) || entry.name === CHECKSUMS_FILE || entry.name === SIGNATURE_FILE)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) throw new PackageFormatError(`Cannot pack symbolic link ${path.relative(root, full)}; replace it with the file itself.`);
    if (entry.isDirectory()) files.push(...listPackFiles(root, exclude, full));
    else if (entry.isFile()) files.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return files.sort();
}

/**
 * Packs an extension folder into a package file with SHA-256 and SHA-512 checksums,
 * signed when a PEM-encoded ed25519 private key is given. `src/`, tests and
 * `node_modules/` stay out unless `exclude` lists other names, so the manifest's entry
 * must already be built.
 *
 * @example
 * await packExtension('extensions/sample', '/tmp/sample-1.0.0.tgz', { privateKeyPem });
 */
export async function packExtension(folder: string, outFile: string, options: PackOptions = {}): Promise<{ files: string[]; checksums: Record<string, string> }> {
  const files = listPackFiles(folder, new Set(options.exclude ?? DEFAULT_PACK_EXCLUDES));
  if (!files.includes('mify.extension.json')) throw new PackageFormatError(`${folder} has no mify.extension.json.`);

  const checksums: Record<string, string> = {};
  const sha512: Record<string, string> = {};
  for (const file of files) {
    const content = fs.readFileSync(path.join(folder, file));
    checksums[file] = digest('sha256', content);
    sha512[file] = digest('sha512', content);
  }
  const checksumsText = `${JSON.stringify({ algorithm: 'sha256', files: checksums, sha512 }, null, 2)}\n`;

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-pack-'));
  try {
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
      fs.copyFileSync(path.join(folder, file), path.join(staging, file));
    }
    fs.writeFileSync(path.join(staging, CHECKSUMS_FILE), checksumsText);
    const extra = [CHECKSUMS_FILE];
    if (options.privateKeyPem) {
      fs.writeFileSync(path.join(staging, SIGNATURE_FILE), signatureDocument(checksumsText, options.privateKeyPem));
      extra.push(SIGNATURE_FILE);
    }
    await tar.create({ gzip: true, file: outFile, cwd: staging, portable: true, noMtime: true }, [...files, ...extra]);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { files, checksums };
}

function signatureDocument(checksumsText: string, privateKeyPem: string): string {
  const privateKey = createPrivateKey(privateKeyPem);
  const signature = sign(null, Buffer.from(checksumsText), privateKey).toString('base64');
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
  return `${JSON.stringify({ algorithm: 'ed25519', publicKey, signature }, null, 2)}\n`;
}

/**
 * Unpacks a package into a temporary folder and verifies it. Only regular files and
 * folders inside the package are accepted. Every file must be listed in checksums.json
 * with a matching SHA-256 (and SHA-512 when listed), with none missing or extra. When
 * signature.json exists, its ed25519 signature must verify against its key. Whether the
 * signer is trusted is the caller's decision.
 *
 * @example
 * const verified = await unpackAndVerify('/tmp/acme.hello-1.0.0.tgz');
 * if (verified.signerFingerprint !== pinned) throw new Error('untrusted signer');
 */
export async function unpackAndVerify(file: string): Promise<VerifiedPackage> {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw new PackageFormatError(`Package file ${file} does not exist.`);
  if (stat.size > MAX_PACKAGE_BYTES) throw new PackageFormatError(`Package ${file} is ${stat.size} bytes; the limit is ${MAX_PACKAGE_BYTES} bytes.`);

  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-unpack-'));
  try {
    await extractPlainFiles(file, folder);
    const checksumsText = fs.readFileSync(path.join(folder, CHECKSUMS_FILE));
    verifyChecksums(file, folder, checksumsText);
    return verifySignature(file, folder, checksumsText);
  } catch (error) {
    fs.rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

async function extractPlainFiles(file: string, folder: string): Promise<void> {
  let unpackedBytes = 0;
  const rejected: string[] = [];
  await tar
    .extract({
      file,
      cwd: folder,
      strict: true,
      preservePaths: false,
      filter: (entryPath, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const normalized = path.posix.normalize(entryPath);
        if ((type !== 'File' && type !== 'Directory') || normalized.startsWith('..') || path.posix.isAbsolute(normalized)) {
          rejected.push(`${entryPath} (${type})`);
          return false;
        }
        unpackedBytes += 'size' in entry ? Number(entry.size ?? 0) : 0;
        return true;
      },
    })
    .catch((error: Error) => {
      throw new PackageFormatError(`Package ${file} is not a valid gzipped tarball: ${error.message}`);
    });

  if (rejected.length > 0) throw new PackageFormatError(`Package ${file} contains entries that are not plain files inside the package: ${rejected.join(', ')}.`);
  if (unpackedBytes > MAX_UNPACKED_BYTES) throw new PackageFormatError(`Package ${file} unpacks to ${unpackedBytes} bytes; the limit is ${MAX_UNPACKED_BYTES} bytes.`);
  if (!fs.existsSync(path.join(folder, CHECKSUMS_FILE))) {
    throw new PackageFormatError(`Package ${file} has no ${CHECKSUMS_FILE}; build it with \`mify-plugin build\` (or the kernel's packExtension).`);
  }
}

function verifyChecksums(file: string, folder: string, checksumsText: Buffer): void {
  let checksums: { algorithm?: unknown; files?: unknown; sha512?: unknown };
  try {
    checksums = JSON.parse(checksumsText.toString('utf8'));
  } catch {
    throw new PackageFormatError(`${CHECKSUMS_FILE} in ${file} is not valid JSON.`);
  }
  if (checksums.algorithm !== 'sha256' || !isStringRecord(checksums.files)) {
    throw new PackageFormatError(`${CHECKSUMS_FILE} in ${file} must have "algorithm": "sha256" and a "files" object of hex digests.`);
  }
  if (checksums.sha512 !== undefined && !isStringRecord(checksums.sha512)) {
    throw new PackageFormatError(`${CHECKSUMS_FILE} in ${file} has a "sha512" member that is not an object of hex digests.`);
  }
  const sha256 = checksums.files;
  const sha512 = checksums.sha512 as Record<string, string> | undefined;

  const present = listAllFiles(folder);
  const listed = Object.keys(sha256).sort();
  const missing = listed.filter((f) => !present.includes(f));
  const extra = present.filter((f) => !listed.includes(f));
  if (missing.length > 0 || extra.length > 0) {
    throw new PackageFormatError(`Package ${file} does not match its checksums: ${[...missing.map((f) => `missing ${f}`), ...extra.map((f) => `unlisted ${f}`)].join(', ')}.`, [...missing, ...extra]);
  }

  const sha256Mismatches: string[] = [];
  const sha512Mismatches: string[] = [];
  for (const f of listed) {
    const content = fs.readFileSync(path.join(folder, f));
    if (digest('sha256', content) !== sha256[f]) sha256Mismatches.push(f);
    else if (sha512 !== undefined && digest('sha512', content) !== sha512[f]) sha512Mismatches.push(f);
  }
  if (sha256Mismatches.length > 0) throw new PackageFormatError(`Package ${file} is corrupt or was altered: SHA-256 mismatch for ${sha256Mismatches.join(', ')}.`, sha256Mismatches);
  if (sha512Mismatches.length > 0) throw new PackageFormatError(`Package ${file} is corrupt or was altered: SHA-512 mismatch for ${sha512Mismatches.join(', ')}.`, sha512Mismatches);
  if (!present.includes('mify.extension.json')) throw new PackageFormatError(`Package ${file} has no mify.extension.json at its root.`);
}

function verifySignature(file: string, folder: string, checksumsText: Buffer): VerifiedPackage {
  const signaturePath = path.join(folder, SIGNATURE_FILE);
  if (!fs.existsSync(signaturePath)) return { folder, signed: false, signerFingerprint: null };

  let signature: { algorithm?: string; publicKey?: string; signature?: string };
  try {
    signature = JSON.parse(fs.readFileSync(signaturePath, 'utf8'));
  } catch {
    throw new PackageFormatError(`${SIGNATURE_FILE} in ${file} is not valid JSON.`);
  }
  if (signature.algorithm !== 'ed25519' || !signature.publicKey || !signature.signature) {
    throw new PackageFormatError(`${SIGNATURE_FILE} in ${file} must have "algorithm": "ed25519", "publicKey" and "signature".`);
  }

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(signature.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new PackageFormatError(`The public key in ${SIGNATURE_FILE} of ${file} is not a valid ed25519 key.`);
  }
  if (!verify(null, checksumsText, publicKey, Buffer.from(signature.signature, 'base64'))) {
    throw new PackageFormatError(`The ed25519 signature of ${file} does not verify: the package was altered after signing.`);
  }
  return { folder, signed: true, signerFingerprint: keyFingerprint(publicKey) };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** Lists every regular file under `root` except the checksum and signature files, as relative POSIX paths. */
function listAllFiles(root: string, dir = root): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const relative = path.relative(root, full).split(path.sep).join('/');
    if (relative === CHECKSUMS_FILE || relative === SIGNATURE_FILE) continue;
    if (entry.isDirectory()) files.push(...listAllFiles(root, full));
    else files.push(relative);
  }
  return files.sort();
}

/**
 * Returns the Subresource Integrity string (`sha512-<base64>`) of bytes, as the registry
 * reports it for each tarball.
 *
 * @example
 * integrityOf(fs.readFileSync('acme.hello-1.0.0.tgz')); // 'sha512-…'
 */
export function integrityOf(data: Buffer | Uint8Array): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}
