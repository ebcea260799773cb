/**
 * notify.film (title, access, genres) as a projection of the content module's film facts (see
 * platform/projection.ts): the genres of the films a user rated 8+ decide which newly free films
 * reach their digest. A film that became FREE starts that workflow in the same transaction.
 */
import type { Clock } from '../../platform/clock.js';
import type { Projection, ProjectionDeps } from '../../platform/projection.js';
import { filmFactsProjection } from '../content/index.js';
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
  // Digests are due at the next 10:00, never now: the delivery loop need not be woken.
  return filmFactsProjection(deps, FILMS_GROUP, createRecipientRepository, (e, tx) =>
    queueFilmAvailable(e, tx, deps.clock.now()),
  );
}
