/**
 * Generates a large demo catalogue and rebuilds the catalog read model, timing both.
 *
 *   npx tsx bench/catalog-generate.ts [films=100000] [persons=300000] [genres=40]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/catalog-generate.ts
 *
 * Runs on a fresh in-memory PGlite, or on a fresh database of the PostgreSQL server when
 * DATABASE_URL is set (dropped afterwards).
 */
import { createTestSql } from '../test/helpers/engines.js';
import { createMemoryCache } from '../src/adapters/cache/memory.js';
import { migrate, PLATFORM_MIGRATIONS } from '../src/platform/migrations.js';
import { catalogModule, createReadModel } from '../src/modules/catalog/index.js';
import { contentModule, generateCatalog } from '../src/modules/content/index.js';

const [films = 100_000, persons = 300_000, genres = 40] = process.argv.slice(2).map(Number);
const db = await createTestSql();
try {
  await migrate(db.sql, [PLATFORM_MIGRATIONS, ...contentModule.migrations, ...catalogModule.migrations]);
  let t = performance.now();
  const counts = await generateCatalog(db.sql, { films, persons, genres, seed: 7 });
  const generateS = (performance.now() - t) / 1000;
  const readModel = createReadModel({ sql: db.sql, cache: createMemoryCache({ maxEntries: 100 }) });
  t = performance.now();
  const rebuilt = await readModel.rebuild();
  const rebuildS = (performance.now() - t) / 1000;
  const line = {
    engine: db.sql.engine,
    ...counts,
    generate_s: Number(generateS.toFixed(1)),
    rebuild_s: Number(rebuildS.toFixed(1)),
    rebuild_films_per_s: Math.round(rebuilt.films / rebuildS),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
} finally {
  await db.close();
}
