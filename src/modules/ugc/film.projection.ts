/** ugc.film as a projection of the content module's film facts (see platform/projection.ts). */
import type { Projection, ProjectionDeps } from '../../platform/projection.js';
import { filmFactsProjection } from '../content/index.js';
import { createFilmRepository } from './film.repository.js';

export const FILMS_GROUP = 'ugc.films';

export function createFilmProjection(deps: ProjectionDeps): Projection {
  return filmFactsProjection(deps, FILMS_GROUP, createFilmRepository);
}
