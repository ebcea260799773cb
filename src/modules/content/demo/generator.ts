/**
 * A deterministic demo catalogue: the same `seed` always gives the same films, genres, persons
 * and links (ids included), in Russian and English, with all three access levels. Rows are
 * written with set-based bulk inserts (unnest of arrays), a few thousand films per statement,
 * so benchmarks can create 100k films in seconds.
 */
import type { Sql } from '../../../ports/sql.js';
import * as w from './words.js';
import { createDemoRepository } from './demo.repository.js';

export interface GenerateOptions {
  films: number;
  persons: number;
  genres: number;
  seed: number;
  /**
   * Actors per film, drawn uniformly from [min, max] (default 3–8). Each film also gets one
   * director and one or two writers, so the default averages about 8 person links per film.
   */
  actors?: { min: number; max: number };
  /** Films per insert batch. */
  batchSize?: number;
  onProgress?: (films: number, total: number) => void;
}

export interface GeneratedCounts {
  films: number;
  genres: number;
  persons: number;
  genreLinks: number;
  personLinks: number;
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function uuidFrom(rand: () => number): string {
  const b = new Array<number>(16);
  for (let i = 0; i < 16; i += 4) {
    const n = Math.floor(rand() * 4294967296);
    b[i] = n & 0xff;
    b[i + 1] = (n >>> 8) & 0xff;
    b[i + 2] = (n >>> 16) & 0xff;
    b[i + 3] = (n >>> 24) & 0xff;
  }
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]!);
  return `${h.slice(0, 4).join('')}-${h.slice(4, 6).join('')}-${h.slice(6, 8).join('')}-${h.slice(8, 10).join('')}-${h.slice(10).join('')}`;
}

export interface DemoFilm {
  id: string;
  title: string;
  description: string;
  creation_date: string;
  rating: number | null;
  type: 'movie' | 'tv_show';
  access: 'FREE' | 'PAID' | 'ARCHIVED';
  genres: number[];
  persons: { index: number; role: 'actor' | 'director' | 'writer' }[];
}

/** The pure part: what the catalogue contains, without a database. */
export function demoData(options: GenerateOptions) {
  const rand = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const genres = Array.from({ length: options.genres }, (_, i) => {
    const [name, description] = w.GENRES[i % w.GENRES.length]!;
    const round = Math.floor(i / w.GENRES.length);
    return { id: uuidFrom(rand), name: round === 0 ? name : `${name} ${round + 1}`, description };
  });
  const persons = Array.from({ length: options.persons }, () => {
    if (rand() < 0.45) {
      const [first, sex] = pick(w.FIRST_RU);
      const [male, female] = pick(w.LAST_RU);
      return { id: uuidFrom(rand), full_name: `${first} ${sex === 'm' ? male : female}` };
    }
    const middle = rand() < 0.3 ? ` ${String.fromCharCode(65 + Math.floor(rand() * 26))}.` : '';
    return { id: uuidFrom(rand), full_name: `${pick(w.FIRST_EN)}${middle} ${pick(w.LAST_EN)}` };
  });
  // Popular persons appear in many films: skew the pick towards the start of the list.
  const personIndex = () => Math.floor(options.persons * rand() ** 1.6);
  const fill = (template: string, parts: Record<string, readonly string[]>) =>
    template.replace(/\{(\w+)\}/g, (_, k: string) => pick(parts[k] ?? ['']));

  function film(): DemoFilm {
    const russian = rand() < 0.45;
    let title: string;
    if (russian) title = `${pick(w.RU_HEAD)} ${pick(w.RU_GENITIVE)}`;
    else {
      const form = rand();
      title =
        form < 0.4
          ? `The ${pick(w.EN_ADJ)} ${pick(w.EN_NOUN)}`
          : form < 0.7
            ? `${pick(w.EN_NOUN)} of ${pick(w.EN_PLACE)}`
            : `${pick(w.EN_ADJ)} ${pick(w.EN_NOUN)}`;
    }
    if (rand() < 0.12) title += ` ${2 + Math.floor(rand() * 3)}`;
    const description = russian
      ? fill(pick(w.RU_PLOT), {
          who: w.RU_WHO,
          goal: w.RU_GOAL,
          deadline: w.RU_DEADLINE,
          event: w.RU_EVENT,
          secret: w.RU_SECRET,
        }).replace(/^./, (c) => c.toUpperCase())
      : fill(pick(w.EN_PLOT), {
          who: w.EN_WHO,
          goal: w.EN_GOAL,
          deadline: w.EN_DEADLINE,
          event: w.EN_EVENT,
          secret: w.EN_SECRET,
        });
    const year = 1950 + Math.floor(rand() ** 0.6 * 76);
    const month = 1 + Math.floor(rand() * 12);
    const day = 1 + Math.floor(rand() * 28);
    const r = rand();
    const rating =
      r < 0.05
        ? null
        : Math.round(Math.min(10, Math.max(1, 6.6 + (rand() + rand() + rand() - 1.5) * 3)) * 10) / 10;
    const a = rand();
    const genreCount = Math.min(options.genres, 1 + Math.floor(rand() * 3));
    const genreSet = new Set<number>();
    while (genreSet.size < genreCount) genreSet.add(Math.floor(rand() ** 1.3 * options.genres));
    const people: DemoFilm['persons'] = [];
    if (options.persons > 0) {
      const seen = new Set<string>();
      const add = (role: 'actor' | 'director' | 'writer') => {
        const index = personIndex();
        const key = `${index}:${role}`;
        if (!seen.has(key)) {
          seen.add(key);
          people.push({ index, role });
        }
      };
      add('director');
      const writers = 1 + Math.floor(rand() * 2);
      for (let i = 0; i < writers; i++) add('writer');
      const { min, max } = options.actors ?? { min: 3, max: 8 };
      const actors = min + Math.floor(rand() * (max - min + 1));
      for (let i = 0; i < actors; i++) add('actor');
    }
    return {
      id: uuidFrom(rand),
      title,
      description,
      creation_date: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      rating,
      type: rand() < 0.85 ? 'movie' : 'tv_show',
      access: a < 0.6 ? 'FREE' : a < 0.9 ? 'PAID' : 'ARCHIVED',
      genres: [...genreSet],
      persons: people,
    };
  }
  return { genres, persons, film };
}

/** Writes a generated catalogue into the content tables (no events: call a read-model rebuild after). */
export async function generateCatalog(sql: Sql, options: GenerateOptions): Promise<GeneratedCounts> {
  const batchSize = options.batchSize ?? 5000;
  const { genres, persons, film } = demoData(options);
  const demo = createDemoRepository(sql);
  const superuser = await demo.isSuperuser();
  await demo.insertGenres(genres);
  // A genre name that already exists keeps its row: link films to that one.
  const existing = await demo.genresByLowerName(genres.map((g) => g.name.toLowerCase()));
  const genreIds = new Map(existing.map((g) => [g.name, g.id]));
  const genreId = (i: number) => genreIds.get(genres[i]!.name.toLowerCase()) ?? genres[i]!.id;
  for (let i = 0; i < persons.length; i += batchSize * 4)
    await demo.insertPersons(persons.slice(i, i + batchSize * 4));
  let genreLinks = 0;
  let personLinks = 0;
  let done = 0;
  options.onProgress?.(0, options.films);
  while (done < options.films) {
    const films = Array.from({ length: Math.min(batchSize, options.films - done) }, film);
    const gl = films.flatMap((f) => f.genres.map((g) => [f.id, genreId(g)] as const));
    const pl = films.flatMap((f) => f.persons.map((p) => [f.id, persons[p.index]!.id, p.role] as const));
    await sql.transaction(async (tx) => {
      const batch = createDemoRepository(tx);
      // The rows are consistent by construction: skip the per-row foreign-key triggers, which
      // cost more than the inserts themselves (needs a superuser; otherwise they stay on).
      if (superuser) await batch.skipForeignKeyTriggers();
      await batch.insertFilms(films);
      await batch.insertGenreLinks(gl);
      await batch.insertPersonLinks(pl);
    });
    genreLinks += gl.length;
    personLinks += pl.length;
    done += films.length;
    options.onProgress?.(done, options.films);
  }
  return { films: options.films, genres: genres.length, persons: persons.length, genreLinks, personLinks };
}
