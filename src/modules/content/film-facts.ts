/**
 * The film facts contract: what the content module tells other modules about every film, as
 * events (`content.film.*`, `content.films.bulk_changed`) and as a source their projections
 * backfill from. The source reads the content tables through content's own repository, so it
 * works wherever the database is reachable, also in a process that runs neither the content nor
 * the catalog module (`kino serve files`): see docs/adr/0005-film-facts-projections.md.
 */
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import type { EventMap } from '../../platform/events.js';
import {
  createProjection,
  type FactSource,
  type Projection,
  type ProjectionDeps,
} from '../../platform/projection.js';
import type { FilmFacts } from './content.events.js';
import { createContentRepository } from './content.repository.js';

/** A module's own copy of film facts (its repository, on the transaction it is given). */
export interface FilmFactsCopy {
  /** Stores the facts of each film unless the copy already holds a newer version of it. */
  upsertFilms(films: readonly FilmFacts[]): Promise<unknown>;
  deleteFilm(filmId: string): Promise<unknown>;
}

export function filmFactSource(sql: Sql): FactSource<FilmFacts> {
  const content = createContentRepository(sql);
  return {
    mark: () => content.filmFactsMark(),
    page: (after, limit) => content.filmFactsPage(after, limit),
  };
}

/**
 * A module's copy of the film facts as a projection under the consumer group `group`: content's
 * film events and the fact source applied to the copy `copyOn(tx)` gives. `onUpserted` runs after
 * a film's upsert, in its transaction.
 */
export function filmFactsProjection(
  deps: ProjectionDeps,
  group: string,
  copyOn: (tx: SqlExecutor) => FilmFactsCopy,
  onUpserted?: (payload: EventMap['content.film.upserted'], tx: SqlExecutor) => Promise<unknown>,
): Projection {
  return createProjection(deps, {
    group,
    subject: 'content.>',
    on: {
      'content.film.upserted': async (e, tx) => {
        await copyOn(tx).upsertFilms([e.film]);
        await onUpserted?.(e, tx);
      },
      'content.film.deleted': (e, tx) => copyOn(tx).deleteFilm(e.filmId),
      // Events from before bulk events carried facts have none; the start backfill covers them.
      'content.films.bulk_changed': (e, tx) => copyOn(tx).upsertFilms(e.films ?? []),
    },
    backfill: { source: filmFactSource(deps.sql), apply: (tx, rows) => copyOn(tx).upsertFilms(rows) },
  });
}
