/**
 * notify.film (title, access, genres) as a projection of the content module's film facts (see
 * platform/projection.ts): the genres of the films a user rated 8+ decide which newly free films
 * reach their digest. A film that became FREE starts that workflow in the same transaction.
 */
import type { SqlExecutor } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { createProjection, type Projection, type ProjectionDeps } from '../../platform/projection.js';
import { filmFactSource } from '../content/index.js';
import { queueFilmAvailable } from './notification.triggers.js';
import { createRecipientRepository } from './recipient.repository.js';

/** The consumer group (the one the module's film consumer always had). */
export const FILMS_GROUP = 'notifications.films';
/** `kino worker notifications-films`. */
export const FILMS_WORKER = 'notifications-films';

export interface FilmProjectionDeps extends ProjectionDeps {
  readonly clock: Clock;
}

export function createFilmProjection(deps: FilmProjectionDeps): Projection {
  const films = (tx: SqlExecutor) => createRecipientRepository(tx);
  return createProjection(deps, {
    group: FILMS_GROUP,
    subject: 'content.>',
    on: {
      'content.film.upserted': async (e, tx) => {
        await films(tx).upsertFilms([e.film]);
        // Digests are due at the next 10:00, never now: the delivery loop need not be woken.
        await queueFilmAvailable(e, tx, deps.clock.now());
      },
      'content.film.deleted': (e, tx) => films(tx).deleteFilm(e.filmId),
      // Events from before bulk events carried facts have none; the start backfill covers them.
      'content.films.bulk_changed': (e, tx) => films(tx).upsertFilms(e.films ?? []),
    },
    backfill: { source: filmFactSource(deps.sql), apply: (tx, rows) => films(tx).upsertFilms(rows) },
  });
}
