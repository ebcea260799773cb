/** Which films of the ugc projection a caller may act on. */
import { forbidden, notFound } from '../../platform/errors.js';
import type { Principal } from '../../platform/security.js';
import { canSee } from '../catalog/index.js';
import type { FilmRepository, FilmRow } from './film.repository.js';

/** The film if `principal` may see it; 404 FILM_NOT_FOUND or 403 FILM_ACCESS_DENIED otherwise. */
export async function requireVisibleFilm(
  films: FilmRepository,
  id: string,
  principal: Principal,
): Promise<FilmRow> {
  const film = await films.get(id);
  if (!film) throw notFound('FILM_NOT_FOUND', `No film ${id}.`);
  if (!canSee(principal, film.access))
    throw forbidden('FILM_ACCESS_DENIED', 'Your subscription does not include this film.');
  return film;
}
