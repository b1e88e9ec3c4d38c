import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabaseForStart } from './early-database.js';

describe('openDatabaseForStart', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mify-early-'));
    dirs.push(dir);
    return dir;
  };

  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens nothing for other commands', () => {
    expect(openDatabaseForStart(['migrate'], { MIFY_DATA_DIR: tempDir() })).toBeNull();
    expect(openDatabaseForStart([], { MIFY_DATA_DIR: tempDir() })).toBeNull();
  });

  it('opens nothing for start --help', () => {
    expect(openDatabaseForStart(['start', '--help'], { MIFY_DATA_DIR: tempDir() })).toBeNull();
    expect(openDatabaseForStart(['start', '-h'], { MIFY_DATA_DIR: tempDir() })).toBeNull();
  });

  it('leaves an invalid configuration to start', () => {
    expect(openDatabaseForStart(['start'], { MIFY_DATA_DIR: tempDir(), MIFY_PORT: 'eighty' })).toBeNull();
  });

  it('opens the embedded database of start', async () => {
    const dataDir = tempDir();
    const db = await openDatabaseForStart(['start', '--port', '0'], { MIFY_DATA_DIR: dataDir });

    try {
      expect(db!.kind).toBe('pglite');
      expect(await db!.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
      expect(fs.existsSync(path.join(dataDir, 'pgdata.lock'))).toBe(true);
    } finally {
      await db?.close();
    }
  });

  it('rejects a locked data directory', async () => {
    const dataDir = tempDir();
    // The lock names the parent of this test process, which is alive, so the open must fail.
    fs.writeFileSync(path.join(dataDir, 'pgdata.lock'), String(process.ppid));
    const opening = openDatabaseForStart(['start'], { MIFY_DATA_DIR: dataDir });

    await expect(opening).rejects.toThrow(/in use by another MIFY process/);
  });
});
