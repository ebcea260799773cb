/**
 * Benchmark data sets, generated once and reused: a migrated database holding the deterministic
 * catalogue (100k films, 300k persons, their genre and person links, built by the catalog
 * module's own generator) with its read model rebuilt; and a deterministic stream of UGC events.
 *
 * PGlite keeps the data in bench/.data/<name>/pgdata (KINO_DATA_DIR = bench/.data/<name>);
 * PostgreSQL keeps it in a database of its own on the server. A marker row records the size,
 * so a later run with the same size skips generation.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from '../../src/ports/sql.js';
import { createMemoryCache } from '../../src/adapters/cache/memory.js';
import { createReadModel } from '../../src/modules/catalog/index.js';
import { generateCatalog, prng } from '../../src/modules/content/index.js';

export const root = path.resolve(import.meta.dirname, '../..');
export const dataRoot = path.join(root, 'bench/.data');

export interface CatalogSize {
  readonly films: number;
  readonly persons: number;
  readonly genres: number;
  readonly seed: number;
  readonly actors: { readonly min: number; readonly max: number };
}

/** 5–11 actors + 1 director + 1–2 writers: about 10 person links a film, 1M in all. */
export const FULL: CatalogSize = {
  films: 100_000,
  persons: 300_000,
  genres: 40,
  seed: 7,
  actors: { min: 5, max: 11 },
};

export interface EngineEnv {
  readonly name: 'pglite' | 'postgres';
  readonly label: string;
  /** Environment of every `kino` process on this engine (database, cache, bus). */
  readonly env: Record<string, string>;
  open(): Promise<Sql>;
}

/** Runs `node bin/kino.js <args>` with the env and resolves to its stdout (throws on failure). */
export function kino(args: string[], env: Record<string, string>): Promise<{ stdout: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/kino.js'), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    child.on('exit', (code) =>
      code === 0
        ? resolve({ stdout: out, ms: performance.now() - t0 })
        : reject(new Error(`kino ${args.join(' ')} exited with ${code}\n${err}`)),
    );
  });
}

export interface PreparedCatalog {
  readonly counts: {
    films: number;
    genres: number;
    persons: number;
    genreLinks: number;
    personLinks: number;
  };
  /** Seconds generation and the first read-model build took (null when reused). */
  readonly generatedS: number | null;
  readonly rebuiltS: number | null;
  /** FREE film ids (what an anonymous caller sees), person ids, genre ids. */
  readonly freeFilmIds: string[];
  readonly genreIds: string[];
}

const markerOf = (size: CatalogSize) =>
  `catalog:${size.films}:${size.persons}:${size.genres}:${size.seed}:${size.actors.min}-${size.actors.max}`;

/** Makes sure the engine holds the catalogue of this size; generates it when it does not. */
export async function prepareCatalog(
  engine: EngineEnv,
  size: CatalogSize,
  log: (line: string) => void,
): Promise<PreparedCatalog> {
  // Migrations of every module, by the product's own command.
  await kino(['migrate'], engine.env);
  const sql = await engine.open();
  try {
    await sql.execute(
      'CREATE TABLE IF NOT EXISTS public.bench_marker (marker text PRIMARY KEY, counts jsonb)',
    );
    const marker = markerOf(size);
    const [found] = await sql.query<{ counts: PreparedCatalog['counts'] }>(
      'SELECT counts FROM public.bench_marker WHERE marker = $1',
      [marker],
    );
    let counts = found?.counts;
    let generatedS: number | null = null;
    let rebuiltS: number | null = null;
    if (!counts) {
      log(`${engine.label}: generating ${size.films} films, ${size.persons} persons (once; cached)`);
      await sql.exec(
        'TRUNCATE content.film_work, content.genre, content.person, content.genre_film_work, content.person_film_work CASCADE',
      );
      await sql.exec('DELETE FROM public.bench_marker');
      let t = performance.now();
      let last = 0;
      counts = await generateCatalog(sql, {
        ...size,
        onProgress: (done, total) => {
          if (done - last >= 20_000 || done === total) {
            last = done;
            log(`  generated ${done}/${total} films`);
          }
        },
      });
      generatedS = (performance.now() - t) / 1000;
      t = performance.now();
      await createReadModel({ sql, cache: createMemoryCache({ maxEntries: 10 }) }).rebuild();
      rebuiltS = (performance.now() - t) / 1000;
      for (const table of ['content.film_work', 'content.person_film_work', 'catalog.film', 'catalog.person'])
        await sql.exec(`VACUUM ANALYZE ${table}`);
      await sql.execute('INSERT INTO public.bench_marker (marker, counts) VALUES ($1, $2::jsonb)', [
        marker,
        JSON.stringify(counts),
      ]);
      log(
        `${engine.label}: generated in ${generatedS.toFixed(1)} s, read model built in ${rebuiltS.toFixed(1)} s`,
      );
    }
    const free = await sql.query<{ id: string }>(
      "SELECT id FROM catalog.film WHERE access = 'FREE' ORDER BY id",
    );
    const genres = await sql.query<{ id: string }>('SELECT id FROM catalog.genre ORDER BY id');
    return {
      counts,
      generatedS,
      rebuiltS,
      freeFilmIds: free.map((r) => r.id),
      genreIds: genres.map((r) => r.id),
    };
  } finally {
    await sql.close();
  }
}

/** PGlite data folder for a named data set (KINO_DATA_DIR). */
export function pgliteDir(name: string): string {
  const dir = path.join(dataRoot, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Creates the PostgreSQL database when missing; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string, fresh = false): Promise<string> {
  const { createPostgresSql } = await import('../../src/adapters/sql/postgres.js');
  const admin = await createPostgresSql(adminUrl, { poolSize: 1 });
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (fresh && exists.length > 0) await admin.exec(`DROP DATABASE ${name} WITH (FORCE)`);
    if (fresh || exists.length === 0) await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const { createPostgresSql } = await import('../../src/adapters/sql/postgres.js');
  const admin = await createPostgresSql(adminUrl, { poolSize: 1 });
  try {
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.close();
  }
}

// ---------------------------------------------------------------------------------------------
// UGC events

const EVENT_TYPES = [
  'view_start',
  'view_progress',
  'view_progress',
  'view_progress',
  'view_progress',
  'click',
  'quality_change',
  'search',
  'view_complete',
] as const;
const QUALITIES = ['480p', '720p', '1080p', '2160p'];

function uuidFrom(rand: () => number): string {
  let h = '';
  for (let i = 0; i < 4; i++)
    h += Math.floor(rand() * 4294967296)
      .toString(16)
      .padStart(8, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A deterministic stream of UGC events (the same seed always gives the same events and ids), as
 * JSON bodies of `batch` events for POST /api/v1/events. Film ids come from `films`; timestamps
 * walk back from `now` so they fall into the current and previous days' partitions.
 */
export function ugcEventBodies(options: {
  count: number;
  batch: number;
  films: readonly string[];
  seed: number;
  now: number;
}): string[] {
  const rand = prng(options.seed);
  const bodies: string[] = [];
  for (let start = 0; start < options.count; start += options.batch) {
    const events = [];
    for (let i = start; i < Math.min(options.count, start + options.batch); i++) {
      const type = EVENT_TYPES[Math.floor(rand() * EVENT_TYPES.length)]!;
      const film = options.films[Math.floor(options.films.length * rand() ** 2)]!;
      const payload =
        type === 'search'
          ? { query: 'star wars' }
          : type === 'click'
            ? { target: 'trailer' }
            : type === 'quality_change'
              ? { quality: QUALITIES[Math.floor(rand() * QUALITIES.length)]! }
              : { position_s: Math.floor(rand() * 7200), duration_s: 7200 };
      events.push({
        event_id: uuidFrom(rand),
        type,
        ...(type === 'search' ? {} : { film_id: film }),
        ts: new Date(options.now - Math.floor(i * 10)).toISOString(),
        payload,
      });
    }
    bodies.push(JSON.stringify(events));
  }
  return bodies;
}

/** Caches small JSON facts between runs (e.g. first-start figures). */
export function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}
export function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2));
}
