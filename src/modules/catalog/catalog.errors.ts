/**
 * The catalog's error codes: the read API's. An unknown film, genre or person answers content's
 * codes (content owns them), re-exported here so a module speaking about films (ugc, files) takes
 * every film code from one place; FILM_ACCESS_DENIED goes with the access rule (access.ts).
 */
import { defineErrors } from '../../platform/errors.js';
import { contentErrors } from '../content/index.js';

export const catalogErrors = Object.freeze({
  FILM_NOT_FOUND: contentErrors.FILM_NOT_FOUND,
  GENRE_NOT_FOUND: contentErrors.GENRE_NOT_FOUND,
  PERSON_NOT_FOUND: contentErrors.PERSON_NOT_FOUND,
  ...defineErrors({
    FILM_ACCESS_DENIED: { status: 403, message: 'Your subscription does not include this film.' },
    SEARCH_RATE_LIMITED: {
      status: 429,
      message: 'Too many new searches from this caller; repeat searches are still answered. Slow down.',
    },
  }),
});

export type CatalogErrorCode = keyof typeof catalogErrors;
