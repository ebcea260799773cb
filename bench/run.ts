/**
 * One entry point for every benchmark: `npm run bench` (short run), `npm run bench -- --long`,
 * `npm run bench -- --only detail-hit,mixed`, `--engines pglite|postgres`, `--profile <scenario>`.
 *
 * Each scenario runs against the real product process (`node bin/kino.js start`, all modules,
 * LOG_LEVEL=warn, KINO_RATE_LIMIT=off) on the all-in-one engines (PGlite, in-memory cache and
 * bus) and on PostgreSQL + Redis (+ NATS for event ingest). The load generator (autocannon)
 * runs in this process on the same machine. Data sets are generated once into bench/.data and
 * a PostgreSQL database of their own, and reused. Results are printed and written to
 * bench/RESULTS.md (between the "generated" markers) and bench/.data/results-<engine>.json.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { load, type LoadResult, type RequestSpec } from './lib/load.js';
import { startBaseline, startKino, type Server } from './lib/server.js';
import {
  dataRoot,
  dropDatabase,
  ensureDatabase,
  FULL,
  kino,
  pgliteDir,
  prepareCatalog,
  ugcEventBodies,
  type EngineEnv,
  type PreparedCatalog,
} from './lib/data.js';
import { summariseProfile } from './lib/profile.js';
import { loadAvg, machine, writeGeneratedSection } from './lib/report.js';
import { prng } from '../src/modules/content/index.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    long: { type: 'boolean', default: false },
    engines: { type: 'string', default: 'pglite,postgres' },
    connections: { type: 'string' },
    profile: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

const LONG = args.long;
const SECONDS = LONG ? 20 : 5;
const WARMUP = LONG ? 5 : 4;
const CONNECTIONS = Number(args.connections ?? 16);
const INGEST_BATCHES = LONG ? 1000 : 100;
/** The baseline's one request. */
const BASELINE_LOAD = { requests: [{ path: '/baseline' }] };
/** Warm-up of the mixed profile: long enough to fill the response cache as at a steady peak. */
const MIXED_WARMUP = LONG ? 60 : 30;
const PORT = Number(process.env.BENCH_PORT ?? 18610);
const BASELINE_PORT = PORT + 1;
const only = args.only?.split(',').filter(Boolean);
const wanted = (name: string) => !only || only.includes(name);
const log = (line: string) => process.stderr.write(`${line}\n`);

const SCENARIOS = [
  'baseline',
  'detail-hit',
  'detail-miss',
  'list',
  'search-films',
  'search-persons',
  'mixed',
  'login',
  'refresh',
  'auth-vs-anon',
  'ingest',
  'etl-rebuild',
  'start',
] as const;
type ScenarioName = (typeof SCENARIOS)[number];
for (const name of only ?? [])
  if (!(SCENARIOS as readonly string[]).includes(name))
    throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);

interface Row {
  engine: string;
  scenario: ScenarioName;
  label: string;
  rps?: number;
  unit?: string;
  p50?: number;
  p95?: number;
  p99?: number;
  errors?: number;
  rssMb?: number;
  /** Server CPU per request (user + system), a figure less sensitive to other load. */
  cpuMsPerReq?: number;
  vsBaseline?: number;
  note?: string;
  load: string;
}
const rows: Row[] = [];

function record(row: Row) {
  rows.push(row);
  const parts = [
    `${row.engine} | ${row.label}:`,
    row.rps !== undefined ? `${row.rps} ${row.unit ?? 'req/s'}` : '',
    row.p50 !== undefined ? `p50 ${row.p50} p95 ${row.p95} p99 ${row.p99} ms` : '',
    row.errors !== undefined ? `errors ${row.errors}` : '',
    row.rssMb !== undefined ? `RSS ${row.rssMb} MB` : '',
    row.cpuMsPerReq !== undefined ? `CPU ${row.cpuMsPerReq} ms/req` : '',
    row.vsBaseline !== undefined ? `${(row.vsBaseline * 100).toFixed(1)}% of baseline` : '',
    row.note ?? '',
    `(load ${row.load})`,
  ];
  log(parts.filter(Boolean).join(' '));
}

// ---------------------------------------------------------------------------------------------
// Engines

async function engines(): Promise<EngineEnv[]> {
  const list: EngineEnv[] = [];
  const names = args.engines.split(',');
  if (names.includes('pglite')) {
    const dir = pgliteDir('catalog-pglite');
    list.push({
      name: 'pglite',
      label: 'all-in-one (PGlite)',
      env: { KINO_DATA_DIR: dir },
      open: async () =>
        (await import('../src/adapters/sql/pglite.js')).createPgliteSql(path.join(dir, 'pgdata')),
    });
  }
  if (names.includes('postgres')) {
    const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const url = await ensureDatabase(admin, 'kino_bench_run');
    list.push({
      name: 'postgres',
      label: 'PostgreSQL + Redis',
      env: {
        KINO_DATA_DIR: pgliteDir('catalog-postgres'),
        DATABASE_URL: url,
        // A Redis database of its own, so cache keys never meet another deployment's.
        REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/9',
      },
      open: async () =>
        (await import('../src/adapters/sql/postgres.js')).createPostgresSql(url, { poolSize: 2 }),
    });
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Request mixes

interface Mix {
  detail: () => RequestSpec;
  detailHot: () => RequestSpec;
  list: () => RequestSpec;
  searchFilms: () => RequestSpec;
  searchPersons: () => RequestSpec;
  mixed: () => RequestSpec;
}

async function requestMix(engine: EngineEnv, catalog: PreparedCatalog): Promise<Mix> {
  // Queries drawn from the generated catalogue itself: whole titles, single words, prefixes,
  // one-letter typos, Russian and English; person surnames and full names.
  const sql = await engine.open();
  let titles: string[];
  let names: string[];
  try {
    titles = (await sql.query<{ title: string }>('SELECT title FROM catalog.film ORDER BY id LIMIT 60')).map(
      (r) => r.title,
    );
    names = (
      await sql.query<{ full_name: string }>('SELECT full_name FROM catalog.person ORDER BY id LIMIT 40')
    ).map((r) => r.full_name);
  } finally {
    await sql.close();
  }
  const rand = prng(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const typo = (w: string) => (w.length >= 6 ? w.slice(0, 2) + w[3] + w[2] + w.slice(4) : w);
  const filmQueries: string[] = [];
  for (const [i, title] of titles.entries()) {
    const words = title.split(/\s+/).filter((w) => w.length >= 4);
    const word = words[0] ?? title;
    filmQueries.push(
      i % 4 === 0 ? title : i % 4 === 1 ? word : i % 4 === 2 ? word.slice(0, 4) : typo(word.toLowerCase()),
    );
  }
  const personQueries = names.flatMap((n, i) => {
    const last = n.split(' ').at(-1)!;
    return i % 3 === 0 ? [n] : i % 3 === 1 ? [last] : [last.slice(0, 4)];
  });
  const free = catalog.freeFilmIds;
  const hot = free.slice(0, 1000);
  // Popularity is skewed: a few films get most detail views (index ~ n * r^3).
  const skewed = () => free[Math.floor(free.length * rand() ** 3)]!;
  const list = (): RequestSpec => {
    const q = [`page_number=${1 + Math.floor(rand() ** 2 * 20)}`];
    if (rand() < 0.3) q.push(`genre=${pick(catalog.genreIds)}`);
    if (rand() < 0.5) q.push(rand() < 0.5 ? 'sort=-imdb_rating' : 'sort=imdb_rating');
    return { path: `/api/v1/films?${q.join('&')}` };
  };
  const searchFilms = (): RequestSpec => ({
    path: `/api/v1/films/search?query=${encodeURIComponent(pick(filmQueries))}`,
  });
  return {
    detail: () => ({ path: `/api/v1/films/${pick(free)}` }),
    detailHot: () => ({ path: `/api/v1/films/${pick(hot)}` }),
    list,
    searchFilms,
    searchPersons: () => ({
      path: `/api/v1/persons/search?query=${encodeURIComponent(pick(personQueries))}`,
    }),
    mixed: () => {
      const r = rand();
      return r < 0.6 ? { path: `/api/v1/films/${skewed()}` } : r < 0.85 ? list() : searchFilms();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** kino_catalog_cache_lookups_total by result, from the server's metrics listener. */
async function cacheLookups(server: Server): Promise<Record<string, number>> {
  if (!server.metrics) return {};
  const text = await (await fetch(server.metrics)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^kino_catalog_cache_lookups_total\{[^}]*result="(\w+)"[^}]*\} (\d+)/gm))
    out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

async function measure(
  server: Server,
  options: Parameters<typeof load>[1],
  warmup: boolean | number = true,
): Promise<LoadResult & { rssMb: number; cpuMsPerReq: number }> {
  if (warmup !== false)
    await load(server.base, {
      ...options,
      seconds: typeof warmup === 'number' ? warmup : WARMUP,
      amount: undefined,
    });
  const cpu0 = server.cpuSeconds();
  const r = await load(server.base, { connections: CONNECTIONS, seconds: SECONDS, ...options });
  const cpu = server.cpuSeconds() - cpu0;
  return {
    ...r,
    rssMb: server.rssMb(),
    cpuMsPerReq: Number(((cpu * 1000) / Math.max(1, r.requests)).toFixed(3)),
  };
}

const row = (
  engine: EngineEnv,
  scenario: ScenarioName,
  label: string,
  m: LoadResult & { rssMb: number; cpuMsPerReq: number },
  baseline: number | undefined,
  load: string,
  note?: string,
): Row => ({
  engine: engine.label,
  scenario,
  label,
  rps: m.rps,
  p50: m.p50,
  p95: m.p95,
  p99: m.p99,
  errors: m.errors + m.non2xx,
  rssMb: m.rssMb,
  cpuMsPerReq: m.cpuMsPerReq,
  ...(baseline ? { vsBaseline: m.rps / baseline } : {}),
  load,
  ...(note ? { note } : {}),
});

const profileDir = path.join(dataRoot, 'profiles');
function nodeArgsFor(scenarios: readonly ScenarioName[]): string[] {
  if (!args.profile || !scenarios.includes(args.profile as ScenarioName)) return [];
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
}
async function stopAndProfile(server: Server, nodeArgs: string[], label: string) {
  await server.stop();
  if (nodeArgs.length === 0) return;
  // Start-up (module loading, migrations) is left out of the summary.
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return log('no profile written');
  const summary = summariseProfile(path.join(profileDir, file), 30, server.readyMs + 1000);
  const out = path.join(dataRoot, `profile-${args.profile}-${label}.txt`);
  writeFileSync(out, summary);
  log(`CPU profile of ${args.profile} (${label}): ${out}\n${summary}`);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async function runCatalogAndAuth(
  engine: EngineEnv,
  catalog: PreparedCatalog,
  baselineRps: number | undefined,
  baselineServer: Server | undefined,
) {
  const mix = await requestMix(engine, catalog);
  const cachedScenarios: ScenarioName[] = ['detail-hit', 'mixed', 'login', 'refresh', 'auth-vs-anon'];
  const uncachedScenarios: ScenarioName[] = ['detail-miss', 'list', 'search-films', 'search-persons'];

  if (cachedScenarios.some(wanted)) {
    const nodeArgs = nodeArgsFor(cachedScenarios);
    const server = await startKino({
      port: PORT,
      env: { ...engine.env, AUTH_LOCKOUT_THRESHOLD: '100' },
      nodeArgs,
    });
    try {
      if (wanted('detail-hit')) {
        const l = loadAvg();
        const m = await measure(server, { next: mix.detailHot });
        record(row(engine, 'detail-hit', 'film detail, cache hit (1000 hot FREE films)', m, baselineRps, l));
        if (baselineServer) {
          // The machine's speed drifts between windows (a shared host): the ratio is also taken
          // from three back-to-back pairs of the baseline and this scenario, and the median kept.
          const ratios: number[] = [];
          for (let i = 0; i < 3; i++) {
            const b = await measure(baselineServer, { ...BASELINE_LOAD, seconds: 3 }, 1);
            const k = await measure(server, { next: mix.detailHot, seconds: 3 }, 1);
            ratios.push(k.rps / b.rps);
          }
          ratios.sort((a, b) => a - b);
          record({
            engine: engine.label,
            scenario: 'detail-hit',
            label: 'film detail, cache hit, paired with the baseline',
            vsBaseline: ratios[1],
            note: `median of 3 pairs (3 s each after 1 s warm-up): ${ratios.map((r) => `${(r * 100).toFixed(1)}%`).join(', ')}`,
            load: loadAvg(),
          });
        }
      }
      if (wanted('mixed')) {
        const l = loadAvg();
        // A service at its peak has a warm cache: load it for MIXED_WARMUP seconds first, then
        // report how the measured requests were answered.
        await load(server.base, { next: mix.mixed, connections: CONNECTIONS, seconds: MIXED_WARMUP });
        const before = await cacheLookups(server);
        const m = await measure(server, { next: mix.mixed }, false);
        const after = await cacheLookups(server);
        const delta = Object.fromEntries(
          Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]),
        ) as Record<string, number>;
        const lookups = Object.values(delta).reduce((a, b) => a + b, 0) || 1;
        const share = (k: string) => `${(((delta[k] ?? 0) * 100) / lookups).toFixed(0)} %`;
        record(
          row(
            engine,
            'mixed',
            'mixed catalog (60% detail, 25% list, 15% search), cache on',
            m,
            baselineRps,
            l,
            `after ${MIXED_WARMUP} s of the same load; cache lookups: ${share('near')} near, ${share('hit')} shared, ${share('miss')} miss`,
          ),
        );
      }
      const password = 'a long benchmark passphrase 42';
      const login = `bench${Date.now().toString(36)}`;
      const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
        const res = await fetch(server.base + url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
        return (await res.json()) as { access_token: string; refresh_token: string };
      };
      const needsUser = ['login', 'refresh', 'auth-vs-anon'].some((s) => wanted(s));
      const first = needsUser
        ? await post('/api/v1/auth/register', { login, email: `${login}@example.com`, password })
        : undefined;
      if (wanted('login')) {
        const l = loadAvg();
        const m = await measure(server, {
          requests: [
            { method: 'POST', path: '/api/v1/auth/login', body: JSON.stringify({ login, password }) },
          ],
        });
        record(row(engine, 'login', 'login (argon2id m=19 MiB t=2 p=1)', m, undefined, l));
      }
      if (wanted('refresh')) {
        // Every request takes an unused refresh token and puts its successor back.
        const pool: string[] = [];
        for (let i = 0; i < CONNECTIONS * 2; i++)
          pool.push((await post('/api/v1/auth/login', { login, password })).refresh_token);
        const l = loadAvg();
        const m = await measure(
          server,
          {
            next: () => ({
              method: 'POST',
              path: '/api/v1/auth/refresh',
              body: JSON.stringify({ refresh_token: pool.shift() ?? 'none' }),
            }),
            onResponse: (status, body) => {
              if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
            },
          },
          false,
        );
        record(row(engine, 'refresh', 'refresh (rotation)', m, undefined, l));
      }
      if (wanted('auth-vs-anon')) {
        // Film detail (cache hit) with and without a valid access token, interleaved rounds so
        // load from elsewhere on the machine hits both sides alike.
        const token = (await post('/api/v1/auth/login', { login, password })).access_token;
        void first;
        const l = loadAvg();
        const results = { anon: [] as LoadResult[], auth: [] as LoadResult[] };
        const both = async (withToken: boolean) =>
          results[withToken ? 'auth' : 'anon'].push(
            await measure(
              server,
              {
                next: () => ({
                  ...mix.detailHot(),
                  ...(withToken ? { headers: { authorization: `Bearer ${token}` } } : {}),
                }),
                seconds: Math.max(2, SECONDS / 2),
              },
              false,
            ),
          );
        await load(server.base, { next: mix.detailHot, seconds: WARMUP });
        for (let i = 0; i < 3; i++) {
          await both(i % 2 === 0);
          await both(i % 2 !== 0);
        }
        const avg = (rs: LoadResult[], k: 'rps' | 'p50' | 'p95' | 'p99') =>
          Number((rs.reduce((s, r) => s + r[k], 0) / rs.length).toFixed(1));
        const summary = (rs: LoadResult[]) => ({
          ...rs[0]!,
          rps: Math.round(avg(rs, 'rps')),
          p50: avg(rs, 'p50'),
          p95: avg(rs, 'p95'),
          p99: avg(rs, 'p99'),
          errors: rs.reduce((s, r) => s + r.errors, 0),
          non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
          rssMb: server.rssMb(),
          cpuMsPerReq: NaN,
        });
        const anon = summary(results.anon);
        const auth = summary(results.auth);
        record({
          ...row(engine, 'auth-vs-anon', 'film detail (cache hit), anonymous', anon, baselineRps, l),
          cpuMsPerReq: undefined,
        });
        record({
          ...row(engine, 'auth-vs-anon', 'film detail (cache hit), Bearer token', auth, baselineRps, l),
          cpuMsPerReq: undefined,
          note: `authenticated/anonymous = ${((auth.rps / anon.rps) * 100).toFixed(1)}%`,
        });
      }
    } finally {
      await stopAndProfile(server, nodeArgs, `${engine.name}-cached`);
    }
  }

  if (uncachedScenarios.some(wanted)) {
    const nodeArgs = nodeArgsFor(uncachedScenarios);
    const server = await startKino({ port: PORT, env: { ...engine.env, CACHE_TTL: '0' }, nodeArgs });
    try {
      const cases: [ScenarioName, string, () => RequestSpec][] = [
        ['detail-miss', 'film detail, cache off (random FREE film)', mix.detail],
        ['list', 'films list page (random page/genre/sort), cache off', mix.list],
        ['search-films', 'film search, cache off', mix.searchFilms],
        ['search-persons', 'person search, cache off', mix.searchPersons],
      ];
      for (const [name, label, next] of cases) {
        if (!wanted(name)) continue;
        const l = loadAvg();
        const m = await measure(server, { next });
        record(row(engine, name, label, m, baselineRps, l));
        if (name === 'search-films') {
          // One request at a time: the latency of a search itself, without queueing behind 15 others.
          const one = await measure(server, { next, connections: 1 }, false);
          record(row(engine, name, 'film search, cache off, 1 connection', one, baselineRps, loadAvg()));
        }
      }
    } finally {
      await stopAndProfile(server, nodeArgs, `${engine.name}-uncached`);
    }
  }
}

async function runEtl(engine: EngineEnv, catalog: PreparedCatalog) {
  // A cold rebuild: the read model is emptied first, so every document, search vector and
  // index entry is computed again (a rebuild of an up-to-date model skips unchanged rows).
  const sql = await engine.open();
  try {
    await sql.exec('TRUNCATE catalog.film, catalog.person');
  } finally {
    await sql.close();
  }
  const l = loadAvg();
  const { stdout, ms } = await kino(['etl', 'rebuild'], engine.env);
  const match = /Rebuilt the catalog read model: (\d+) films.* in ([\d.]+) s/.exec(stdout);
  const films = Number(match?.[1] ?? catalog.counts.films);
  const seconds = Number(match?.[2] ?? ms / 1000);
  record({
    engine: engine.label,
    scenario: 'etl-rebuild',
    label: `ETL full rebuild, cold (\`kino etl rebuild\` on an emptied read model, ${films} films)`,
    rps: Math.round(films / seconds),
    unit: 'films/s',
    note: `${seconds.toFixed(1)} s rebuild, ${(ms / 1000).toFixed(1)} s with process start`,
    load: l,
  });
}

async function runIngest(engine: EngineEnv, catalog: PreparedCatalog) {
  // A fresh store each time: the events are deterministic, and a store that has seen an
  // event id already would skip it.
  const natsUrl = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
  const stream = 'KINOBENCH10';
  const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dir = path.join(dataRoot, `ingest-${engine.name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = { KINO_DATA_DIR: dir, SERVICES: 'ugc' };
  if (engine.name === 'postgres') {
    env.DATABASE_URL = await ensureDatabase(admin, 'kino_bench_ingest', true);
    env.REDIS_URL = engine.env.REDIS_URL!;
    env.NATS_URL = natsUrl;
    env.NATS_STREAM = stream;
    await deleteStream(natsUrl, stream);
  }
  const bodies = ugcEventBodies({
    count: INGEST_BATCHES * 1000,
    batch: 1000,
    films: catalog.freeFilmIds,
    seed: 2026,
    now: Date.now(),
  });
  const server = await startKino({ port: PORT, env });
  let accepted = 0;
  try {
    const post = async (body: string) => {
      const t = performance.now();
      const res = await fetch(`${server.base}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const json = (await res.json()) as { accepted?: number };
      if (res.status !== 202) throw new Error(`HTTP ${res.status}: ${JSON.stringify(json)}`);
      return { n: json.accepted ?? 0, ms: performance.now() - t };
    };
    // Warm-up with 5 batches of other events.
    for (const b of ugcEventBodies({
      count: 5000,
      batch: 1000,
      films: catalog.freeFilmIds,
      seed: 1,
      now: Date.now(),
    }))
      accepted += (await post(b)).n;
    const l = loadAvg();
    const cpu0 = server.cpuSeconds();
    const times: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bodies.length) {
          const r = await post(bodies[next++]!);
          accepted += r.n;
          times.push(r.ms);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = server.cpuSeconds() - cpu0;
    // Until the sink has written everything into ugc.events.
    const sql =
      engine.name === 'postgres'
        ? await (
            await import('../src/adapters/sql/postgres.js')
          ).createPostgresSql(env.DATABASE_URL!, { poolSize: 1 })
        : undefined;
    let drainS = seconds;
    if (sql) {
      try {
        const deadline = Date.now() + 300_000;
        while (Date.now() < deadline) {
          const [r] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM ugc.events');
          if ((r?.n ?? 0) >= accepted) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        drainS = (performance.now() - t0) / 1000;
      } finally {
        await sql.close();
      }
    }
    times.sort((a, b) => a - b);
    const pct = (q: number) =>
      Number(times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1));
    const events = bodies.length * 1000;
    record({
      engine: engine.name === 'postgres' ? 'PostgreSQL + Redis + NATS' : engine.label,
      scenario: 'ingest',
      label: `event ingest, ${bodies.length} × 1000 events, 4 concurrent posts (p = per batch)`,
      rps: Math.round(events / seconds),
      unit: 'events/s',
      p50: pct(0.5),
      p95: pct(0.95),
      p99: pct(0.99),
      errors: 0,
      rssMb: server.rssMb(),
      cpuMsPerReq: Number(((cpu * 1000) / bodies.length).toFixed(1)),
      note:
        engine.name === 'postgres'
          ? `202 = acknowledged by JetStream; all in ugc.events after ${drainS.toFixed(1)} s (${Math.round(events / drainS)} events/s)`
          : '202 = stored in ugc.events (in-process bus, sink in the request)',
      load: l,
    });
  } finally {
    await server.stop();
    if (engine.name === 'postgres') {
      await deleteStream(natsUrl, stream);
      await dropDatabase(admin, 'kino_bench_ingest');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function deleteStream(natsUrl: string, stream: string) {
  const { connect } = await import('nats');
  const u = new URL(natsUrl);
  const nc = await connect({ servers: `${u.hostname}:${u.port || '4222'}` });
  try {
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** All-in-one on an empty data folder: first start (migrations, keys, demo data), second start, idle RSS. */
async function runStart() {
  const dir = path.join(dataRoot, 'start-pglite');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const l = loadAvg();
  const env = { KINO_DATA_DIR: dir, KINO_ADMIN_PASSWORD: 'a long benchmark passphrase 42' };
  const first = await startKino({ port: PORT, env });
  await first.stop();
  const second = await startKino({ port: PORT, env });
  await new Promise((r) => setTimeout(r, 10_000));
  const idle = second.rssMb();
  await second.stop();
  rmSync(dir, { recursive: true, force: true });
  record({
    engine: 'all-in-one (PGlite)',
    scenario: 'start',
    label: 'start to ready: first start (empty data folder) / second start',
    note: `first ${(first.readyMs / 1000).toFixed(1)} s, second ${(second.readyMs / 1000).toFixed(1)} s; idle RSS ${idle} MB (10 s after ready)`,
    rssMb: idle,
    load: l,
  });
  return { firstS: first.readyMs / 1000, secondS: second.readyMs / 1000, idle };
}

// ---------------------------------------------------------------------------------------------

const started = Date.now();
log(
  `bench: ${LONG ? 'long' : 'short'} run, ${SECONDS} s per scenario after ${WARMUP} s warm-up, ${CONNECTIONS} connections; load ${loadAvg()}`,
);
const prepared: Record<string, PreparedCatalog> = {};
for (const engine of await engines()) {
  const needsCatalog = SCENARIOS.filter((s) => s !== 'start' && s !== 'baseline').some(wanted);
  const catalog = needsCatalog ? await prepareCatalog(engine, FULL, log) : undefined;
  if (catalog) prepared[engine.label] = catalog;
  let baselineRps: number | undefined;
  let baseline: Server | undefined;
  const catalogScenarios = [
    'detail-hit',
    'detail-miss',
    'list',
    'search-films',
    'search-persons',
    'mixed',
    'auth-vs-anon',
  ];
  if (wanted('baseline') || catalogScenarios.some((s) => wanted(s))) {
    baseline = await startBaseline(BASELINE_PORT);
    const l = loadAvg();
    const m = await measure(baseline, BASELINE_LOAD);
    baselineRps = m.rps;
    record(row(engine, 'baseline', 'baseline: bare Fastify, film-detail-sized JSON', m, undefined, l));
  }
  try {
    if (catalog) await runCatalogAndAuth(engine, catalog, baselineRps, baseline);
  } finally {
    await baseline?.stop();
  }
  if (catalog && wanted('ingest')) await runIngest(engine, catalog);
  // A cold rebuild of 100k films takes minutes; the short run times it on PostgreSQL only.
  if (catalog && wanted('etl-rebuild') && (LONG || only || engine.name === 'postgres'))
    await runEtl(engine, catalog);
  if (engine.name === 'pglite' && wanted('start')) await runStart();
}
const totalS = (Date.now() - started) / 1000;
log(`bench: done in ${totalS.toFixed(0)} s`);

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '' : digits > 0 ? n.toFixed(digits) : String(n);
const table = [
  '| engines | scenario | rate | p50 ms | p95 ms | p99 ms | errors | server RSS MB | server CPU ms/req | vs baseline | load avg | note |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.engine} | ${r.label} | ${r.rps !== undefined ? `${r.rps} ${r.unit ?? 'req/s'}` : ''} | ${fmt(r.p50, 1)} | ${fmt(r.p95, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.errors)} | ${fmt(r.rssMb)} | ${fmt(r.cpuMsPerReq, 3)} | ${r.vsBaseline !== undefined ? `${(r.vsBaseline * 100).toFixed(1)}%` : ''} | ${r.load} | ${r.note ?? ''} |`,
  ),
].join('\n');
const datasets = Object.entries(prepared)
  .map(
    ([label, c]) =>
      `- ${label}: ${c.counts.films} films, ${c.counts.genres} genres, ${c.counts.persons} persons, ${c.counts.personLinks} person links, ${c.counts.genreLinks} genre links (${c.freeFilmIds.length} FREE films)` +
      (c.generatedS !== null
        ? `; generated in ${c.generatedS.toFixed(1)} s, read model built in ${c.rebuiltS!.toFixed(1)} s`
        : '; reused from bench/.data'),
  )
  .join('\n');
const section = `<!-- generated by bench/run.ts -->
### Last run: ${new Date().toISOString().slice(0, 16)} UTC

Command: \`npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (${totalS.toFixed(0)} s).
Machine: ${machine()}, load average at start of each scenario in the table.
Load: autocannon, ${CONNECTIONS} connections, ${WARMUP} s warm-up then ${SECONDS} s, in the bench process on the same cores as the server.

${datasets}

${table}
<!-- end generated -->`;
console.log(section);
if (!args['no-write']) {
  writeGeneratedSection(section, '<!-- generated by bench/run.ts -->', '<!-- end generated -->');
  mkdirSync(dataRoot, { recursive: true });
  writeFileSync(
    path.join(dataRoot, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ args, rows, totalS }, null, 2),
  );
}
