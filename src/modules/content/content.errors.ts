/**
 * The content module's error codes: the edited catalogue's. The not-found codes name the films,
 * genres and persons content owns; catalog's read API answers them too and re-exports them with
 * its own (catalog.errors.ts), so ugc and files take every film code from catalog.
 */
import { defineErrors, type ErrorCode } from '../../platform/errors.js';

export const contentErrors = defineErrors({
  FILM_NOT_FOUND: { status: 404, message: 'There is no film with this id.' },
  GENRE_NOT_FOUND: { status: 404, message: 'There is no genre with this id.' },
  PERSON_NOT_FOUND: { status: 404, message: 'There is no person with this id.' },
  FILM_EXISTS: { status: 409, message: 'A film with this id exists.' },
  GENRE_EXISTS: { status: 409, message: 'A genre with this id exists.' },
  PERSON_EXISTS: { status: 409, message: 'A person with this id exists.' },
  GENRE_NAME_TAKEN: { status: 409, message: 'A genre with this name already exists.' },
  VERSION_CONFLICT: { status: 409, message: 'This was changed by someone else; reload and retry.' },
});

export type ContentErrorCode = ErrorCode<typeof contentErrors>;
