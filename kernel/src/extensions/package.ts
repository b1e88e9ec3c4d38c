/**
 * The extension package format (see `@mify/sdk/package`), with its errors raised as
 * the kernel's `PackageError`, so the API reports them as problem+json.
 */
import {
  CHECKSUMS_FILE,
  integrityOf,
  keyFingerprint,
  MAX_PACKAGE_BYTES,
  MAX_UNPACKED_BYTES,
  packExtension as packWithSdk,
  PackageFormatError,
  publicKeyFingerprint,
  SIGNATURE_FILE,
  unpackAndVerify as unpackWithSdk,
  type PackOptions,
  type VerifiedPackage,
} from '@mify/sdk/package';
import { PackageError } from './errors-package.js';

export { CHECKSUMS_FILE, integrityOf, keyFingerprint, MAX_PACKAGE_BYTES, MAX_UNPACKED_BYTES, PackageError, publicKeyFingerprint, SIGNATURE_FILE, type VerifiedPackage };

function asPackageError(error: unknown): never {
  if (error instanceof PackageFormatError) throw new PackageError(error.message, error.files ? { files: error.files } : undefined);
  throw error;
}

/**
 * Packs an extension folder into a package file with checksums, signed when a
 * PEM-encoded ed25519 private key is given.
 *
 * @example
 * await packExtension('extensions/sample', '/tmp/sample-1.0.0.tgz', { privateKeyPem });
 */
export async function packExtension(folder: string, outFile: string, options: PackOptions = {}): Promise<{ files: string[]; checksums: Record<string, string> }> {
  return packWithSdk(folder, outFile, options).catch(asPackageError);
}

/** Unpacks a package into a temporary folder and verifies its checksums and signature. */
export async function unpackAndVerify(file: string): Promise<VerifiedPackage> {
  return unpackWithSdk(file).catch(asPackageError);
}
