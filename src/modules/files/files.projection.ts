/** files.film (id, access level) as a projection of the content module's film facts. */
import type { SqlExecutor } from '../../ports/sql.js';
import { createProjection, type Projection, type ProjectionDeps } from '../../platform/projection.js';
import { filmFactSource } from '../content/index.js';
import { createFilesRepository } from './files.repository.js';

export const FILES_FILMS_GROUP = 'files.films';

export function createFilmProjection(deps: ProjectionDeps): Projection {
  const films = (tx: SqlExecutor) => createFilesRepository(tx);
  return createProjection(deps, {
    group: FILES_FILMS_GROUP,
    subject: 'content.>',
    on: {
      'content.film.upserted': (e, tx) => films(tx).upsertFilms([e.film]),
      'content.film.deleted': (e, tx) => films(tx).deleteFilm(e.filmId),
      // Events from before bulk events carried facts have none; the start backfill covers them.
      'content.films.bulk_changed': (e, tx) => films(tx).upsertFilms(e.films ?? []),
    },
    backfill: { source: filmFactSource(deps.sql), apply: (tx, rows) => films(tx).upsertFilms(rows) },
  });
}
