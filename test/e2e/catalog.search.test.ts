/** Film and person search: stemming, prefixes, typos, keyboard layout, ranking. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { contentFixtures, type FilmRow, type PersonRow } from './catalog.fixtures.js';

let kino: TestKino;
const f: Record<string, FilmRow> = {};
const p: Record<string, PersonRow> = {};

async function search(query: string, path = '/api/v1/films/search', extra = '') {
  const res = await kino.app.inject({
    method: 'GET',
    url: `${path}?query=${encodeURIComponent(query)}${extra}`,
  });
  expect(res.statusCode, res.body).toBe(200);
  return {
    titles: res.json<{ title?: string; full_name?: string }[]>().map((r) => r.title ?? r.full_name),
    total: Number(res.headers['x-total-count']),
  };
}

beforeAll(async () => {
  kino = await createTestKino({ modules: ['catalog', 'etl'] });
  const fx = contentFixtures(kino);
  const scifi = await fx.genre('Sci-Fi');
  const comedy = await fx.genre('Comedy');
  p.lucas = await fx.person('George Lucas');
  p.connery = await fx.person('Sean Connery');
  p.mikhalkov = await fx.person('Никита Михалков');
  f.starWars = await fx.film({
    title: 'Star Wars',
    description: 'A farm boy joins a rebellion in a distant galaxy.',
    rating: 8.6,
    genres: [scifi],
    directors: [p.lucas],
  });
  f.starWarsV = await fx.film({
    title: 'Star Wars: Episode V',
    description: 'The rebels hide on an ice planet.',
    rating: 8.7,
    genres: [scifi],
    directors: [p.lucas],
  });
  f.documentary = await fx.film({
    title: 'Empire of Dreams',
    description: 'How the star wars saga was made.',
    rating: 9.5,
  });
  f.bond = await fx.film({
    title: 'Bond Returns',
    description: 'A spy in a tuxedo.',
    rating: 7,
    actors: [p.connery],
  });
  f.zvezdnye = await fx.film({
    title: 'Звёздные войны',
    description: 'Далёкая галактика и война за свободу.',
    rating: 8,
  });
  f.privet = await fx.film({
    title: 'Привет, мир',
    description: 'Комедия о программистах.',
    rating: 6,
    genres: [comedy],
  });
  f.sibir = await fx.film({
    title: 'Сибирский цирюльник',
    description: 'История любви.',
    rating: 7.5,
    directors: [p.mikhalkov],
  });
  // A prefix match of "wars" with a higher rating than the real Star Wars films.
  f.warriors = await fx.film({ title: 'Star Warriors', description: 'Knights in orbit.', rating: 9.8 });
  f.running = await fx.film({
    title: 'The Running Man',
    description: 'A game show of survival.',
    rating: 6.7,
  });
  f.jurassic = await fx.film({
    title: 'Jurassic Park',
    description: 'Dinosaurs escape on an island.',
    rating: 8.2,
  });
  f.matrixDoc = await fx.film({
    title: 'Cyberpunk Cinema',
    description: 'About the matrix and other films.',
    rating: 9.9,
  });
  f.matrix = await fx.film({ title: 'The Matrix', description: 'A hacker learns the truth.', rating: 8.7 });
});
afterAll(async () => kino?.close());

describe('film search', () => {
  it('finds English words by their stem and puts title matches first', async () => {
    const { titles, total } = await search('star wars');
    expect(titles.slice(0, 2).sort()).toEqual(['Star Wars', 'Star Wars: Episode V']);
    expect(titles.slice(2)).toEqual(['Star Warriors', 'Empire of Dreams']);
    expect(total).toBe(4);
    expect((await search('war')).titles).toEqual(
      expect.arrayContaining(['Star Wars', 'Star Wars: Episode V']),
    );
    expect((await search('runs')).titles).toEqual(['The Running Man']);
  });

  it('ranks the exact title first, then other title matches, then the rest', async () => {
    expect((await search('Star Wars')).titles[0]).toBe('Star Wars');
    // The documentary about the matrix is rated higher, but the title match wins.
    expect((await search('matrix')).titles).toEqual(['The Matrix', 'Cyberpunk Cinema']);
  });

  it('finds Russian words in other grammatical forms', async () => {
    expect((await search('звёздная война')).titles).toEqual(['Звёздные войны']);
    expect((await search('звездные войны')).titles).toEqual(['Звёздные войны']);
    expect((await search('галактики')).titles).toEqual(['Звёздные войны']);
    expect((await search('сибирского')).titles).toEqual(['Сибирский цирюльник']);
  });

  it('matches the last word as a prefix', async () => {
    expect((await search('Bon')).titles).toEqual(['Bond Returns']);
    expect((await search('jura')).titles).toEqual(['Jurassic Park']);
    expect((await search('прив')).titles).toEqual(['Привет, мир']);
    // Only the last word is a prefix.
    expect((await search('bon returns')).titles).toEqual([]);
  });

  it('finds films by genre and person names', async () => {
    expect((await search('sci-fi')).titles.sort()).toEqual(['Star Wars', 'Star Wars: Episode V']);
    expect((await search('lucas')).titles.sort()).toEqual(['Star Wars', 'Star Wars: Episode V']);
    expect((await search('комедия')).titles).toEqual(['Привет, мир']);
    expect((await search('Михалков')).titles).toEqual(['Сибирский цирюльник']);
  });

  it('tolerates one typo in words of five letters or more', async () => {
    expect((await search('Jurasic park')).titles).toEqual(['Jurassic Park']);
    expect((await search('galxy')).titles).toEqual(['Star Wars']);
    expect((await search('Lcuas')).titles.sort()).toEqual(['Star Wars', 'Star Wars: Episode V']);
    expect((await search('сибирскй')).titles).toEqual(['Сибирский цирюльник']);
    // Two typos are too many; short words get none.
    expect((await search('Jrasic')).titles).toEqual([]);
    expect((await search('bnd')).titles).toEqual([]);
  });

  it('retries a query typed in the wrong keyboard layout', async () => {
    expect((await search('ghbdtn')).titles).toEqual(['Привет, мир']);
    expect((await search('Ыефк Цфкы')).titles[0]).toBe('Star Wars');
    expect((await search('[ehfccbr')).titles).toEqual([]);
  });

  it('ignores stop words beside other words, finds titles by stop words alone, and excludes -words', async () => {
    expect((await search('the matrix')).titles[0]).toBe('The Matrix');
    // "wars" is not the last word here, so it is not a prefix: no Star Warriors.
    expect((await search('star wars -episode')).titles).toEqual(['Star Wars', 'Empire of Dreams']);
    // Only stop words: the titles that hold them (#16.15), not nothing.
    expect((await search('the')).titles).toContain('The Matrix');
    expect(await search('-star')).toEqual({ titles: [], total: 0 });
  });

  it('pages results with the total in X-Total-Count', async () => {
    const first = await search('star wars', undefined, '&page_size=2');
    const second = await search('star wars', undefined, '&page_size=2&page_number=2');
    const past = await search('star wars', undefined, '&page_size=2&page_number=3');
    expect(first.titles).toHaveLength(2);
    expect(second.titles).toEqual(['Star Warriors', 'Empire of Dreams']);
    expect(past).toEqual({ titles: [], total: 4 });
  });
});

describe('person search', () => {
  it('finds people by any part of the name, a prefix, a typo or the other layout', async () => {
    expect((await search('george lucas', '/api/v1/persons/search')).titles).toEqual(['George Lucas']);
    expect((await search('conn', '/api/v1/persons/search')).titles).toEqual(['Sean Connery']);
    expect((await search('Conery', '/api/v1/persons/search')).titles).toEqual(['Sean Connery']);
    expect((await search('никиту', '/api/v1/persons/search')).titles).toEqual(['Никита Михалков']);
    expect((await search('Петров', '/api/v1/persons/search')).titles).toEqual([]);
    expect((await search('Никита', '/api/v1/persons/search')).titles).toEqual(['Никита Михалков']);
    expect((await search('Vb[fkrjd', '/api/v1/persons/search')).titles).toEqual(['Никита Михалков']);
    expect(await search('nobody here', '/api/v1/persons/search')).toEqual({ titles: [], total: 0 });
  });
});
