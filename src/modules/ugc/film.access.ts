/** Which films of the ugc projection a caller may act on. */
import type { Principal } from '../../platform/security.js';
import { canSee, catalogErrors } from '../catalog/index.js';
import type { FilmRepository, FilmRow } from './film.repository.js';

/** The film if `principal` may see it; 404 FILM_NOT_FOUND or 403 FILM_ACCESS_DENIED otherwise. */
export async function requireVisibleFilm(
  films: FilmRepository,
  id: string,
  principal: Principal,
): Promise<FilmRow> {
  const film = await films.get(id);
  if (!film) throw catalogErrors.FILM_NOT_FOUND();
  if (!canSee(principal, film.access)) throw catalogErrors.FILM_ACCESS_DENIED();
  return film;
}
