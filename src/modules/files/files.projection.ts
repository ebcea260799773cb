/** files.film (id, access level) as a projection of the content module's film facts. */
import type { Projection, ProjectionDeps } from '../../platform/projection.js';
import { filmFactsProjection } from '../content/index.js';
import { createFilesRepository } from './files.repository.js';

export const FILES_FILMS_GROUP = 'files.films';

export function createFilmProjection(deps: ProjectionDeps): Projection {
  return filmFactsProjection(deps, FILES_FILMS_GROUP, createFilesRepository);
}
