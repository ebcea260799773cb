/**
 * Auth throughput: logins/s (argon2id verify + session + signed token), refresh/s (rotation in a
 * transaction + signed token), and the cost of verifying an access token on a request
 * (authenticated rps / anonymous rps on the same route). Runs one in-process server on the
 * engines chosen by the environment, with rate limits off.
 *
 *   npx tsx bench/auth.bench.ts            (PGlite, in-memory cache)
 *   DATABASE_URL=postgres://…/kino_bench_auth REDIS_URL=redis://…/15 npx tsx bench/auth.bench.ts
 *   (a database of its own: the bench migrates it and leaves its rows behind)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { createKernel } from '../src/runtime/kernel.js';

const PORT = Number(process.env.BENCH_PORT ?? 18103);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const base = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-bench-auth-'));
const config = loadConfig({
  ...process.env,
  KINO_DATA_DIR: dataDir,
  PORT: String(PORT),
  KINO_RATE_LIMIT: 'off',
  AUTH_LOCKOUT_THRESHOLD: '100',
  LOG_LEVEL: 'silent',
  API_DOCS: 'off',
});
const kernel = await createKernel({
  config,
  logger: createLogger('silent'),
  modules: ['auth'],
  http: true,
  workers: [],
  relay: false,
  migrate: true,
});
await kernel.app!.listen({ port: PORT, host: '127.0.0.1' });

const post = async (url: string, body: unknown) => {
  const res = await fetch(base + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { access_token: string; refresh_token: string };
};

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ duration: SECONDS, connections: CONNECTIONS, ...opts }, (err, result) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result),
    );
  });
}

const summary = (name: string, r: autocannon.Result) => ({
  name,
  rps: Math.round(r.requests.average),
  p50_ms: r.latency.p50,
  p99_ms: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors,
});

try {
  const password = 'benchmark password 42';
  const first = await post('/api/v1/auth/register', { login: 'bench', email: 'bench@example.com', password });
  const results = [];

  results.push(
    summary(
      'login',
      await cannon({
        url: `${base}/api/v1/auth/login`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'bench', password }),
      }),
    ),
  );

  // Every request takes an unused refresh token from the pool and puts its successor back,
  // so no token is ever presented twice (autocannon resets per-connection context each loop).
  const pool: string[] = [];
  for (let i = 0; i < CONNECTIONS * 2; i++)
    pool.push((await post('/api/v1/auth/login', { login: 'bench', password })).refresh_token);
  results.push(
    summary(
      'refresh',
      await cannon({
        url: `${base}/api/v1/auth/refresh`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({ refresh_token: pool.shift() ?? 'none' }),
            }),
            onResponse: (status, body) => {
              if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
            },
          },
        ],
      }),
    ),
  );

  // Warm up, then measure the same route without and with a token.
  await cannon({ url: `${base}/health`, duration: 3 });
  // Interleaved rounds, so load from elsewhere on the machine hits both sides alike.
  const rounds = { anonymous: [] as autocannon.Result[], authenticated: [] as autocannon.Result[] };
  const measure = async (withToken: boolean) =>
    (withToken ? rounds.authenticated : rounds.anonymous).push(
      await cannon({
        url: `${base}/health`,
        duration: Math.max(2, SECONDS / 3),
        ...(withToken ? { headers: { authorization: `Bearer ${first.access_token}` } } : {}),
      }),
    );
  for (let i = 0; i < 3; i++) {
    // Alternate which side goes first, so drift does not favour one.
    await measure(i % 2 === 0);
    await measure(i % 2 !== 0);
  }
  const avg = (rs: autocannon.Result[]) => rs.reduce((sum, r) => sum + r.requests.average, 0) / rs.length;
  const anonymous = {
    ...rounds.anonymous[0]!,
    requests: { ...rounds.anonymous[0]!.requests, average: avg(rounds.anonymous) },
  };
  const authenticated = {
    ...rounds.authenticated[0]!,
    requests: { ...rounds.authenticated[0]!.requests, average: avg(rounds.authenticated) },
  };
  results.push(
    summary('GET /health anonymous', anonymous),
    summary('GET /health with access token', authenticated),
  );
  console.log(
    JSON.stringify(
      {
        engines: `${kernel.engines.sql.engine}+${kernel.engines.cache.engine}`,
        seconds: SECONDS,
        connections: CONNECTIONS,
        results,
        verification_ratio: Number((authenticated.requests.average / anonymous.requests.average).toFixed(2)),
      },
      null,
      2,
    ),
  );
} finally {
  await kernel.close();
  rmSync(dataDir, { recursive: true, force: true });
}
