/**
 * The catalog module's public contract: the read model other modules (etl, the import command)
 * keep in step with the content tables.
 */
import type { SqlExecutor } from '../../ports/sql.js';

/** Maintains the catalog read model (catalog.film/genre/person) from the content tables (ADR 0010). */
export interface ReadModel {
  /** Re-projects these films (missing ones are removed). Runs on `tx` when given. */
  projectFilms(ids: readonly string[], tx?: SqlExecutor): Promise<number>;
  removeFilms(ids: readonly string[], tx?: SqlExecutor): Promise<number>;
  /** Re-projects these genres (missing ones are removed). */
  projectGenres(ids: readonly string[], tx?: SqlExecutor): Promise<number>;
  /** Re-projects these persons with their film lists (missing ones are removed). */
  projectPersons(ids: readonly string[], tx?: SqlExecutor): Promise<number>;
  /** Sets a film's poster URL (files.poster.changed). */
  setPoster(filmId: string, url: string | null, tx?: SqlExecutor): Promise<void>;
  /**
   * Re-projects what an import touched: genre and person documents by id, films with their
   * persons. Falls back to `rebuild` when most of the catalogue was touched.
   */
  refresh(
    touched: { films: Iterable<string>; genres: Iterable<string>; persons: Iterable<string> },
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ films: number; genres: number; persons: number }>;
  /** Rebuilds the whole read model from the content tables, in batches. */
  rebuild(
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ films: number; genres: number; persons: number }>;
  /**
   * Rebuilds when the read model holds no film and the content tables hold some (the first start
   * after content's demo seed); null when there was nothing to do.
   */
  buildIfEmpty(): Promise<{ films: number; genres: number; persons: number } | null>;
  /** Seconds between the oldest content change not yet projected and now (0 when in step). */
  lagSeconds(): Promise<number>;
  /**
   * Re-projects films whose document is missing, older than the content row, or left over from a
   * deleted film (catch-up after the etl worker was down). Returns how many it re-projected.
   */
  reconcile(): Promise<number>;
  /** Bumps the cache version key the read API includes in its cache keys. */
  bumpVersion(): Promise<void>;
}

/** The catalog module's public service (`ctx.services.get('catalog')`): its read side. */
export interface CatalogService {
  readModel: ReadModel;
}
