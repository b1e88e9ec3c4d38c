import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { PackageError } from './errors-package.js';

export { PackageError };

/**
 * An extension package is a gzipped tarball whose root contains the extension's
 * files plus:
 * - `checksums.json`: `{ "algorithm": "sha256", "files": { "<relative path>": "<hex>" } }`
 *   listing every other file;
 * - optionally `signature.json`: `{ "algorithm": "ed25519", "publicKey": "<base64 SPKI DER>",
 *   "signature": "<base64 signature of the exact checksums.json bytes>" }`.
 */
export const CHECKSUMS_FILE = 'checksums.json';
export const SIGNATURE_FILE = 'signature.json';
/** Largest package accepted, compressed, in bytes. */
export const MAX_PACKAGE_BYTES = 50 * 1024 * 1024;
/** Largest total unpacked size, in bytes. */
export const MAX_UNPACKED_BYTES = 200 * 1024 * 1024;
/** Folders never packed. */
const EXCLUDED = new Set(['node_modules', '.git', 'src', 'test', 'tests']);


export interface VerifiedPackage {
  /** Temporary folder holding the unpacked, verified files; the caller moves or removes it. */
  folder: string;
  signed: boolean;
  /** SHA-256 of the signer's public key (hex), when signed. */
  signerFingerprint: string | null;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 fingerprint of a public key's SPKI DER encoding, hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  return sha256(publicKey.export({ type: 'spki', format: 'der' }));
}

function listPackFiles(root: string, dir = root): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (EXCLUDED.has(entry.name) && dir === root) continue;
    if (entry.name === CHECKSUMS_FILE || entry.name === SIGNATURE_FILE) continue;
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) throw new PackageError(`Cannot pack symbolic link ${path.relative(root, full)}; replace it with the file itself.`);
    if (entry.isDirectory()) files.push(...listPackFiles(root, full));
    else if (entry.isFile()) files.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return files.sort();
}

/**
 * Packs an extension folder into a package file with checksums, signed when a
 * PEM-encoded ed25519 private key is given. `src/`, tests and `node_modules/`
 * stay out; the manifest's entry must already be built.
 *
 * @example
 * await packExtension('extensions/sample', '/tmp/sample-1.0.0.tgz', { privateKeyPem });
 */
export async function packExtension(folder: string, outFile: string, options: { privateKeyPem?: string } = {}): Promise<{ files: string[]; checksums: Record<string, string> }> {
  const files = listPackFiles(folder);
  if (!files.includes('mify.extension.json')) throw new PackageError(`${folder} has no mify.extension.json.`);

  const checksums: Record<string, string> = {};
  for (const file of files) checksums[file] = sha256(fs.readFileSync(path.join(folder, file)));
  const checksumsText = `${JSON.stringify({ algorithm: 'sha256', files: checksums }, null, 2)}\n`;

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-pack-'));
  try {
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
      fs.copyFileSync(path.join(folder, file), path.join(staging, file));
    }
    fs.writeFileSync(path.join(staging, CHECKSUMS_FILE), checksumsText);
    const extra = [CHECKSUMS_FILE];
    if (options.privateKeyPem) {
      const privateKey = createPrivateKey(options.privateKeyPem);
      const signature = sign(null, Buffer.from(checksumsText), privateKey).toString('base64');
      const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
      fs.writeFileSync(path.join(staging, SIGNATURE_FILE), `${JSON.stringify({ algorithm: 'ed25519', publicKey, signature }, null, 2)}\n`);
      extra.push(SIGNATURE_FILE);
    }
    await tar.create({ gzip: true, file: outFile, cwd: staging, portable: true, noMtime: true }, [...files, ...extra]);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { files, checksums };
}

/**
 * Unpacks a package into a temporary folder and verifies it. It accepts only
 * regular files and folders inside the package. Every file must be listed in
 * checksums.json with a matching SHA-256, with none missing or extra. When
 * signature.json exists, its ed25519 signature must verify against its key.
 * Whether the signer is trusted is the caller's decision.
 */
export async function unpackAndVerify(file: string): Promise<VerifiedPackage> {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw new PackageError(`Package file ${file} does not exist.`);
  if (stat.size > MAX_PACKAGE_BYTES) throw new PackageError(`Package ${file} is ${stat.size} bytes; the limit is ${MAX_PACKAGE_BYTES}.`);

  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-unpack-'));
  try {
    let unpackedBytes = 0;
    const rejected: string[] = [];
    await tar.extract({
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
    }).catch((error: Error) => {
      throw new PackageError(`Package ${file} is not a valid gzipped tarball: ${error.message}`);
    });
    if (rejected.length > 0) throw new PackageError(`Package ${file} contains entries that are not plain files inside the package: ${rejected.join(', ')}.`);
    if (unpackedBytes > MAX_UNPACKED_BYTES) throw new PackageError(`Package ${file} unpacks to ${unpackedBytes} bytes; the limit is ${MAX_UNPACKED_BYTES}.`);

    const checksumsPath = path.join(folder, CHECKSUMS_FILE);
    if (!fs.existsSync(checksumsPath)) throw new PackageError(`Package ${file} has no ${CHECKSUMS_FILE}; build it with \`mify-plugin build\` or the kernel's packExtension.`);
    const checksumsText = fs.readFileSync(checksumsPath);
    let checksums: { algorithm?: string; files?: Record<string, string> };
    try {
      checksums = JSON.parse(checksumsText.toString('utf8'));
    } catch {
      throw new PackageError(`${CHECKSUMS_FILE} in ${file} is not valid JSON.`);
    }
    if (checksums.algorithm !== 'sha256' || typeof checksums.files !== 'object' || checksums.files === null) {
      throw new PackageError(`${CHECKSUMS_FILE} in ${file} must have "algorithm": "sha256" and a "files" object.`);
    }

    const present = listAllFiles(folder);
    const listed = Object.keys(checksums.files).sort();
    const missing = listed.filter((f) => !present.includes(f));
    const extra = present.filter((f) => !listed.includes(f));
    if (missing.length > 0 || extra.length > 0) {
      throw new PackageError(`Package ${file} does not match its checksums: ${[...missing.map((f) => `missing ${f}`), ...extra.map((f) => `unlisted ${f}`)].join(', ')}.`);
    }
    const mismatched = listed.filter((f) => sha256(fs.readFileSync(path.join(folder, f))) !== checksums.files![f]);
    if (mismatched.length > 0) throw new PackageError(`Package ${file} is corrupt or was altered: SHA-256 mismatch for ${mismatched.join(', ')}.`, { files: mismatched });
    if (!present.includes('mify.extension.json')) throw new PackageError(`Package ${file} has no mify.extension.json at its root.`);

    const signaturePath = path.join(folder, SIGNATURE_FILE);
    if (!fs.existsSync(signaturePath)) return { folder, signed: false, signerFingerprint: null };

    let signature: { algorithm?: string; publicKey?: string; signature?: string };
    try {
      signature = JSON.parse(fs.readFileSync(signaturePath, 'utf8'));
    } catch {
      throw new PackageError(`${SIGNATURE_FILE} in ${file} is not valid JSON.`);
    }
    if (signature.algorithm !== 'ed25519' || !signature.publicKey || !signature.signature) {
      throw new PackageError(`${SIGNATURE_FILE} in ${file} must have "algorithm": "ed25519", "publicKey" and "signature".`);
    }
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(signature.publicKey, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw new PackageError(`The public key in ${SIGNATURE_FILE} of ${file} is not a valid ed25519 key.`);
    }
    if (!verify(null, checksumsText, publicKey, Buffer.from(signature.signature, 'base64'))) {
      throw new PackageError(`The ed25519 signature of ${file} does not verify: the package was altered after signing.`);
    }
    return { folder, signed: true, signerFingerprint: keyFingerprint(publicKey) };
  } catch (error) {
    fs.rmSync(folder, { recursive: true, force: true });
    throw error;
  }
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
