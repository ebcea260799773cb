/**
 * files.film (id, access level) as a projection of the content module's film facts. A deleted
 * film also loses its video job (its worker stops at the next heartbeat); the package blobs
 * left under `videos/<film>/` are no one's any more, and `kino files gc` removes them.
 */
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import type { Projection, ProjectionDeps } from '../../platform/projection.js';
import { filmFactsProjection } from '../content/index.js';
import { createFilesRepository } from './files.repository.js';
import { createVideoRepository } from './video/video.repository.js';

export const FILES_FILMS_GROUP = 'files.films';

export function createFilmProjection(deps: ProjectionDeps): Projection {
  return filmFactsProjection(deps, FILES_FILMS_GROUP, (tx) => ({
    upsertFilms: (films) => createFilesRepository(tx).upsertFilms(films),
    async deleteFilm(filmId) {
      await createFilesRepository(tx).deleteFilm(filmId);
      const video = await createVideoRepository(tx).remove(filmId);
      if (video) await emit(tx, [event('files.video.removed', filmId, { filmId, jobId: video.id })]);
    },
  }));
}
