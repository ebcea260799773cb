/**
 * Catalog read API benchmark (autocannon on loopback) over a generated catalogue.
 *
 *   npx tsx bench/catalog.bench.ts [--films 100000] [--persons 20000] [--duration 5]
 *     [--connections 10] [--engines pglite,postgres] [--fresh] [--no-write]
 *
 * PostgreSQL + Redis run when DATABASE_URL and REDIS_URL are set (the catalogue goes into a
 * database named kino_bench_catalog on that server, Redis keys under kino_bench:). The filled
 * PGlite folder and PostgreSQL database are kept (KINO_BENCH_DIR, default /tmp/kino-bench) and
 * reused by later runs with the same size; --fresh rebuilds them. Results go to the "Catalog"
 * section of bench/RESULTS.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { Sql } from '../src/ports/sql.js';
import { migrate, PLATFORM_MIGRATIONS } from '../src/platform/migrations.js';
import { createLogger } from '../src/platform/logger.js';
import { catalogModule } from '../src/modules/catalog/index.js';
import { contentModule } from '../src/modules/content/index.js';
import { explain } from './lib/explain.js';
import { describeCatalogue, fillCatalogue, type Catalogue } from './catalog-data.js';

const { values: args } = parseArgs({
  options: {
    films: { type: 'string', default: '100000' },
    persons: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    engines: { type: 'string', default: 'pglite,postgres' },
    fresh: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const size = { films: Number(args.films), persons: Number(args.persons) };
const duration = Number(args.duration);
const connections = Number(args.connections);
const root = process.env.KINO_BENCH_DIR ?? '/tmp/kino-bench';
const logger = createLogger('warn');
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Engine {
  name: 'pglite' | 'postgres';
  label: string;
  open(): Promise<Sql>;
  childEnv: Record<string, string>;
}

function engines(): Engine[] {
  const wanted = args.engines.split(',');
  const list: Engine[] = [];
  if (wanted.includes('pglite')) {
    const dir = path.join(root, `pglite-${size.films}`);
    if (args.fresh) rmSync(dir, { recursive: true, force: true });
    list.push({
      name: 'pglite',
      label: 'PGlite + in-memory cache',
      open: async () => (await import('../src/adapters/sql/pglite.js')).createPgliteSql(dir),
      childEnv: { BENCH_PGLITE_DIR: dir },
    });
  }
  const admin = process.env.DATABASE_URL;
  const redis = process.env.REDIS_URL;
  if (wanted.includes('postgres') && admin && redis) {
    const url = new URL(admin);
    url.pathname = '/kino_bench_catalog';
    list.push({
      name: 'postgres',
      label: 'PostgreSQL + Redis',
      async open() {
        const { createPostgresSql } = await import('../src/adapters/sql/postgres.js');
        const server = await createPostgresSql(admin, { poolSize: 1 });
        const exists = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [
          'kino_bench_catalog',
        ]);
        if (args.fresh && exists.length > 0)
          await server.execute('DROP DATABASE kino_bench_catalog WITH (FORCE)');
        if (args.fresh || exists.length === 0) await server.execute('CREATE DATABASE kino_bench_catalog');
        await server.close();
        return createPostgresSql(url.toString(), { poolSize: 4 });
      },
      childEnv: { BENCH_DATABASE_URL: url.toString(), BENCH_REDIS_URL: redis },
    });
  } else if (wanted.includes('postgres')) {
    log('PostgreSQL + Redis skipped: set DATABASE_URL and REDIS_URL to include them.');
  }
  return list;
}

/** Migrates, fills when the catalogue is missing or of another size, and records query plans. */
async function prepare(
  engine: Engine,
): Promise<{ catalogue: Catalogue; fillSeconds: number | null; freeIds: string[]; plans: string[] }> {
  if (engine.name === 'pglite') mkdirSync(root, { recursive: true });
  const sql = await engine.open();
  try {
    await migrate(
      sql,
      [PLATFORM_MIGRATIONS, ...contentModule.migrations, ...catalogModule.migrations],
      logger,
    );
    const [row] = await sql.query<{ n: number }>('SELECT count(*) AS n FROM catalog.film');
    let fillSeconds: number | null = null;
    let catalogue: Catalogue;
    if (row?.n === size.films) {
      log(`${engine.label}: reusing the ${size.films}-film catalogue`);
      catalogue = describeCatalogue(size);
    } else {
      await sql.exec('TRUNCATE catalog.film, catalog.person, catalog.genre, catalog.search_word');
      const started = Date.now();
      catalogue = await fillCatalogue(sql, size, (done, total) => {
        if (done % 10_000 === 0 || done === total) log(`${engine.label}: ${done}/${total} films`);
      });
      fillSeconds = (Date.now() - started) / 1000;
    }
    // The anonymous caller of the benchmark sees FREE films only.
    const free = await sql.query<{ id: string }>(
      "SELECT id FROM catalog.film WHERE access = 'FREE' ORDER BY id",
    );
    return { catalogue, fillSeconds, freeIds: free.map((r) => r.id), plans: await explain(sql, catalogue) };
  } finally {
    await sql.close();
  }
}

interface Measured {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

async function measure(url: string, paths: () => string): Promise<Measured> {
  const times: number[] = [];
  let errors = 0;
  const statuses = new Map<number, number>();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration, requests: [{ setupRequest: (req) => ({ ...req, path: paths() }) }] },
      (error, done) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      times.push(responseTime);
      if (status >= 400) {
        errors++;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    });
  });
  if (statuses.size > 0 || result.errors > 0 || result.timeouts > 0)
    log(
      `  error answers: ${JSON.stringify(Object.fromEntries(statuses))}, socket errors ${result.errors}, timeouts ${result.timeouts}`,
    );
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return {
    rps: Math.round(result.requests.average),
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    errors: errors + result.errors + result.non2xx,
  };
}

function startServer(
  engine: Engine,
): Promise<{ child: ChildProcess; ports: Record<'cached' | 'uncached' | 'baseline', number> }> {
  const child = fork(new URL('./catalog-server.ts', import.meta.url), {
    env: { ...process.env, ...engine.childEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.on('message', (m: { ready?: Record<'cached' | 'uncached' | 'baseline', number> }) => {
      if (m.ready) resolve({ child, ports: m.ready });
    });
  });
}

async function stopServer(child: ChildProcess) {
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ stop: true });
  await exited;
}

const random = (list: readonly string[]) => list[Math.floor(Math.random() * list.length)]!;
const rows: string[][] = [];
const sections: string[] = [];

for (const engine of engines()) {
  const prepared = await prepare(engine);
  const { catalogue } = prepared;
  const { child, ports } = await startServer(engine);
  const at = (port: number) => `http://127.0.0.1:${port}`;
  const hotIds = prepared.freeIds.slice(0, 1000);
  const listPath = () =>
    `/api/v1/films?page_number=${1 + Math.floor(Math.random() * 20)}` +
    (Math.random() < 0.5 ? `&genre=${random(catalogue.genreIds)}` : '') +
    (Math.random() < 0.5 ? '&sort=imdb_rating' : '');
  const hotListPath = () =>
    `/api/v1/films?page_number=${1 + Math.floor(Math.random() * 5)}` +
    (Math.random() < 0.5 ? `&genre=${random(catalogue.genreIds.slice(0, 3))}` : '');
  const searchPath = () => `/api/v1/films/search?query=${encodeURIComponent(random(catalogue.queries))}`;
  const scenarios: [string, string, () => string][] = [
    ['baseline: bare Fastify, 50-item list', at(ports.baseline), () => '/baseline'],
    ['kernel /health', at(ports.cached), () => '/health'],
    ['films list, cached (hot pages)', at(ports.cached), hotListPath],
    ['films list, no cache', at(ports.uncached), listPath],
    ['film detail, cached (1000 hot ids)', at(ports.cached), () => `/api/v1/films/${random(hotIds)}`],
    [
      'film detail, no cache (random ids)',
      at(ports.uncached),
      () => `/api/v1/films/${random(prepared.freeIds)}`,
    ],
    ['film search, cached', at(ports.cached), searchPath],
    ['film search, no cache', at(ports.uncached), searchPath],
    [
      'person search, no cache',
      at(ports.uncached),
      () =>
        `/api/v1/persons/search?query=${encodeURIComponent(random(['lucas', 'tarantino', 'john', 'maria kubrick', 'lukas']))}`,
    ],
  ];
  let baselineRps = 0;
  for (const [name, url, paths] of scenarios) {
    await measure(url, paths).catch(() => undefined); // warm-up: JIT, caches, connections
    const m = await measure(url, paths);
    if (name.startsWith('baseline')) baselineRps = m.rps;
    const ratio = baselineRps > 0 ? `${((m.rps / baselineRps) * 100).toFixed(1)}%` : '';
    rows.push([
      engine.label,
      name,
      String(m.rps),
      ratio,
      String(m.p50),
      String(m.p95),
      String(m.p99),
      String(m.errors),
    ]);
    log(
      `${engine.label} | ${name}: ${m.rps} rps, p50 ${m.p50.toFixed(1)} ms, p95 ${m.p95.toFixed(1)} ms, errors ${m.errors}`,
    );
  }
  await stopServer(child);
  sections.push(
    `EXPLAIN ANALYZE on ${engine.label} (${size.films} films${prepared.fillSeconds === null ? ', reused' : `, filled in ${prepared.fillSeconds.toFixed(0)} s`}):\n\n` +
      prepared.plans.map((p) => `- ${p}`).join('\n'),
  );
}

const table = [
  '| engines | scenario | req/s | vs baseline | p50 ms | p95 ms | p99 ms | errors |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const section = `## Catalog

Command: \`DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 npx tsx bench/catalog.bench.ts --films ${size.films} --duration ${duration} --connections ${connections}\`
(\`--fresh\` rebuilds the stored catalogue; without the URLs only PGlite runs.)

Run ${new Date().toISOString().slice(0, 16)} UTC on ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, load average ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}; autocannon ${connections} connections × ${duration} s per scenario after a warm-up of the same length, anonymous caller (FREE films, ~60% of the catalogue). The server runs in a child process; "no cache" is the same module with CACHE_TTL=0. Search queries mix common and rare words, phrases, prefixes, typos, Russian and wrong-layout text (bench/catalog-data.ts).

${table}

${sections.join('\n\n')}
`;
console.log(section);
if (!args['no-write']) {
  const file = new URL('./RESULTS.md', import.meta.url);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = current.indexOf('## Catalog\n');
  const next = start < 0 ? -1 : current.indexOf('\n## ', start + 1);
  const updated =
    start < 0
      ? `${current.trimEnd()}\n\n${section}`
      : `${current.slice(0, start)}${section}${next < 0 ? '' : current.slice(next + 1)}`;
  writeFileSync(file, updated.trimEnd() + '\n');
}
