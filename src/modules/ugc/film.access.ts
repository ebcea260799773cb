/** Which films of the ugc projection a caller may act on. */
import { requireUser, type Principal } from '../../platform/security.js';
import { canSee, catalogErrors, visibleLevels } from '../catalog/index.js';
import type { FilmRepository, FilmRow, OwnFilmsPage } from './film.repository.js';

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

/** Page `pageNumber` of the signed-in `principal`'s own films, of those they may see; 401 for a guest. */
export function ownPage(principal: Principal, pageNumber: number, pageSize: number): OwnFilmsPage {
  requireUser(principal);
  return {
    userId: principal.userId,
    access: visibleLevels(principal),
    limit: pageSize,
    offset: (pageNumber - 1) * pageSize,
  };
}
