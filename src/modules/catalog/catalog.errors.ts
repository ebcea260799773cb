/**
 * The catalog's error codes: the edited catalogue and the read API. FILM_NOT_FOUND and
 * FILM_ACCESS_DENIED are every module's answer about a film, so others throw them from here.
 */
import { defineErrors, type ErrorCode } from '../../platform/errors.js';

export const catalogErrors = defineErrors({
  FILM_NOT_FOUND: { status: 404, message: 'There is no film with this id.' },
  GENRE_NOT_FOUND: { status: 404, message: 'There is no genre with this id.' },
  PERSON_NOT_FOUND: { status: 404, message: 'There is no person with this id.' },
  FILM_ACCESS_DENIED: { status: 403, message: 'Your subscription does not include this film.' },
  FILM_EXISTS: { status: 409, message: 'A film with this id exists.' },
  GENRE_EXISTS: { status: 409, message: 'A genre with this id exists.' },
  PERSON_EXISTS: { status: 409, message: 'A person with this id exists.' },
  GENRE_NAME_TAKEN: { status: 409, message: 'A genre with this name already exists.' },
  VERSION_CONFLICT: { status: 409, message: 'This was changed by someone else; reload and retry.' },
  SEARCH_RATE_LIMITED: {
    status: 429,
    message: 'Too many new searches from this caller; repeat searches are still answered. Slow down.',
  },
});

export type CatalogErrorCode = ErrorCode<typeof catalogErrors>;
