import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealed {
  ciphertext: Buffer;
  /** 12-byte random nonce, new for every encryption. */
  iv: Buffer;
  /** 16-byte GCM authentication tag. */
  authTag: Buffer;
}

/**
 * Encrypts with AES-256-GCM. `associatedData` binds the ciphertext to its row,
 * so a sealed value copied into another row fails to decrypt.
 */
export function seal(key: Buffer, plaintext: string, associatedData: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext, iv, authTag: cipher.getAuthTag() };
}

export function open(key: Buffer, sealed: Sealed, associatedData: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(sealed.authTag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}
