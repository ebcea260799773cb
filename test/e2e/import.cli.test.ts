/**
 * `kino import` run as a person runs it: a second process, on the data that `kino start` seeds.
 * #16.2: the Practicum dump imported over the demo catalogue keeps every genre link (the demo's
 * genres share names with the dump's) and gives the same films as an import into an empty
 * database. #28.4: a line of 160 MB with no newline ends the import with a clear message,
 * nothing written, memory flat (no uncaught RangeError at ~1 GB).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteSql } from '../../src/adapters/sql/pglite.js';
import { createPostgresSql } from '../../src/adapters/sql/postgres.js';
import type { Sql } from '../../src/ports/sql.js';
import { createTestSql, serverUrls, type TestSql } from '../helpers/engines.js';

const DATA =
  process.env.KINO_SHARED_DATA ?? fileURLToPath(new URL('../../../shared/data/practicum/', import.meta.url));
const DUMP = path.join(DATA, 'content_dump.sql');
const root = fileURLToPath(new URL('../../', import.meta.url));

/** One data home: a PostgreSQL database when DATABASE_URL is set, else a PGlite data folder. */
interface Instance {
  env: Record<string, string>;
  open(): Promise<Sql>;
  close(): Promise<void>;
}

async function instance(): Promise<Instance> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-import-cli-'));
  const base = {
    KINO_DATA_DIR: dataDir,
    REDIS_URL: '',
    NATS_URL: '',
    LOG_LEVEL: 'warn',
    PORT: '0',
    METRICS_PORT: '0',
  };
  if (serverUrls.database) {
    const db: TestSql = await createTestSql('postgres');
    return {
      env: { ...base, DATABASE_URL: db.url! },
      open: () => createPostgresSql(db.url!, { poolSize: 2 }),
      async close() {
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  return {
    env: { ...base, DATABASE_URL: '' },
    open: () => createPgliteSql(path.join(dataDir, 'pgdata')),
    close: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `kino <args>` in a child process, until it exits. */
function kino(args: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/cli.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `kino start` until it serves, then Ctrl-C: the first run seeds the demo catalogue. */
async function startOnce(env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/cli.ts', 'start'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/Health\s+http/.test(out)) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`kino start exited with ${code}:\n${out}`));
    });
  });
  expect(out).toMatch(/Demo catalogue: 1000 films/);
  child.removeAllListeners('exit');
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  await exited;
}

type Catalogue = Map<string, string>;

/** Every film of the dump as the API serves it: title, access, genre names, people by role. */
async function catalogue(sql: Sql): Promise<Catalogue> {
  const rows = await sql.query<{
    id: string;
    access: string;
    document: {
      title: string;
      genre: { name: string }[];
      actors: { full_name: string }[];
      writers: { full_name: string }[];
      directors: { full_name: string }[];
    };
  }>('SELECT id, access, document FROM catalog.film');
  const names = (list: { full_name?: string; name?: string }[]) =>
    list.map((x) => x.full_name ?? x.name).sort();
  return new Map(
    rows.map((r) => [
      r.id,
      JSON.stringify([
        r.document.title,
        r.access,
        names(r.document.genre),
        names(r.document.actors),
        names(r.document.writers),
        names(r.document.directors),
      ]),
    ]),
  );
}

describe.skipIf(!existsSync(DUMP))('kino import in a second process', { timeout: 900_000 }, () => {
  let demo: Instance;
  let empty: Instance;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kino-import-files-'));
    demo = await instance();
    empty = await instance();
  }, 120_000);
  afterAll(async () => {
    await demo?.close();
    await empty?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the Practicum dump over the demo catalogue: 0 bad rows, the same films as into an empty database', async () => {
    await startOnce(demo.env);
    const over = await kino(['import', 'practicum-sql', DUMP], demo.env);
    expect(over.code, over.stderr).toBe(0);
    expect(over.stdout).toMatch(
      /999 films, 26 genres, 4166 persons, 2231 genre links, \d+ person links .*; 0 bad row\(s\) skipped/,
    );

    expect((await kino(['migrate'], empty.env)).code).toBe(0);
    const fresh = await kino(['import', 'practicum-sql', DUMP], empty.env);
    expect(fresh.code, fresh.stderr).toBe(0);

    const [a, b] = [await demo.open(), await empty.open()];
    try {
      const baseline = await catalogue(b);
      const withDemo = await catalogue(a);
      expect(baseline.size).toBe(999);
      // The demo's 1000 films stay; each of the dump's 999 reads as it does without them.
      expect(withDemo.size).toBe(1999);
      for (const [id, film] of baseline) expect(withDemo.get(id), id).toBe(film);
      const [links] = await a.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM content.genre_film_work WHERE film_work_id = ANY($1::uuid[])`,
        [[...baseline.keys()]],
      );
      expect(links!.n).toBe(2231);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a 160 MB line with no newline ends the import with a message, nothing written', async () => {
    // A data home of its own (the other test counts the films of `empty`), and a small valid
    // import first, so the database exists and holds one film of this run.
    const own = await instance();
    try {
      await longLine(own);
    } finally {
      await own.close();
    }
  });

  async function longLine(home: Instance): Promise<void> {
    const small = path.join(dir, 'small.sql');
    writeFileSync(
      small,
      [
        'COPY content.film_work (id, title) FROM stdin;',
        '5e0e4a8a-0000-4000-8000-000000000001\tSmall One',
        '\\.',
        '',
      ].join('\n'),
    );
    const first = await kino(['import', 'practicum-sql', small], home.env);
    expect(first.code, first.stderr).toBe(0);

    const long = path.join(dir, 'long.sql');
    const out = createWriteStream(long);
    out.write('COPY content.film_work (id, title, description) FROM stdin;\n');
    out.write('5e0e4a8a-0000-4000-8000-000000000002\tBefore the long line\t\\N\n');
    out.write('5e0e4a8a-0000-4000-8000-000000000003\tLong\t');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 160; i++) if (!out.write(chunk)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');

    const run = await kino(['import', 'practicum-sql', long], home.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /line 3 of .* is longer than 1048576 bytes \(the line limit\); nothing was imported/,
    );
    expect(run.stderr).not.toMatch(/RangeError/);
    // How far the reader gets and what it holds: line-reader.test.ts, from the reader itself.

    const sql = await home.open();
    try {
      const rows = await sql.query<{ id: string }>(
        `SELECT id FROM content.film_work WHERE id::text LIKE '5e0e4a8a-0000-4000-8000-00000000000%' ORDER BY id`,
      );
      expect(rows.map((r) => r.id)).toEqual(['5e0e4a8a-0000-4000-8000-000000000001']);
    } finally {
      await sql.close();
    }
  }
});
