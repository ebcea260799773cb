/** ugc.film as a projection of the content module's film facts (see platform/projection.ts). */
import type { SqlExecutor } from '../../ports/sql.js';
import { createProjection, type Projection, type ProjectionDeps } from '../../platform/projection.js';
import { filmFactSource } from '../content/index.js';
import { createFilmRepository } from './film.repository.js';

export const FILMS_GROUP = 'ugc.films';

export function createFilmProjection(deps: ProjectionDeps): Projection {
  const films = (tx: SqlExecutor) => createFilmRepository(tx);
  return createProjection(deps, {
    group: FILMS_GROUP,
    subject: 'content.>',
    on: {
      'content.film.upserted': (e, tx) => films(tx).upsert([e.film]),
      'content.film.deleted': (e, tx) => films(tx).remove(e.filmId),
      // Events from before bulk events carried facts have none; the start backfill covers them.
      'content.films.bulk_changed': (e, tx) => films(tx).upsert(e.films ?? []),
    },
    backfill: { source: filmFactSource(deps.sql), apply: (tx, rows) => films(tx).upsert(rows) },
  });
}
