import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { messages } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendTitle, databaseBackends, openTestDatabase, type TestDatabase } from '../test-support/databases.js';
import { openDatabase, type Database } from './database.js';
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

  it('rejects statements after close', async () => {
    const db = await openDatabase({ dataDir: 'memory://', pgliteThread: 'worker' });
    await db.close();

    await expect(db.query('select 1')).rejects.toThrow(/The embedded database is closed; open it again/);
  });

  it('reports a damaged folder and unlocks it', async () => {
    const dataDir = tempDir('mify-data-');
    fs.mkdirSync(path.join(dataDir, 'pgdata'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'pgdata', 'PG_VERSION'), '99\n');

    await expect(openDatabase({ dataDir })).rejects.toThrow(/Could not open the embedded database at .*pgdata: .*move it away and run `mify migrate`/);
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

describe.each(['worker', 'main'] as const)('embedded database on the %s thread', (pgliteThread) => {
  let db: Database;

  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://', pgliteThread });
    await migrate(db);
    await db.query(`insert into workspaces (id, slug, name) values ('w1', 'one', 'One')`);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('names its thread in the location', () => {
    expect(db.location).toBe(pgliteThread === 'worker' ? 'embedded PostgreSQL (PGlite) in memory' : 'embedded PostgreSQL (PGlite) in memory on the kernel thread');
  });

  it('returns typed values', async () => {
    const [row] = await db.query<{ at: Date; doc: unknown; big: number; bytes: Uint8Array; nothing: null }>(
      `select timestamptz '2030-01-02 03:04:05Z' as at, '{"a":[1,2]}'::jsonb as doc, 9007199254740991::int8 as big, '\\x0102'::bytea as bytes, null as nothing`,
    );

    expect(row!.at).toEqual(new Date('2030-01-02T03:04:05Z'));
    expect(row!.doc).toEqual({ a: [1, 2] });
    expect(row!.big).toBe(9007199254740991);
    expect(row!.bytes).toEqual(new Uint8Array([1, 2]));
    expect(row!.nothing).toBeNull();
  });

  it('keeps PostgreSQL error fields', async () => {
    const error = await db.query(`insert into workspaces (id, slug, name) values ('w2', 'one', 'Copy')`).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(messages.DatabaseError);
    expect(error).toMatchObject({ code: '23505', constraint: 'workspaces_slug_key' });
  });

  it('maps Prisma errors and values', async () => {
    const created = await db.prisma.workspace.create({ data: { id: 'w3', slug: 'three', name: 'Three' } });
    const duplicate = await db.prisma.workspace.create({ data: { id: 'w4', slug: 'three', name: 'Again' } }).catch((caught: unknown) => caught);

    expect(created.createdAt).toBeInstanceOf(Date);
    expect(duplicate).toMatchObject({ code: 'P2002' });
  });

  it('rolls back a Prisma transaction that throws', async () => {
    const failed = db.prisma.$transaction(async (tx) => {
      await tx.workspace.create({ data: { id: 'w5', slug: 'five', name: 'Five' } });
      throw new Error('stop here');
    });

    await expect(failed).rejects.toThrow('stop here');
    expect(await db.prisma.workspace.findUnique({ where: { id: 'w5' } })).toBeNull();
  });

  it('runs statements beside an open transaction in order', async () => {
    const inside = db.transaction(async (tx) => {
      await tx.query(`insert into workspaces (id, slug, name) values ('w6', 'six', 'Six')`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return (await tx.query<{ count: number }>(`select count(*)::int as count from workspaces where id = 'w6'`))[0]!.count;
    });
    const outside = db.query<{ count: number }>(`select count(*)::int as count from workspaces where id = 'w6'`);

    expect(await inside).toBe(1);
    expect((await outside)[0]!.count).toBe(1);
  });
});
