/**
 * Events the content write model publishes (through the outbox) whenever the edited catalogue
 * changes. The etl module builds the catalog read model from them; other modules (ugc, files,
 * notifications) keep their own small projections of films from them.
 */
export type AccessLevel = 'FREE' | 'PAID' | 'ARCHIVED';
export type FilmType = 'movie' | 'tv_show';
export type PersonRole = 'actor' | 'director' | 'writer';

/** The state of a film after a change, as consumers outside the content module see it. */
export interface FilmSnapshot {
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  readonly creation_date: string | null;
  readonly rating: number | null;
  readonly type: FilmType;
  readonly access: AccessLevel;
  readonly genre_ids: readonly string[];
  readonly person_ids: readonly string[];
  readonly version: number;
  readonly modified: string;
}

/**
 * What other modules keep of a film (ugc, files): enough to check who may see it and to show it
 * in lists. Bulk events carry these, and projections backfill from them (see film-facts.ts).
 */
export type FilmFacts = Pick<FilmSnapshot, 'id' | 'title' | 'rating' | 'access' | 'genre_ids' | 'version'>;

declare module '../../platform/events.js' {
  interface EventMap {
    /** A film was created (`previous` null) or changed, including its genres and persons. */
    'content.film.upserted': { film: FilmSnapshot; previous: { access: AccessLevel; title: string } | null };
    'content.film.deleted': { filmId: string };
    /** A genre was created or renamed: every film that shows it must follow. */
    'content.genre.upserted': { genre: { id: string; name: string; description: string | null } };
    'content.genre.deleted': { genreId: string; filmIds: readonly string[] };
    'content.person.upserted': { person: { id: string; full_name: string } };
    'content.person.deleted': { personId: string; filmIds: readonly string[] };
    /**
     * Many films changed at once (import, bulk edit): their ids, and each one's facts after the
     * change, so projections apply them without asking back (events written before the facts
     * were added lack `films`; the start-time backfill covers those).
     */
    'content.films.bulk_changed': { filmIds: readonly string[]; films: readonly FilmFacts[] };
  }
}
