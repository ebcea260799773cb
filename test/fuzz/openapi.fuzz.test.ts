/**
 * The API fuzzed from its own OpenAPI document, over HTTP, against a real `kino start` in another
 * process (PGlite by default; PostgreSQL + Redis + NATS when their URLs are set). For every
 * operation it sends generated valid and hostile values for every path, query, header and body
 * field, anonymously and with an administrator's token, and fails on any 5xx, any answer slower
 * than 2 s (re-sent once first, so a scheduling hiccup on a loaded machine is not a failure), and
 * any answer whose status is not documented or whose body does not match the schema the document
 * declares for it.
 *
 * The seed is derived from the commit under test; KINO_FUZZ_SEED sets another (printed on every run); KINO_FUZZ_RUNS the requests per operation
 * and caller. Rate limits are off in the fuzzed server; operations that end sessions run last. The
 * machinery is openapi-fuzzer.ts; openapi-fuzzer.test.ts shows it finds planted defects.
 */
import { execFileSync } from 'node:child_process';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKinoServer, type KinoServer } from '../helpers/server-process.js';
import { createOpenApiFuzzer, type Json, type OpenApiFuzzer } from './openapi-fuzzer.js';

/** The seed comes from the commit under test, so the same commit always gets the same verdict. */
function commitSeed(): number {
  try {
    return parseInt(execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).slice(0, 7), 16);
  } catch {
    return 1;
  }
}
const SEED = Number(process.env.KINO_FUZZ_SEED ?? commitSeed());
const RUNS = Number(process.env.KINO_FUZZ_RUNS ?? 8);

/** Operations that end the caller's sessions or take access away run after all the others. */
const LAST = [/\/auth\/logout/, /\/sessions/, /\/users\/me\/(login|password)$/, /\/mfa\//, /\/roles/];
/** tus (resumable uploads) speaks its own protocol over these paths; files.tus.test.ts covers it. */
const SKIP = [/^\/api\/v1\/uploads/];

function externalServer(base: string, admin: string): KinoServer {
  const [login = '', password = ''] = admin.split(/:(.*)/s);
  const metrics = new URL('/metrics', base);
  metrics.port = '9464'; // METRICS_PORT's default; the fuzzer does not read it
  return {
    base,
    metrics: metrics.href,
    admin: { login, password },
    output: () => '',
    close: async () => undefined,
    async adminToken() {
      const res = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login, password }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    },
  };
}

describe('the API, fuzzed from its own OpenAPI document', () => {
  let server: KinoServer;
  let doc: Json;
  let fuzzer: OpenApiFuzzer | undefined;
  let adminToken: string;

  beforeAll(async () => {
    process.stdout.write(
      `openapi fuzz: seed ${SEED} (KINO_FUZZ_SEED=${SEED} repeats this run), ${RUNS} runs per operation and caller\n`,
    );
    // KINO_FUZZ_URL (with KINO_FUZZ_ADMIN=login:password) aims the run at a server already running.
    server = process.env.KINO_FUZZ_URL
      ? externalServer(process.env.KINO_FUZZ_URL, process.env.KINO_FUZZ_ADMIN ?? '')
      : await startKinoServer({ env: { KINO_RATE_LIMIT: 'off' } });
    adminToken = await server.adminToken();
    const res = await fetch(`${server.base}/api/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Json;
    fuzzer = createOpenApiFuzzer({ doc, base: server.base, seed: SEED, runs: RUNS, skip: SKIP, last: LAST });
  }, 420_000);

  afterAll(async () => {
    const byStatus = [...(fuzzer?.statuses ?? [])]
      .sort(([a], [b]) => a - b)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ');
    process.stdout.write(
      `openapi fuzz: ${fuzzer?.sent ?? 0} requests sent (${byStatus}), ${fuzzer?.findings.length ?? 0} finding(s), seed ${SEED}\n`,
    );
    await server?.close();
  }, 60_000);

  it('answers every generated request without a 5xx, within 2 s, as its document declares', async () => {
    const validation = await new Validator().validate(doc);
    expect(validation.errors ?? []).toEqual([]);
    const f = fuzzer!;
    // Ids to aim at: a few films, genres and persons of the demo catalogue.
    for (const path of [
      '/api/v1/films?page_size=20',
      '/api/v1/genres',
      '/api/v1/persons/search?query=a&page_size=20',
    ])
      f.harvest(await (await fetch(`${server.base}${path}`)).json());

    await f.run([
      { name: 'anonymous', token: () => null },
      {
        name: 'admin',
        token: () => adminToken,
        // The administrator's token may have been ended by the operation just sent: log in again.
        renew: async () => {
          adminToken = await server.adminToken();
        },
      },
    ]);
    expect(
      f.findings.length,
      `seed ${SEED}, ${f.sent} requests, ${f.findings.length} finding(s):\n${f.report()}`,
    ).toBe(0);
  }, 900_000);
});
