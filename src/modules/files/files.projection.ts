/** files.film (id, access level) as a projection of the content module's film facts. */
import { createProjection, type Projection, type ProjectionDeps } from '../../platform/projection.js';
import { filmFactSource } from '../catalog/index.js';
import type { FilesRepository } from './files.repository.js';

export const FILES_FILMS_GROUP = 'files.films';

export function createFilmProjection(deps: ProjectionDeps & { repo: FilesRepository }): Projection {
  const { repo } = deps;
  return createProjection(deps, {
    group: FILES_FILMS_GROUP,
    subject: 'content.>',
    on: {
      'content.film.upserted': (e, tx) => repo.upsertFilms(tx, [e.film]),
      'content.film.deleted': (e, tx) => repo.deleteFilm(tx, e.filmId),
      // Events from before bulk events carried facts have none; the start backfill covers them.
      'content.films.bulk_changed': (e, tx) => repo.upsertFilms(tx, e.films ?? []),
    },
    backfill: { source: filmFactSource(deps.sql), apply: (tx, rows) => repo.upsertFilms(tx, rows) },
  });
}
