/**
 * Test data for the catalog read API: rows written straight into the read model (catalog.*) in
 * the shape the read-model writer produces, plus fixed access tokens for each role.
 */
import { randomUUID } from 'node:crypto';
import type { Cache } from '../../src/ports/cache.js';
import type { Sql } from '../../src/ports/sql.js';
import type { Principal, TokenVerifier } from '../../src/platform/security.js';
import { platformErrors } from '../../src/platform/errors.js';
import type { TestKino } from '../helpers/kino.js';

export type Access = 'FREE' | 'PAID' | 'ARCHIVED';

export interface GenreRow {
  id: string;
  name: string;
}
export interface PersonRow {
  id: string;
  full_name: string;
}
export interface FilmSpec {
  id?: string;
  title: string;
  description?: string | null;
  rating?: number | null;
  access?: Access;
  genres?: GenreRow[];
  actors?: PersonRow[];
  writers?: PersonRow[];
  directors?: PersonRow[];
  posterUrl?: string | null;
}
export interface FilmRow {
  id: string;
  title: string;
  rating: number | null;
  access: Access;
}

/** Writes read-model rows; `bump()` advances the read-model version as the writer does. */
export function readModelFixtures(sql: Sql, cache?: Cache) {
  const personFilms = new Map<
    string,
    { uuid: string; roles: string[]; title: string; imdb_rating: number | null; access: Access }[]
  >();
  return {
    async genre(name: string, id: string = randomUUID()): Promise<GenreRow> {
      await sql.execute('INSERT INTO catalog.genre (id, name) VALUES ($1, $2)', [id, name]);
      return { id, name };
    },

    async person(full_name: string, id: string = randomUUID()): Promise<PersonRow> {
      await sql.execute('INSERT INTO catalog.person (id, full_name) VALUES ($1, $2)', [id, full_name]);
      personFilms.set(id, []);
      return { id, full_name };
    },

    async film(spec: FilmSpec): Promise<FilmRow> {
      const id = spec.id ?? randomUUID();
      const access = spec.access ?? 'FREE';
      const rating = spec.rating === undefined ? 5 : spec.rating;
      const genres = spec.genres ?? [];
      const roles: [string, PersonRow[]][] = [
        ['actor', spec.actors ?? []],
        ['writer', spec.writers ?? []],
        ['director', spec.directors ?? []],
      ];
      const ref = (p: PersonRow) => ({ uuid: p.id, full_name: p.full_name });
      const document = {
        uuid: id,
        title: spec.title,
        imdb_rating: rating,
        description: spec.description ?? null,
        type: access,
        genre: genres.map((g) => ({ uuid: g.id, name: g.name })),
        actors: (spec.actors ?? []).map(ref),
        writers: (spec.writers ?? []).map(ref),
        directors: (spec.directors ?? []).map(ref),
      };
      const people = new Map<string, PersonRow>();
      for (const [, list] of roles) for (const p of list) people.set(p.id, p);
      await sql.execute(
        `INSERT INTO catalog.film (id, title, description, imdb_rating, access, film_type, genre_ids, person_ids,
           genre_names, person_names, document, poster_url, version)
         VALUES ($1, $2, $3, $4, $5, 'movie', $6::uuid[], $7::uuid[], $8, $9, $10::jsonb, $11, 1)`,
        [
          id,
          spec.title,
          spec.description ?? null,
          rating,
          access,
          genres.map((g) => g.id),
          [...people.keys()],
          genres.map((g) => g.name).join(' '),
          [...people.values()].map((p) => p.full_name).join(' '),
          JSON.stringify(document),
          spec.posterUrl ?? null,
        ],
      );
      for (const person of people.values()) {
        const films = personFilms.get(person.id) ?? [];
        films.push({
          uuid: id,
          roles: roles.filter(([, list]) => list.some((p) => p.id === person.id)).map(([role]) => role),
          title: spec.title,
          imdb_rating: rating,
          access,
        });
        personFilms.set(person.id, films);
        await sql.execute('UPDATE catalog.person SET films = $2::jsonb WHERE id = $1', [
          person.id,
          JSON.stringify(films),
        ]);
      }
      return { id, title: spec.title, rating, access };
    },

    /** What the read-model writer does after each change. */
    async bump(): Promise<void> {
      await cache?.incr('catalog:rm-version', 3600);
    },
  };
}

const principal = (role: string, permissions: string[]): Principal => ({
  kind: 'user',
  userId: randomUUID(),
  sessionId: randomUUID(),
  login: role.toLowerCase(),
  roles: [role],
  permissions: new Set(permissions),
});

/** Fixed bearer tokens for each role of docs/modules/auth.md. */
export const TOKENS = {
  unsub: 'unsub-user-token',
  sub: 'sub-user-token',
  admin: 'admin-token',
} as const;

const PRINCIPALS: Record<string, Principal> = {
  [TOKENS.unsub]: principal('UNSUB_USER', ['FREE_FILMS']),
  [TOKENS.sub]: principal('SUB_USER', ['PAID_FILMS', 'FREE_FILMS']),
  [TOKENS.admin]: principal('ADMIN', ['CRUD_ROLE', 'ASSIGN_ROLE', 'FREE_FILMS', 'PAID_FILMS', 'CRUD_FILMS']),
};

/** A verifier that knows only TOKENS: `createTestKino({ tokens: testTokens })`. */
export const testTokens: TokenVerifier = {
  async verify(token) {
    const found = PRINCIPALS[token];
    if (!found) throw platformErrors.TOKEN_INVALID();
    return found;
  },
};

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * The same helpers over the real write side: the content service records the change, the etl
 * worker projects it (`modules: ['catalog', 'etl']`), and each call returns once the read model
 * shows it.
 */
export function contentFixtures(kino: TestKino): ReturnType<typeof readModelFixtures> {
  const content = kino.kernel.services.require('content');
  const { readModel } = kino.kernel.services.require('catalog');
  const sql = kino.kernel.engines.sql;
  const actor = { id: null, login: 'test' };
  const shows = async (check: string, params: unknown[]) => {
    await kino.settle();
    if ((await sql.query(check, params)).length === 0)
      throw new Error(`the read model does not show the change once the etl caught up: ${check}`);
  };
  return {
    async genre(name, id) {
      const genre = await content.createGenre({ name }, actor, id);
      await shows('SELECT 1 FROM catalog.genre WHERE id = $1 AND name = $2', [genre.id, name]);
      return { id: genre.id, name };
    },
    async person(full_name, id) {
      const person = await content.createPerson({ full_name }, actor, id);
      await shows('SELECT 1 FROM catalog.person WHERE id = $1 AND full_name = $2', [person.id, full_name]);
      return { id: person.id, full_name };
    },
    async film(spec) {
      const access = spec.access ?? 'FREE';
      const rating = spec.rating === undefined ? 5 : spec.rating;
      const persons = [
        ...(spec.actors ?? []).map((p) => ({ person_id: p.id, role: 'actor' as const })),
        ...(spec.writers ?? []).map((p) => ({ person_id: p.id, role: 'writer' as const })),
        ...(spec.directors ?? []).map((p) => ({ person_id: p.id, role: 'director' as const })),
      ];
      const film = await content.createFilm(
        {
          title: spec.title,
          description: spec.description ?? null,
          rating,
          access,
          genre_ids: (spec.genres ?? []).map((g) => g.id),
          persons,
        },
        actor,
        spec.id,
      );
      if (spec.posterUrl) await readModel.setPoster(film.id, spec.posterUrl);
      await shows('SELECT 1 FROM catalog.film WHERE id = $1 AND version = $2', [film.id, film.version]);
      if (persons.length > 0) {
        await shows(
          `SELECT 1 FROM catalog.person WHERE id = $1 AND films @> jsonb_build_array(jsonb_build_object('uuid', $2::text))`,
          [persons.at(-1)!.person_id, film.id],
        );
      }
      return { id: film.id, title: spec.title, rating, access };
    },
    async bump() {
      await readModel.bumpVersion();
    },
  };
}
