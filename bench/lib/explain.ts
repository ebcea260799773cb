/** EXPLAIN ANALYZE of the catalog API's own statements (captured from its repository). */
import type { Sql } from '../../src/ports/sql.js';
import { createCatalogRepository } from '../../src/modules/catalog/catalog.repository.js';
import { buildPlan, parseQuery, typoCandidates } from '../../src/modules/catalog/search.js';

export interface ExplainCatalogue {
  filmIds: readonly string[];
  genreIds: readonly string[];
}

/** EXPLAIN ANALYZE of the API's statements, reduced to the scan nodes and the time. */
export async function explain(sql: Sql, catalogue: ExplainCatalogue, full = false): Promise<string[]> {
  const captured: { text: string; params: readonly unknown[] }[] = [];
  const capture = {
    ...sql,
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      captured.push({ text, params });
      return [];
    },
  };
  const repo = createCatalogRepository(capture);
  const free = ['FREE'] as const;
  const window = { limit: 50, offset: 0 };
  const star = parseQuery('star wars');
  const typo = parseQuery('detectve');
  const cases: [string, () => Promise<unknown>][] = [
    [
      'list, best rated first',
      () => repo.listFilms({ access: free, genres: [], sort: '-imdb_rating' }, window),
    ],
    [
      'list, page 100 ascending',
      () => repo.listFilms({ access: free, genres: [], sort: 'imdb_rating' }, { limit: 50, offset: 4950 }),
    ],
    [
      'list, two genres',
      () =>
        repo.listFilms(
          { access: free, genres: catalogue.genreIds.slice(0, 2), sort: '-imdb_rating' },
          window,
        ),
    ],
    ['count, one genre', () => repo.countFilms({ access: free, genres: catalogue.genreIds.slice(3, 4) })],
    ['film by id', () => repo.filmById(catalogue.filmIds[42]!)],
    ['search "star wars"', () => repo.searchFilms(buildPlan(star), free, window)],
    ['typo lookup "detectve"', () => repo.nearestWords(typoCandidates(typo))],
    ['person search "lucas"', () => repo.searchPersons(buildPlan(parseQuery('lucas')), window)],
  ];
  const out: string[] = [];
  for (const [name, run] of cases) {
    captured.length = 0;
    await run();
    const { text, params } = captured[0]!;
    const plan = await sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${text}`, params);
    const lines = plan.map((r) => r['QUERY PLAN']);
    const nodes = lines
      .map((l) =>
        /(?:->\s+)?((?:Parallel )?(?:Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|Seq Scan)[^(]*)/
          .exec(l)?.[1]
          ?.trim(),
      )
      .filter((n): n is string => Boolean(n));
    const time = lines.find((l) => l.startsWith('Execution Time'))?.replace('Execution Time: ', '') ?? '?';
    out.push(
      full
        ? `${name}:\n${lines.map((l) => `    ${l}`).join('\n')}`
        : `${name}: ${[...new Set(nodes)].join('; ') || lines[0]} (${time})`,
    );
  }
  return out;
}
