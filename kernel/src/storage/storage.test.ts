import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../test-support/databases.js';
import { openDatabase } from './database.js';
import { migrate, readMigrations } from './migrator.js';

const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function copyMigrations(): string {
  const dir = tempDir('mify-migrations-');
  for (const migration of readMigrations()) {
    fs.mkdirSync(path.join(dir, migration.name));
    fs.writeFileSync(path.join(dir, migration.name, 'migration.sql'), migration.sql);
  }
  return dir;
}

describe.each(databaseBackends)('storage on $name', (backend) => {
  describe.skipIf(backend.skipReason !== null)(backendTitle(backend), () => {
    let handle: TestDatabase | undefined;

    afterEach(async () => {
      await handle?.cleanup();
      handle = undefined;
    });

    it('applies every migration once', async () => {
      handle = await openTestDatabase(backend.name, { migrate: false });
      const first = await migrate(handle.db);
      const second = await migrate(handle.db);

      expect(first).toEqual(readMigrations().map((m) => m.name));
      expect(second).toEqual([]);
      const rows = await handle.db.query<{ name: string; checksum: string }>('select name, checksum from mify_migrations');
      expect(rows.map((r) => r.checksum)).toEqual(readMigrations().map((m) => m.checksum));
    });

    it('refuses an edited applied migration', async () => {
      handle = await openTestDatabase(backend.name, { migrate: false });
      const dir = copyMigrations();
      await migrate(handle.db, { dir });
      const first = readMigrations(dir)[0]!;
      fs.appendFileSync(path.join(dir, first.name, 'migration.sql'), '\n-- edited\n');

      await expect(migrate(handle.db, { dir })).rejects.toThrow(/was changed after it was applied/);
    });

    it('rolls back a failing migration whole', async () => {
      handle = await openTestDatabase(backend.name, { migrate: false });
      const dir = copyMigrations();
      fs.mkdirSync(path.join(dir, '29991231000000_broken'));
      fs.writeFileSync(path.join(dir, '29991231000000_broken', 'migration.sql'), 'create table half_done (id int);\nselect * from no_such_table;');

      await expect(migrate(handle.db, { dir })).rejects.toThrow(/29991231000000_broken failed/);
      const tables = await handle.db.query(`select 1 from information_schema.tables where table_name = 'half_done'`);
      expect(tables).toHaveLength(0);
    });

    it('reads and writes through Prisma', async () => {
      handle = await openTestDatabase(backend.name);
      await handle.db.prisma.workspace.create({ data: { id: 'ws1', slug: 'acme', name: 'Acme' } });
      const found = await handle.db.prisma.workspace.findUnique({ where: { slug: 'acme' } });

      expect(found?.name).toBe('Acme');
    });

    it('commits or rolls back transactions', async () => {
      handle = await openTestDatabase(backend.name);
      await handle.db.transaction(async (tx) => {
        await tx.query(`insert into workspaces (id, slug, name) values ('a', 'a', 'A')`);
      });
      await expect(
        handle.db.transaction(async (tx) => {
          await tx.query(`insert into workspaces (id, slug, name) values ('b', 'b', 'B')`);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');

      const rows = await handle.db.query<{ id: string }>('select id from workspaces order by id');
      expect(rows.map((r) => r.id)).toEqual(['a']);
    });

    it('reports pgvector availability', async () => {
      handle = await openTestDatabase(backend.name);
      const available = await handle.db.hasVector();
      const installed = await handle.db.query(`select 1 from pg_extension where extname = 'vector'`);

      expect(available).toBe(installed.length === 1);
    });
  });
});

describe('embedded database folder', () => {
  it('keeps data across reopen', async () => {
    const dataDir = tempDir('mify-data-');
    const first = await openDatabase({ dataDir });
    await migrate(first);
    await first.prisma.workspace.create({ data: { id: 'w', slug: 'kept', name: 'Kept' } });
    await first.close();

    const second = await openDatabase({ dataDir });
    const found = await second.prisma.workspace.findUnique({ where: { slug: 'kept' } });
    await second.close();

    expect(found?.id).toBe('w');
  });

  it('closes once when closed twice', async () => {
    const dataDir = tempDir('mify-data-');
    const db = await openDatabase({ dataDir });

    await Promise.all([db.close(), db.close()]);
    await db.close();
    const reopened = await openDatabase({ dataDir });
    await reopened.close();

    expect(fs.existsSync(path.join(dataDir, 'pgdata.lock'))).toBe(false);
  });

  it('refuses a second opener while the first holds it', async () => {
    const dataDir = tempDir('mify-data-');
    fs.mkdirSync(path.join(dataDir, 'pgdata'), { recursive: true });
    // pid 1 is always alive, so the lock looks held by another process.
    fs.writeFileSync(path.join(dataDir, 'pgdata.lock'), '1');

    await expect(openDatabase({ dataDir })).rejects.toThrow(/in use by another MIFY process \(pid 1\)/);
  });
});
