/** ugc.film as a projection of the content module's film facts (see platform/projection.ts). */
import { createProjection, type Projection, type ProjectionDeps } from '../../platform/projection.js';
import { filmFactSource } from '../catalog/index.js';
import type { FilmRepository } from './film.repository.js';

export const FILMS_GROUP = 'ugc.films';

export function createFilmProjection(deps: ProjectionDeps & { films: FilmRepository }): Projection {
  const { films } = deps;
  return createProjection(deps, {
    group: FILMS_GROUP,
    subject: 'content.>',
    on: {
      'content.film.upserted': (e, tx) => films.upsert(tx, [e.film]),
      'content.film.deleted': (e, tx) => films.remove(tx, e.filmId),
      // Events from before bulk events carried facts have none; the start backfill covers them.
      'content.films.bulk_changed': (e, tx) => films.upsert(tx, e.films ?? []),
    },
    backfill: { source: filmFactSource(deps.sql), apply: (tx, rows) => films.upsert(tx, rows) },
  });
}
