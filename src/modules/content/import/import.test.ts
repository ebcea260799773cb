import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../../../../test/helpers/kino.js';
import { decodeCopyField } from './copy-text.js';
import { importElasticdump } from './elasticdump.js';
import { importPracticumSql } from './practicum-sql.js';

// The public Practicum dataset beside the repository (../shared/data/practicum), read in place.
const DATA =
  process.env.KINO_SHARED_DATA ??
  fileURLToPath(new URL('../../../../../shared/data/practicum/', import.meta.url));
const hasData = existsSync(path.join(DATA, 'content_dump.sql'));

/** Ids of one test's own rows: tests of one database never meet each other's films, genres or persons. */
const ids = () => ({ F1: randomUUID(), F2: randomUUID(), G1: randomUUID(), P1: randomUUID() });

describe('COPY text decoding', () => {
  it('decodes NULL, backslash escapes, octal and hex', () => {
    expect(decodeCopyField('\\N')).toBeNull();
    expect(decodeCopyField('a\\tb\\nc\\\\d')).toBe('a\tb\nc\\d');
    expect(decodeCopyField('\\101\\x42')).toBe('AB');
    expect(decodeCopyField('plain')).toBe('plain');
  });
});

describe('imports', () => {
  let kino: TestKino;
  let dir: string;
  beforeAll(async () => {
    kino = await createTestKino({ modules: ['catalog'], workers: false });
    dir = mkdtempSync(path.join(tmpdir(), 'kino-import-'));
  }, 180_000);
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await kino?.close();
  });
  const sql = () => kino.kernel.engines.sql;
  const readModel = () => kino.kernel.services.require('catalog').readModel;
  /** Links of the given films only. */
  const count = async (table: string, films: [string[]]) =>
    (
      await sql().query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE film_work_id = ANY($1::uuid[])`,
        films,
      )
    )[0]!.n;

  it('reads a synthetic pg_dump: escapes, column order, several blocks, early links, bad rows', async () => {
    const { F1, F2, G1, P1 } = ids();
    const [bad, missing] = [randomUUID(), randomUUID()];
    const file = path.join(dir, 'dump.sql');
    writeFileSync(
      file,
      [
        '-- a comment',
        'COPY public.users (id, login) FROM stdin;',
        '1\tadmin',
        '\\.',
        // A link whose film comes later in the file.
        'COPY content.genre_film_work (genre_id, film_work_id, id) FROM stdin;',
        `${G1}\t${F2}\t\\N`,
        '\\.',
        'COPY content.genre (id, name, description) FROM stdin;',
        `${G1}\tDrama\t\\N`,
        '\\.',
        'COPY content.film_work (title, id, description, rating, type, creation_date) FROM stdin;',
        `Tab\\there\t${F1}\tLine one\\nline two \\\\ done\t7.5\tmovie\t2001-02-03`,
        `Bad rating\t${bad}\t\\N\t42\tmovie\t\\N`,
        `Too few fields\t${F1}`,
        '\\.',
        'COPY content.film_work (id, title, rating, type) FROM stdin;',
        `${F2}\tSecond Block\t\\N\ttv_show`,
        `not-a-uuid\tBroken\t\\N\tmovie`,
        '\\.',
        'COPY content.person (id, full_name) FROM stdin;',
        `${P1}\tAnna Ivanova`,
        '\\.',
        'COPY content.person_film_work (id, film_work_id, person_id, role) FROM stdin;',
        `\\N\t${F1}\t${P1}\tdirector`,
        `\\N\t${F1}\t${P1}\tproducer`,
        `\\N\t${missing}\t${P1}\tactor`,
        '\\.',
      ].join('\n') + '\n',
    );
    const { report, touched } = await importPracticumSql(sql(), file, { batchSize: 2 });
    expect(report).toMatchObject({ films: 2, genres: 1, persons: 1, genre_links: 1, person_links: 1 });
    expect(report.skipped.map((s) => s.line)).toEqual([13, 14, 18, 25, 26]);
    expect(report.skipped.find((s) => s.line === 25)?.reason).toMatch(/role/);
    expect(report.skipped.find((s) => s.line === 26)?.reason).toMatch(/not found/);

    const [film] = await sql().query<{
      title: string;
      description: string;
      access: string;
      creation_date: string;
    }>('SELECT title, description, access, creation_date FROM content.film_work WHERE id = $1', [F1]);
    expect(film).toEqual({
      title: 'Tab\there',
      description: 'Line one\nline two \\ done',
      access: 'FREE',
      creation_date: '2001-02-03',
    });
    await readModel().refresh(touched);
    const [doc] = await sql().query<{ document: { genre: unknown[]; directors: unknown[] } }>(
      'SELECT document FROM catalog.film WHERE id = $1',
      [F2],
    );
    expect(doc!.document.genre).toEqual([{ uuid: G1, name: 'Drama' }]);

    // Idempotent: a second run changes nothing and duplicates nothing.
    const ofFile: [string[]] = [[F1, F2, bad, missing]];
    const versions = () =>
      sql().query('SELECT id, version FROM content.film_work WHERE id = ANY($1::uuid[]) ORDER BY id', ofFile);
    const before = await versions();
    expect(before).toHaveLength(2);
    await importPracticumSql(sql(), file);
    expect(await versions()).toEqual(before);
    expect(await count('content.genre_film_work', ofFile)).toBe(1);
    expect(await count('content.person_film_work', ofFile)).toBe(1);
  });

  it('reads a synthetic elasticdump: access from type, FREE when absent, bad lines skipped', async () => {
    const { F1, F2, G1, P1 } = ids();
    // F2 is already stored as a tv show: a document has no film type, so the stored one stays.
    const stored = path.join(dir, 'stored.sql');
    writeFileSync(
      stored,
      ['COPY content.film_work (id, title, type) FROM stdin;', `${F2}\tStored show\ttv_show`, '\\.', ''].join(
        '\n',
      ),
    );
    expect((await importPracticumSql(sql(), stored)).report).toMatchObject({ films: 1, skipped_count: 0 });
    const movies = path.join(dir, 'movies.ndjson');
    const doc = (id: string, extra: Record<string, unknown>) =>
      JSON.stringify({
        _index: 'movies',
        _id: id,
        _source: {
          id,
          title: 'ES film',
          imdb_rating: 6.1,
          description: 'From the index',
          genres: [{ id: G1, name: 'Film noir' }],
          directors: [{ id: P1, name: 'Boris Petrov' }],
          actors: [],
          writers: [{ id: P1, name: 'Boris Petrov' }],
          ...extra,
        },
      });
    writeFileSync(
      movies,
      [doc(F1, { type: 'PAID' }), '{not json', doc(F2, {}), doc('x', { type: 'FREE' })].join('\n'),
    );
    const { report } = await importElasticdump(sql(), { movies });
    expect(report).toMatchObject({ films: 2, skipped_count: 2 });
    expect(report.skipped.map((s) => s.line)).toEqual([2, 4]);
    const rows = await sql().query<{ id: string; access: string; type: string }>(
      'SELECT id, access, type FROM content.film_work WHERE id = ANY($1::uuid[]) ORDER BY id',
      [[F1, F2]],
    );
    expect(rows).toEqual(
      [
        { id: F1, access: 'PAID', type: 'movie' },
        { id: F2, access: 'FREE', type: 'tv_show' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    const roles = await sql().query<{ role: string }>(
      'SELECT role FROM content.person_film_work WHERE film_work_id = $1 ORDER BY role',
      [F1],
    );
    expect(roles.map((r) => r.role)).toEqual(['director', 'writer']);

    // Re-import updates the access level.
    writeFileSync(movies, doc(F1, { type: 'ARCHIVED' }));
    await importElasticdump(sql(), { movies });
    const [after] = await sql().query<{ access: string }>(
      'SELECT access FROM content.film_work WHERE id = $1',
      [F1],
    );
    expect(after!.access).toBe('ARCHIVED');
  });
});

describe.skipIf(!hasData)(
  'imports of the Practicum data set (skipped: ' + DATA + ' is absent)',
  { timeout: 180_000 },
  () => {
    // These tests own their databases, so they count whole tables. The import of content_dump.sql
    // is shared by the tests that only read it; the one that imports more on top has its own.
    let kino: TestKino;
    let dumped: Awaited<ReturnType<typeof importContentDump>>;
    beforeAll(async () => {
      kino = await createTestKino({ modules: ['catalog'], workers: false });
      dumped = await importContentDump(kino);
    }, 180_000);
    afterAll(async () => {
      await kino?.close();
    });
    const readModel = (k: TestKino) => k.kernel.services.require('catalog').readModel;
    async function importContentDump(k: TestKino) {
      const { report, touched } = await importPracticumSql(
        k.kernel.engines.sql,
        path.join(DATA, 'content_dump.sql'),
      );
      await readModel(k).refresh(touched);
      return report;
    }
    const count = async (table: string, where = 'true', k = kino) =>
      (
        await k.kernel.engines.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
        )
      )[0]!.n;
    const sql = () => kino.kernel.engines.sql;

    it('content_dump.sql gives 999 films, 26 genres, 4166 persons, all FREE', async () => {
      expect(dumped.skipped_count).toBe(0);
      expect(await count('catalog.film')).toBe(999);
      expect(await count('catalog.film', `access = 'FREE'`)).toBe(999);
      expect(await count('catalog.genre')).toBe(26);
      expect(await count('catalog.person')).toBe(4166);
      const [row] = await sql().query<{
        document: {
          directors: { full_name: string }[];
          writers: { full_name: string }[];
          genre: { name: string }[];
        };
      }>(`SELECT document FROM catalog.film WHERE id = '3d825f60-9fff-4dfe-b294-1a45fa1e115d'`);
      expect(row!.document.directors.map((d) => d.full_name)).toContain('George Lucas');
      expect(row!.document.writers.map((d) => d.full_name)).toContain('George Lucas');
      expect(row!.document.genre.map((g) => g.name)).toContain('Sci-Fi');
    });

    it('the API reports them, and a search for "star wars" returns Star Wars films first', async () => {
      const films = await kino.app.inject({ url: '/api/v1/films?page_size=1' });
      expect(films.headers['x-total-count']).toBe('999');
      const genres = await kino.app.inject({ url: '/api/v1/genres?page_size=100' });
      expect(genres.headers['x-total-count']).toBe('26');
      const search = await kino.app.inject({ url: '/api/v1/films/search?query=star%20wars&page_size=5' });
      expect(search.statusCode).toBe(200);
      const titles = search.json<{ title: string }[]>().map((f) => f.title);
      expect(titles).toHaveLength(5);
      for (const title of titles) expect(title).toMatch(/star wars/i);
    });

    it('movies_data.json on top leaves exactly 367 FREE films', async () => {
      const own = await createTestKino({ modules: ['catalog'], workers: false });
      try {
        await importContentDump(own);
        const { report, touched } = await importElasticdump(own.kernel.engines.sql, {
          movies: path.join(DATA, 'movies_data.json'),
          genres: path.join(DATA, 'genres_data.json'),
          persons: path.join(DATA, 'persons_data.json'),
        });
        expect(report.skipped_count).toBe(0);
        await readModel(own).refresh(touched);
        expect(await count('catalog.film', 'true', own)).toBe(999);
        expect(await count('catalog.film', `access = 'FREE'`, own)).toBe(367);
        expect(await count('catalog.genre', 'true', own)).toBe(26);
        expect(await count('catalog.person', 'true', own)).toBe(4166);
      } finally {
        await own.close();
      }
    });
  },
);
