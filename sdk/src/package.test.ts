/** The package format: packing, SHA-256 and SHA-512 checks, signatures and unlisted files. */
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { integrityOf, keyFingerprint, packExtension, publicKeyFingerprint, unpackAndVerify } from './package.js';

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-package-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function extensionFolder(): string {
  const folder = tempDir();
  fs.writeFileSync(path.join(folder, 'mify.extension.json'), '{"id":"acme.pkg"}');
  fs.mkdirSync(path.join(folder, 'dist'));
  fs.writeFileSync(path.join(folder, 'dist', 'index.js'), 'export default {};');
  fs.mkdirSync(path.join(folder, 'src'));
  fs.writeFileSync(path.join(folder, 'src', 'index.ts'), 'export default {};');
  return folder;
}

/** Unpacks a package, lets `change` edit the files, and packs them again as they are. */
async function repack(file: string, change: (folder: string) => void): Promise<string> {
  const folder = tempDir();
  await tar.extract({ file, cwd: folder });
  change(folder);
  const out = path.join(tempDir(), 'repacked.tgz');
  await tar.create({ gzip: true, file: out, cwd: folder }, fs.readdirSync(folder));
  return out;
}

describe('package format', () => {
  it('packs sha256 and sha512 checksums without sources', async () => {
    const file = path.join(tempDir(), 'p.tgz');
    const { files } = await packExtension(extensionFolder(), file);
    const verified = await unpackAndVerify(file);
    const checksums = JSON.parse(fs.readFileSync(path.join(verified.folder, 'checksums.json'), 'utf8'));

    expect(files).toEqual(['dist/index.js', 'mify.extension.json']);
    expect(checksums.sha512['dist/index.js']).toBe(createHash('sha512').update('export default {};').digest('hex'));
    expect(verified.signed).toBe(false);
  });

  it('reports a SHA-512 mismatch', async () => {
    const file = path.join(tempDir(), 'p.tgz');
    await packExtension(extensionFolder(), file);
    const altered = await repack(file, (folder) => {
      fs.writeFileSync(path.join(folder, 'dist', 'index.js'), 'export default { evil: true };');
      const checksums = JSON.parse(fs.readFileSync(path.join(folder, 'checksums.json'), 'utf8'));
      checksums.files['dist/index.js'] = createHash('sha256').update('export default { evil: true };').digest('hex');
      fs.writeFileSync(path.join(folder, 'checksums.json'), JSON.stringify(checksums));
    });

    await expect(unpackAndVerify(altered)).rejects.toThrow('SHA-512 mismatch for dist/index.js');
  });

  it('verifies a signature and reports its key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const file = path.join(tempDir(), 'p.tgz');
    await packExtension(extensionFolder(), file, { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });

    const verified = await unpackAndVerify(file);

    expect(verified.signerFingerprint).toBe(keyFingerprint(publicKey));
    expect(publicKeyFingerprint(publicKey.export({ type: 'spki', format: 'der' }).toString('base64'))).toBe(keyFingerprint(publicKey));
  });

  it('rejects altered checksums of a signed package', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const file = path.join(tempDir(), 'p.tgz');
    await packExtension(extensionFolder(), file, { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const altered = await repack(file, (folder) => {
      fs.writeFileSync(path.join(folder, 'dist', 'index.js'), 'x');
      const checksums = JSON.parse(fs.readFileSync(path.join(folder, 'checksums.json'), 'utf8'));
      checksums.files['dist/index.js'] = createHash('sha256').update('x').digest('hex');
      checksums.sha512['dist/index.js'] = createHash('sha512').update('x').digest('hex');
      fs.writeFileSync(path.join(folder, 'checksums.json'), JSON.stringify(checksums));
    });

    await expect(unpackAndVerify(altered)).rejects.toThrow('signature');
  });

  it('rejects a file missing from the checksums', async () => {
    const file = path.join(tempDir(), 'p.tgz');
    await packExtension(extensionFolder(), file);
    const altered = await repack(file, (folder) => fs.writeFileSync(path.join(folder, 'extra.js'), 'x'));

    await expect(unpackAndVerify(altered)).rejects.toThrow('unlisted extra.js');
  });

  it('computes a Subresource Integrity string', () => {
    expect(integrityOf(Buffer.from('abc'))).toBe(`sha512-${createHash('sha512').update('abc').digest('base64')}`);
  });
});
