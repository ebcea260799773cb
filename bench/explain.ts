/**
 * EXPLAIN ANALYZE of the catalog API's statements on the benchmark data set:
 *
 *   npx tsx bench/explain.ts [postgres|pglite] [--full]
 */
import path from 'node:path';
import { explain } from './lib/explain.js';
import { dataRoot } from './lib/data.js';

const engine = process.argv[2] ?? 'postgres';
const full = process.argv.includes('--full');
const sql =
  engine === 'pglite'
    ? await (
        await import('../src/adapters/sql/pglite.js')
      ).createPgliteSql(path.join(dataRoot, 'catalog-pglite/pgdata'))
    : await (
        await import('../src/adapters/sql/postgres.js')
      ).createPostgresSql(
        process.env.BENCH_DATABASE_URL_RUN ?? 'postgres://postgres@127.0.0.1:5432/kino_bench_run',
        { poolSize: 1 },
      );
try {
  const films = await sql.query<{ id: string }>('SELECT id FROM catalog.film ORDER BY id LIMIT 100');
  const genres = await sql.query<{ id: string }>('SELECT id FROM catalog.genre ORDER BY id');
  const lines = await explain(
    sql,
    { filmIds: films.map((r) => r.id), genreIds: genres.map((r) => r.id) },
    full,
  );
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  await sql.close();
}
