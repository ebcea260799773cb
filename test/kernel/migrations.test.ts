import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, MigrationError, type MigrationSet } from '../../src/platform/migrations.js';
import { createTestSql, type TestSql } from '../helpers/engines.js';

describe('migrations', () => {
  let t: TestSql;
  let dir: string;
  let set: MigrationSet;
  beforeEach(async () => {
    t = await createTestSql();
    dir = mkdtempSync(path.join(tmpdir(), 'kino-mig-'));
    set = { module: 'demo', schema: 'demo', dir: pathToFileURL(dir + '/') };
  });
  afterEach(async () => t.close());

  it('applies numbered files in order, once, in the module schema', async () => {
    writeFileSync(path.join(dir, '0002_more.sql'), 'ALTER TABLE demo.thing ADD COLUMN n int;');
    writeFileSync(path.join(dir, '0001_init.sql'), 'CREATE TABLE demo.thing (id int PRIMARY KEY);');
    const first = await migrate(t.sql, [set]);
    expect(first.map((m) => m.version)).toEqual([1, 2]);
    expect(await migrate(t.sql, [set])).toEqual([]);
    await t.sql.query('INSERT INTO demo.thing (id, n) VALUES (1, 2)');
  });

  it('refuses an applied file whose text changed, naming it', async () => {
    writeFileSync(path.join(dir, '0001_init.sql'), 'CREATE TABLE demo.thing (id int PRIMARY KEY);');
    await migrate(t.sql, [set]);
    writeFileSync(path.join(dir, '0001_init.sql'), 'CREATE TABLE demo.thing (id bigint PRIMARY KEY);');
    const error = await migrate(t.sql, [set]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain('0001_init.sql');
    expect((error as Error).message).toContain('forward-only');
  });

  it('rolls back a failing file and applies nothing of it', async () => {
    writeFileSync(path.join(dir, '0001_bad.sql'), 'CREATE TABLE demo.a (id int); SELECT * FROM nowhere;');
    await expect(migrate(t.sql, [set])).rejects.toThrow();
    expect(
      await t.sql.query(
        `SELECT 1 FROM information_schema.tables WHERE table_schema = 'demo' AND table_name = 'a'`,
      ),
    ).toEqual([]);
    expect(await t.sql.query(`SELECT 1 FROM platform.schema_migration WHERE module = 'demo'`)).toEqual([]);
  });

  it('rejects badly named files', async () => {
    writeFileSync(path.join(dir, 'init.sql'), 'SELECT 1;');
    await expect(migrate(t.sql, [set])).rejects.toThrow(/NNNN_name\.sql/);
  });
});
