import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { keyFingerprint } from '@mify/sdk/package';

/** The registry's ed25519 key pair, which signs every published package. */
export interface SigningKey {
  privateKeyPem: string;
  /** Base64 of the public key's SPKI DER encoding, as `signature.json` carries it. */
  publicKey: string;
  /** SHA-256 of the SPKI DER public key, hex: what kernels pin. */
  fingerprint: string;
}

export const SIGNING_KEY_FILE = 'registry-signing-key.pem';

/**
 * Loads the signing key from `<dataDir>/registry-signing-key.pem`, generating and
 * storing it (mode 0600) on first start. Losing the file means kernels that pinned
 * the old key refuse new packages until their operators pin the new one.
 */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }

  const privateKeyPem = fs.readFileSync(file, 'utf8');
  const publicKey = createPublicKey(privateKeyPem);
  return { privateKeyPem, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), fingerprint: keyFingerprint(publicKey) };
}
