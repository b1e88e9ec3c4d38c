import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';

/**
 * Returns the 32-byte vault key: from MIFY_SECRET_KEY (hex or base64) when set,
 * otherwise from `<dataDir>/secret.key`, generated with mode 0600 on first use.
 * Losing that file makes every stored credential unreadable, so back it up with the data.
 */
export function loadSecretKey(options: { secretKey: string | undefined; dataDir: string; logger?: Logger }): Buffer {
  if (options.secretKey) {
    const key = /^[0-9a-fA-F]{64}$/.test(options.secretKey) ? Buffer.from(options.secretKey, 'hex') : Buffer.from(options.secretKey, 'base64');
    if (key.length !== 32) throw new Error('MIFY_SECRET_KEY must decode to 32 bytes.');
    return key;
  }

  const keyPath = path.join(options.dataDir, 'secret.key');
  if (fs.existsSync(keyPath)) {
    const key = Buffer.from(fs.readFileSync(keyPath, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new Error(`${keyPath} does not hold a 32-byte hex key. Restore it from a backup, or set MIFY_SECRET_KEY.`);
    return key;
  }

  fs.mkdirSync(options.dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(keyPath, key.toString('hex'), { mode: 0o600, flag: 'wx' });
  options.logger?.warn({ keyPath }, 'generated a new credentials key; back this file up together with the database');
  return key;
}
