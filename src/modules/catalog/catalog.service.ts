/**
 * The catalog query service: what the public read API answers, transport-free. Rules live here
 * (paging, search retries; who sees which access level is access.ts); SQL lives in catalog.repository.ts.
 */
import { catalogErrors } from './catalog.errors.js';
import type { CatalogCache } from './catalog.cache.js';
import type {
  CatalogRepository,
  FilmListItem,
  FilmDocumentRow,
  FilmSort,
  Genre,
  PageRows,
  PersonDocumentRow,
  Window,
} from './catalog.repository.js';
import type { FilmDetail, PersonDetail } from './catalog.schemas.js';
import type { AccessLevel } from '../content/index.js';
import { switchLayout } from './search-layout.js';
import { buildPlan, hasPositiveTerm, parseQuery, typoCandidates, type SearchPlan } from './search.js';

export interface Page<T> {
  items: T[];
  total: number;
}

export interface PageRequest {
  page_number: number;
  page_size: number;
}

/** Offsets past this answer an empty page without asking the database. */
const MAX_OFFSET = 10_000_000;

/** Throws FILM_ACCESS_DENIED (403) unless `level` is among the caller's `levels`. */
export function assertVisible(level: AccessLevel, levels: readonly AccessLevel[]): void {
  if (!levels.includes(level)) {
    throw catalogErrors.FILM_ACCESS_DENIED(level === 'PAID' ? {} : { detail: 'This film is not available.' });
  }
}

const windowOf = (page: PageRequest): Window => ({
  limit: page.page_size,
  offset: (page.page_number - 1) * page.page_size,
});

/** The detail response from a read-model row; the access column is authoritative for `type`. */
export function toFilmDetail(record: FilmDocumentRow): FilmDetail {
  const d = record.document;
  return {
    uuid: d.uuid,
    title: d.title,
    imdb_rating: d.imdb_rating ?? null,
    description: d.description ?? null,
    creation_date: typeof d.creation_date === 'string' ? d.creation_date : null,
    type: record.access,
    genre: d.genre ?? [],
    actors: d.actors ?? [],
    writers: d.writers ?? [],
    directors: d.directors ?? [],
    poster_url: record.poster_url ?? null,
  };
}

function toPersonDetail(person: PersonDocumentRow, levels: readonly AccessLevel[]): PersonDetail {
  return {
    uuid: person.uuid,
    full_name: person.full_name,
    films: (person.films ?? [])
      .filter((f) => levels.includes(f.access))
      .map((f) => ({ uuid: f.uuid, roles: f.roles ?? [] })),
  };
}

export interface CatalogQueryDeps {
  repository: CatalogRepository;
  /** Remembers totals between pages. */
  cache: CatalogCache;
}

export type CatalogQueryService = ReturnType<typeof createCatalogQueryService>;

export function createCatalogQueryService({ repository, cache }: CatalogQueryDeps) {
  const remembered = async (kind: string, parts: readonly unknown[], count: () => Promise<number>) =>
    Number(await cache.remember(kind, parts, async () => String(await count())));

  /**
   * Runs a search: typo corrections from the vocabulary, then one indexed query; the total comes
   * with the rows, or from a count when the page is past the end.
   */
  async function searchOnce<T>(
    text: string,
    page: PageRequest,
    run: (plan: SearchPlan, window: Window) => Promise<PageRows<T>>,
    count: (plan: SearchPlan) => Promise<number>,
  ): Promise<Page<T>> {
    const query = parseQuery(text);
    if (!hasPositiveTerm(query)) return { items: [], total: 0 };
    const plan = buildPlan(query, await repository.nearestWords(typoCandidates(query)));
    const window = windowOf(page);
    if (window.offset > MAX_OFFSET) return { items: [], total: await count(plan) };
    const { rows, total } = await run(plan, window);
    if (total !== null) return { items: rows, total };
    return { items: [], total: window.offset > 0 ? await count(plan) : 0 };
  }

  /** A query that finds nothing is retried as if typed in the other keyboard layout. */
  async function search<T>(
    text: string,
    page: PageRequest,
    run: (plan: SearchPlan, window: Window) => Promise<PageRows<T>>,
    count: (plan: SearchPlan) => Promise<number>,
  ): Promise<Page<T>> {
    const first = await searchOnce(text, page, run, count);
    if (first.total > 0) return first;
    const switched = switchLayout(text);
    return switched === null ? first : searchOnce(switched, page, run, count);
  }

  return {
    async listFilms(
      filter: { sort: FilmSort; genres: readonly string[] },
      page: PageRequest,
      levels: readonly AccessLevel[],
    ): Promise<Page<FilmListItem>> {
      const genres = [...new Set(filter.genres.map((g) => g.toLowerCase()))].sort();
      const total = await remembered('film-count', [levels, genres], () =>
        repository.countFilms({ access: levels, genres }),
      );
      const window = windowOf(page);
      if (window.offset >= total) return { items: [], total };
      const items = await repository.listFilms({ access: levels, genres, sort: filter.sort }, window);
      return { items, total };
    },

    async searchFilms(
      text: string,
      page: PageRequest,
      levels: readonly AccessLevel[],
    ): Promise<Page<FilmListItem>> {
      return search(
        text,
        page,
        (plan, window) => repository.searchFilms(plan, levels, window),
        (plan) => repository.countSearchFilms(plan, levels),
      );
    },

    /** The film whatever its access level (callers check it with assertVisible). */
    async film(id: string): Promise<FilmDetail> {
      const record = await repository.filmById(id);
      if (!record) throw catalogErrors.FILM_NOT_FOUND();
      return toFilmDetail(record);
    },

    async genres(page: PageRequest | null): Promise<Page<Genre>> {
      if (!page) {
        const items = await repository.listGenres(null);
        return { items, total: items.length };
      }
      const total = await remembered('genre-count', [], () => repository.countGenres());
      const window = windowOf(page);
      return { items: window.offset >= total ? [] : await repository.listGenres(window), total };
    },

    async genre(id: string): Promise<Genre> {
      const genre = await repository.genreById(id);
      if (!genre) throw catalogErrors.GENRE_NOT_FOUND();
      return genre;
    },

    async searchPersons(
      text: string,
      page: PageRequest,
      levels: readonly AccessLevel[],
    ): Promise<Page<PersonDetail>> {
      const found = await search(
        text,
        page,
        (plan, window) => repository.searchPersons(plan, window),
        (plan) => repository.countSearchPersons(plan),
      );
      return { items: found.items.map((p) => toPersonDetail(p, levels)), total: found.total };
    },

    async person(id: string, levels: readonly AccessLevel[]): Promise<PersonDetail> {
      const person = await repository.personById(id);
      if (!person) throw catalogErrors.PERSON_NOT_FOUND();
      return toPersonDetail(person, levels);
    },

    /** The person's films the caller may see, best rated first. */
    async personFilms(id: string, levels: readonly AccessLevel[]): Promise<FilmListItem[]> {
      const person = await repository.personById(id);
      if (!person) throw catalogErrors.PERSON_NOT_FOUND();
      return (person.films ?? [])
        .filter((f) => levels.includes(f.access))
        .sort(
          (a, b) =>
            (b.imdb_rating ?? -Infinity) - (a.imdb_rating ?? -Infinity) ||
            a.title.localeCompare(b.title) ||
            a.uuid.localeCompare(b.uuid),
        )
        .map(({ uuid, title, imdb_rating }) => ({ uuid, title, imdb_rating: imdb_rating ?? null }));
    },
  };
}
