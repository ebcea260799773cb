/**
 * Search keeps its results while a word is typed (#16.15), on the Practicum data set imported
 * into the real database: every prefix (2+ letters) of a title word, typed after the title's
 * earlier words, still finds the film; a query of stop words only finds the titles holding them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPracticumSql } from '../../src/modules/content/index.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';

const DATA =
  process.env.KINO_SHARED_DATA ?? fileURLToPath(new URL('../../../shared/data/practicum/', import.meta.url));
const DUMP = path.join(DATA, 'content_dump.sql');

let kino: TestKino;
let films: { uuid: string; title: string }[] = [];

/** Every film a query finds (all pages). */
async function findAll(query: string): Promise<{ uuid: string; title: string }[]> {
  const found: { uuid: string; title: string }[] = [];
  for (let page = 1; ; page++) {
    const res = await kino.app.inject({
      url: `/api/v1/films/search?query=${encodeURIComponent(query)}&page_size=100&page_number=${page}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json<{ uuid: string; title: string }[]>();
    found.push(...rows);
    if (rows.length < 100) return found;
  }
}

/** Words as the search box splits them. */
const wordsOf = (title: string) =>
  title
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

describe.skipIf(!existsSync(DUMP))(
  'search while typing, on the Practicum data set',
  { timeout: 600_000 },
  () => {
    beforeAll(async () => {
      kino = await createTestKino({ modules: ['catalog'], workers: false });
      const { report, touched } = await importPracticumSql(kino.kernel.engines.sql, DUMP);
      expect(report.skipped_count).toBe(0);
      await kino.kernel.services.require('catalog').readModel.refresh(touched);
      films = await kino.kernel.engines.sql.query<{ uuid: string; title: string }>(
        'SELECT id AS uuid, title FROM catalog.film ORDER BY id',
      );
      expect(films).toHaveLength(999);
    }, 600_000);
    afterAll(async () => {
      await kino?.close();
    });

    it('every prefix of "Rising" finds "Rising Star" ("Risi" included)', async () => {
      for (const query of ['ri', 'ris', 'risi', 'Risi', 'risin', 'rising', 'rising s', 'rising sta']) {
        const titles = (await findAll(query)).map((f) => f.title);
        expect(titles, query).toContain('Rising Star');
      }
    });

    it('a query of stop words only finds the titles that hold them', async () => {
      for (const word of ['The', 'A', 'You']) {
        const w = word.toLowerCase();
        const found = await findAll(word);
        // Every title holding the word is found (names of people and genres may add more).
        const holding = films.filter((f) => wordsOf(f.title).includes(w)).map((f) => f.uuid);
        expect(holding.length, word).toBeGreaterThan(0);
        for (const id of holding)
          expect(
            found.map((f) => f.uuid),
            word,
          ).toContain(id);
      }
    });

    it('property: a title typed word by word finds its film at every prefix of 2+ letters', async () => {
      const candidates = films.filter((f) => wordsOf(f.title).some((w) => [...w].length >= 2));
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...candidates),
          fc.nat(),
          fc.nat(),
          async (film, wordPick, lengthPick) => {
            const words = wordsOf(film.title);
            const typed = words.map((w, i) => ({ w, i })).filter(({ w }) => [...w].length >= 2);
            const { w, i } = typed[wordPick % typed.length]!;
            const letters = [...w];
            const n = 2 + (lengthPick % (letters.length - 1));
            // The earlier words of the title, then the word being typed.
            const query = [...words.slice(0, i), letters.slice(0, n).join('')].join(' ');
            cases++;
            const found = await findAll(query);
            expect(
              found.map((f) => f.uuid),
              `"${query}" should find "${film.title}"`,
            ).toContain(film.uuid);
          },
        ),
        { numRuns: Number(process.env.SEARCH_PROPERTY_RUNS ?? 150) },
      );
      console.info(`search prefix property: ${cases} generated queries over ${candidates.length} titles`);
    });
  },
);
