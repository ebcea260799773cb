import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPgliteSql, type PgliteSql } from './pglite.js';

// pg reaches a Unix socket as <host>/.s.PGSQL.<port>.
const SOCKET = '.s.PGSQL.5432';

describe('PGlite served over the wire protocol', () => {
  let dir: string;
  let sql: PgliteSql;
  let opened = 0;
  let ended = 0;
  const clients: pg.Client[] = [];

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ host: dir, user: 'postgres', database: 'postgres' });
    c.on('error', () => undefined);
    await c.connect();
    opened++;
    clients.push(c);
    return c;
  }

  // One database for the file (PGlite takes seconds to start); each test empties the table.
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kino-wire-'));
    sql = await createPgliteSql('memory://');
    await sql.exec('CREATE TABLE t (n int PRIMARY KEY)');
    await sql.serve(path.join(dir, SOCKET), { onSessionEnd: () => ended++ });
  });
  afterAll(async () => {
    await sql.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await sql.execute('TRUNCATE t');
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    // Every session of this test has ended before the next one counts.
    await expect.poll(() => ended).toBe(opened);
  });

  const numbers = async () => (await sql.query<{ n: number }>('SELECT n FROM t ORDER BY n')).map((r) => r.n);

  it('answers queries with parameters, and the socket is private to its owner', async () => {
    const c = await client();
    const { rows } = await c.query<{ s: string }>('SELECT $1::text || $2::text AS s', ['a', 'b']);
    expect(rows).toEqual([{ s: 'ab' }]);
    expect(statSync(path.join(dir, SOCKET)).mode & 0o777).toBe(0o600);
  });

  it("never runs the owner's statements inside a client's transaction", async () => {
    const c = await client();
    await c.query('BEGIN');
    await c.query('INSERT INTO t VALUES (1)');
    // Waits for the client's transaction instead of joining it.
    const own = sql.execute('INSERT INTO t VALUES (2)');
    await new Promise((r) => setTimeout(r, 50));
    await c.query('ROLLBACK');
    await own;
    expect(await numbers()).toEqual([2]);
  });

  it("never runs a client's statement inside the owner's transaction", async () => {
    const c = await client();
    let theirs: Promise<unknown> | undefined;
    await expect(
      sql.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (3)');
        theirs = c.query('INSERT INTO t VALUES (4)');
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    await theirs;
    expect(await numbers()).toEqual([4]);
  });

  it('rolls back what a client that went away left open, and lets the owner run again', async () => {
    const c = await client();
    await c.query('BEGIN');
    await c.query('INSERT INTO t VALUES (5)');
    const own = sql.execute('INSERT INTO t VALUES (6)');
    (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await own;
    expect(await numbers()).toEqual([6]);
    await expect.poll(() => ended).toBe(opened);
  });

  it('keeps a failed statement inside the client transaction it belongs to', async () => {
    const c = await client();
    await c.query('BEGIN');
    await c.query('INSERT INTO t VALUES (7)');
    await expect(c.query('INSERT INTO t VALUES (7)')).rejects.toMatchObject({ code: '23505' });
    await c.query('ROLLBACK');
    await sql.execute('INSERT INTO t VALUES (8)');
    const d = await client();
    expect((await d.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
  });
});
