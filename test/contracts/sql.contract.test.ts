/** The sql port contract (ports/sql.ts), run on PGlite always and on PostgreSQL when DATABASE_URL is set. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSqlError, SqlState, type Sql } from '../../src/ports/sql.js';
import { createTestSql, serverUrls, type TestSql } from '../helpers/engines.js';

const engines = [
  { name: 'pglite', run: true },
  { name: 'postgres', run: Boolean(serverUrls.database), why: 'set DATABASE_URL to run on PostgreSQL' },
] as const;

for (const engine of engines) {
  describe.skipIf(!engine.run)(
    `sql contract on ${engine.name}${engine.run ? '' : ` (skipped: ${'why' in engine ? engine.why : ''})`}`,
    () => {
      let t: TestSql;
      let sql: Sql;
      beforeAll(async () => {
        t = await createTestSql(engine.name);
        sql = t.sql;
        await sql.exec(`
        CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL UNIQUE, n bigint, price numeric(10,2),
          day date, at timestamptz, doc jsonb, tags text[], uid uuid, score real, CHECK (id > 0));
        CREATE TABLE child (id int PRIMARY KEY, item_id int NOT NULL REFERENCES item(id));`);
      });
      afterAll(async () => t?.close());

      it('reports its engine and answers ping', async () => {
        expect(sql.engine).toBe(engine.name);
        await expect(sql.ping()).resolves.toBeUndefined();
      });

      it('returns one row shape: numbers, exact numeric strings, dates, json, arrays, uuids', async () => {
        await sql.query(
          `INSERT INTO item (id, name, n, price, day, at, doc, tags, uid, score) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
          [
            1,
            'a',
            9007199254740991,
            '12.30',
            '2024-02-29',
            new Date('2024-02-29T12:00:00Z'),
            JSON.stringify({ x: [1, 'y'] }),
            ['p', 'q'],
            'B3E4F9E2-1C6D-4C1A-9F2B-2D8E9A1B7C11',
            1.5,
          ],
        );
        const [row] = await sql.query<Record<string, unknown>>(
          'SELECT *, count(*) OVER () AS total FROM item WHERE id = $1',
          [1],
        );
        expect(row).toEqual({
          id: 1,
          name: 'a',
          n: 9007199254740991,
          price: '12.30',
          day: '2024-02-29',
          at: new Date('2024-02-29T12:00:00Z'),
          doc: { x: [1, 'y'] },
          tags: ['p', 'q'],
          uid: 'b3e4f9e2-1c6d-4c1a-9f2b-2d8e9a1b7c11',
          score: 1.5,
          total: 1,
        });
      });

      it('never interpolates parameters', async () => {
        const evil = "x'); DROP TABLE item; --";
        const rows = await sql.query<{ v: string }>('SELECT $1::text AS v', [evil]);
        expect(rows[0]?.v).toBe(evil);
        await expect(sql.query('SELECT count(*) FROM item')).resolves.toHaveLength(1);
      });

      it('execute returns the number of changed rows', async () => {
        await sql.query(`INSERT INTO item (id, name) VALUES (10, 'ten'), (11, 'eleven')`);
        expect(await sql.execute('UPDATE item SET n = 5 WHERE id = ANY($1::int[])', [[10, 11]])).toBe(2);
        expect(await sql.execute('DELETE FROM item WHERE id = $1', [999])).toBe(0);
      });

      it('rolls back a transaction whose function throws, rethrowing the error unchanged', async () => {
        const boom = new Error('boom');
        await expect(
          sql.transaction(async (tx) => {
            await tx.query(`INSERT INTO item (id, name) VALUES (20, 'twenty')`);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await sql.query('SELECT 1 FROM item WHERE id = 20')).toEqual([]);
      });

      it('commits a transaction and returns its value', async () => {
        const value = await sql.transaction(async (tx) => {
          await tx.query(`INSERT INTO item (id, name) VALUES (21, 'twenty-one')`);
          await tx.exec(`UPDATE item SET n = 21 WHERE id = 21; UPDATE item SET price = 2.1 WHERE id = 21;`);
          return (await tx.query<{ n: number }>('SELECT n FROM item WHERE id = 21'))[0]?.n;
        });
        expect(value).toBe(21);
        expect(await sql.query('SELECT n, price FROM item WHERE id = 21')).toEqual([
          { n: 21, price: '2.10' },
        ]);
      });

      it('isolates an open transaction from other statements until commit', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const tx = sql.transaction(async (t) => {
          await t.query(`INSERT INTO item (id, name) VALUES (30, 'thirty')`);
          await gate;
        });
        await new Promise((r) => setTimeout(r, 20));
        const outside = sql.query('SELECT count(*)::int AS n FROM item WHERE id = 30');
        release();
        await tx;
        // PGlite serialises the outside read after the commit; PostgreSQL may read before it.
        const [n] = await outside;
        expect([0, 1]).toContain((n as { n: number }).n);
        expect(await sql.query('SELECT count(*)::int AS n FROM item WHERE id = 30')).toEqual([{ n: 1 }]);
      });

      it('raises SqlError with the SQLSTATE code for constraint violations', async () => {
        await sql.query(`INSERT INTO item (id, name) VALUES (40, 'dup')`);
        const unique = await sql
          .query(`INSERT INTO item (id, name) VALUES (41, 'dup')`)
          .catch((e: unknown) => e);
        expect(isSqlError(unique, SqlState.uniqueViolation)).toBe(true);
        const fk = await sql
          .query('INSERT INTO child (id, item_id) VALUES (1, 12345)')
          .catch((e: unknown) => e);
        expect(isSqlError(fk, SqlState.foreignKeyViolation)).toBe(true);
        const check = await sql
          .query(`INSERT INTO item (id, name) VALUES (-1, 'neg')`)
          .catch((e: unknown) => e);
        expect(isSqlError(check, SqlState.checkViolation)).toBe(true);
        const syntax = await sql.query('SELEC 1').catch((e: unknown) => e);
        expect(isSqlError(syntax, '42601')).toBe(true);
      });

      it('keeps working after a failed statement inside and outside transactions', async () => {
        await expect(sql.transaction((tx) => tx.query('SELECT * FROM missing_table'))).rejects.toSatisfy(
          (e) => isSqlError(e, '42P01'),
        );
        await expect(sql.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
      });

      it('runs many concurrent statements and transactions correctly', async () => {
        await sql.exec(
          'CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0);',
        );
        await Promise.all(
          Array.from({ length: 25 }, () =>
            sql.transaction(async (tx) => {
              await tx.query('UPDATE counter SET n = n + 1 WHERE id = 1');
            }),
          ),
        );
        expect(await sql.query('SELECT n FROM counter')).toEqual([{ n: 25 }]);
      });

      it('supports the extensions and text search configurations the catalog relies on', async () => {
        await sql.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm');
        const [row] = await sql.query<{ ru: string; en: string; sim: number }>(
          `SELECT to_tsvector('russian', 'фильмы') ::text AS ru, to_tsvector('english', 'films')::text AS en, similarity('bond', 'bonds') AS sim`,
        );
        expect(row?.ru).toContain('фильм');
        expect(row?.en).toContain('film');
        expect(row?.sim).toBeGreaterThan(0.3);
      });
    },
  );
}
