/**
 * The read-model projector: builds the catalog.* documents the public API reads from the content
 * tables with set-based SQL (read-model.repository.ts: one statement per batch, never a row at a
 * time). The etl worker calls it for each content event; `rebuild` recomputes everything in
 * id-ordered batches.
 */
import type { Cache } from '../../ports/cache.js';
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import type { ReadModel } from './catalog.types.js';
import { createReadModelRepository, type RangedTable } from './read-model.repository.js';

/** The cache key whose value the read API includes in its cache keys. */
export const READ_MODEL_VERSION_KEY = 'catalog:rm-version';
const VERSION_TTL = 30 * 24 * 3600;

export interface ReadModelDeps {
  sql: Sql;
  cache: Cache;
  /** Films per rebuild batch. */
  batchSize?: number;
  /** Smallest cold rebuild that drops and rebuilds the secondary indexes (default 20,000 films). */
  bulkMinFilms?: number;
}

/**
 * Projections run one at a time: each takes this transaction-scoped lock first, so a projection
 * computed from an older snapshot can never overwrite a newer one (READ COMMITTED upserts would
 * otherwise let a slow handler win).
 */
const locked = async (db: SqlExecutor) => {
  const repo = createReadModelRepository(db);
  await repo.lock();
  return repo;
};

/**
 * Rebuild batches cover disjoint id ranges and read only the content tables, so two may run at
 * once: they share the lock, and a projection (exclusive) waits for both.
 */
const lockedShared = async (db: SqlExecutor) => {
  const repo = createReadModelRepository(db);
  await repo.lockShared();
  return repo;
};

/**
 * A rebuild into an empty read model of at least this many films builds the secondary indexes
 * after loading the rows (as pg_restore does) instead of updating them row by row.
 */
const BULK_MIN_FILMS = 20_000;
/** catalog.state key recording indexes a bulk rebuild dropped, until they are back. */
export const DROPPED_INDEXES_KEY = 'rebuild:dropped-indexes';

/** Runs `tasks` with at most `width` at a time; rejects with the first failure. */
async function runPool(tasks: readonly (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
}

/** Splits `items` into chunks of `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const uniq = (ids: readonly string[]) => [...new Set(ids.map((i) => i.toLowerCase()))];

export function createReadModel(deps: ReadModelDeps): ReadModel {
  const { sql, cache } = deps;
  const batchSize = deps.batchSize ?? 5000;
  const store = createReadModelRepository(sql);

  /** Films only (no persons); returns the person ids the films showed before and show now. */
  async function upsertFilms(db: SqlExecutor, ids: readonly string[]): Promise<string[]> {
    const repo = createReadModelRepository(db);
    const before = await repo.personIdsOfFilms(ids);
    await repo.upsertFilms(ids);
    await repo.deleteGone('film', ids);
    const after = await repo.personIdsOfFilms(ids);
    return uniq([...before, ...after]);
  }

  async function upsertPersons(db: SqlExecutor, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const repo = createReadModelRepository(db);
    let n = 0;
    for (const part of chunks(ids, batchSize)) {
      n += await repo.upsertPersons(part);
      await repo.deleteGone('person', part);
    }
    return n;
  }

  /**
   * Id ranges ($1, $2] of `table` holding `size` rows each, in id order; the last one is open
   * ended, so rows added while a rebuild runs are not missed.
   */
  async function idRanges(
    table: RangedTable,
    size: number,
  ): Promise<{ lo: string; hi: string; n: number }[]> {
    const bounds = await store.idBounds(table, size);
    let lo = '00000000-0000-0000-0000-000000000000';
    let before = 0;
    return bounds.map(({ hi, r }, i) => {
      const range = {
        lo,
        hi: i === bounds.length - 1 ? 'ffffffff-ffff-ffff-ffff-ffffffffffff' : hi,
        n: r - before,
      };
      lo = hi;
      before = r;
      return range;
    });
  }

  /**
   * Drops the secondary indexes of the read-model tables for a bulk load, recording their
   * definitions first (same transaction), so a crash mid-way leaves what is needed to recreate
   * them: `restoreIndexes` runs at the start of every rebuild and of the etl worker's catch-up.
   */
  async function dropIndexes(): Promise<void> {
    await sql.transaction(async (tx) => {
      const repo = await locked(tx);
      const indexes = await repo.secondaryIndexes();
      if (indexes.length === 0) return;
      await repo.setState(DROPPED_INDEXES_KEY, indexes);
      for (const index of indexes) await repo.dropIndex(index.name);
    });
  }

  /** Recreates indexes a bulk rebuild dropped (after it, or after a crash during it). */
  async function restoreIndexes(width = 1): Promise<void> {
    const dropped = await store.state<{ name: string; def: string }[]>(DROPPED_INDEXES_KEY);
    if (!dropped) return;
    await runPool(
      dropped.map((index) => () => store.createIndex(index)),
      width,
    );
    await store.deleteState(DROPPED_INDEXES_KEY);
  }

  const readModel: ReadModel = {
    async projectFilms(ids, tx) {
      const list = uniq(ids);
      if (list.length === 0) return 0;
      const run = async (db: SqlExecutor) => {
        await locked(db);
        let persons: string[] = [];
        for (const part of chunks(list, batchSize)) persons = persons.concat(await upsertFilms(db, part));
        await upsertPersons(db, uniq(persons));
        return list.length;
      };
      return tx ? run(tx) : sql.transaction(run);
    },

    async removeFilms(ids, tx) {
      return readModel.projectFilms(ids, tx);
    },

    async projectGenres(ids, tx) {
      const list = uniq(ids);
      if (list.length === 0) return 0;
      const run = async (db: SqlExecutor) => {
        const repo = await locked(db);
        await repo.upsertGenres(list);
        await repo.deleteGone('genre', list);
        // Every film that shows (or showed) the genre follows its name.
        for (const part of chunks(await repo.filmsOfGenres(list), batchSize)) await upsertFilms(db, part);
        return list.length;
      };
      return tx ? run(tx) : sql.transaction(run);
    },

    async projectPersons(ids, tx) {
      const list = uniq(ids);
      if (list.length === 0) return 0;
      const run = async (db: SqlExecutor) => {
        const repo = await locked(db);
        // Their films, and everyone else those films show (a film document may be new here).
        let shown: string[] = [];
        for (const part of chunks(await repo.filmsOfPersons(list), batchSize))
          shown = shown.concat(await upsertFilms(db, part));
        await upsertPersons(db, uniq([...list, ...shown]));
        return list.length;
      };
      return tx ? run(tx) : sql.transaction(run);
    },

    async setPoster(filmId, url, tx) {
      const run = async (db: SqlExecutor) => (await locked(db)).setPoster(filmId, url);
      await (tx ? run(tx) : sql.transaction(run));
    },

    async refresh(touched, onProgress) {
      const films = uniq([...touched.films]);
      const genres = uniq([...touched.genres]);
      const persons = uniq([...touched.persons]);
      const total = await store.contentFilmCount();
      if (films.length > 5000 && films.length * 2 > total) return readModel.rebuild(onProgress);
      if (genres.length > 0) {
        await sql.transaction(async (tx) => {
          const repo = await locked(tx);
          await repo.upsertGenres(genres);
          await repo.deleteGone('genre', genres);
        });
      }
      let shown: string[] = [];
      let done = 0;
      onProgress?.(0, films.length);
      for (const part of chunks(films, batchSize)) {
        shown = shown.concat(await sql.transaction(async (tx) => (await locked(tx), upsertFilms(tx, part))));
        done += part.length;
        onProgress?.(done, films.length);
      }
      const allPersons = uniq([...shown, ...persons]);
      for (const part of chunks(allPersons, batchSize))
        await sql.transaction(async (tx) => (await locked(tx), upsertPersons(tx, part)));
      await readModel.bumpVersion();
      return { films: films.length, genres: genres.length, persons: allPersons.length };
    },

    async rebuild(onProgress) {
      await restoreIndexes();
      const { total, empty } = await store.rebuildStart();
      const started = new Date();
      await sql.transaction(async (tx) => (await locked(tx)).upsertAllGenres());
      await store.deleteGone('genre');
      const genreCount = await store.genreCount();

      // Two batches at a time on a server (one core each); PGlite has one connection anyway.
      const width = sql.engine === 'postgres' ? 2 : 1;
      const bulk = empty && total >= (deps.bulkMinFilms ?? BULK_MIN_FILMS);
      if (bulk) await dropIndexes();

      const filmRanges = await idRanges('content.film_work', batchSize);
      const personRanges = await idRanges('content.person', batchSize * 2);
      let done = 0;
      let persons = 0;
      onProgress?.(0, total);
      await runPool(
        [
          ...filmRanges.map(({ lo, hi, n }) => async () => {
            await sql.transaction(async (tx) => (await lockedShared(tx)).upsertFilmRange(lo, hi));
            done += n;
            onProgress?.(Math.min(done, total), total);
          }),
          ...personRanges.map(({ lo, hi, n }) => async () => {
            await sql.transaction(async (tx) => (await lockedShared(tx)).upsertPersonRange(lo, hi));
            persons += n;
          }),
        ],
        width,
      );
      // Rows deleted from the content tables while nobody projected them.
      await store.deleteGone('film');
      await store.deleteGone('person');
      if (bulk) await restoreIndexes(width);
      await store.setState('rebuild', { started: started.toISOString(), films: done, persons, bulk });
      // Every row was just rewritten: set the visibility map and statistics now, or list pages
      // (index-only scans) fetch each row from the heap until autovacuum comes by.
      await store.vacuum();
      await readModel.bumpVersion();
      return { films: done, genres: genreCount, persons };
    },

    async buildIfEmpty() {
      const { total, empty } = await store.rebuildStart();
      return empty && total > 0 ? readModel.rebuild() : null;
    },

    async lagSeconds() {
      // Films edited in the last day whose document is older than the edit (or missing).
      return store.lagSeconds();
    },

    async reconcile() {
      await restoreIndexes();
      const ids = await store.unreconciled();
      for (let i = 0; i < ids.length; i += 2000) await readModel.projectFilms(ids.slice(i, i + 2000));
      if (ids.length > 0) await readModel.bumpVersion();
      return ids.length;
    },

    async bumpVersion() {
      await cache.incr(READ_MODEL_VERSION_KEY, VERSION_TTL);
    },
  };
  return readModel;
}
