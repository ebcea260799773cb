/** The HTTP kernel: problem+json errors, request ids, health, readiness, the request histogram, docs. */
import { Writable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpApp } from '../../src/platform/http/app.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { defineErrors } from '../../src/platform/errors.js';
import { refuseAllTokens } from '../../src/platform/security.js';

const itemErrors = defineErrors({ ITEM_NOT_FOUND: { status: 404, message: 'No such item.' } });

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let app: HttpApp;
let healthy = true;
const metrics = createMetrics();

beforeAll(async () => {
  app = await createHttpApp({
    logger: createLogger('info', sink),
    metrics,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    docs: true,
    https: false,
    version: 'test',
    tokens: refuseAllTokens,
    readiness: [
      { name: 'sql:test', check: async () => undefined },
      {
        name: 'cache:test',
        check: async () => {
          if (!healthy) throw new Error('connection refused');
        },
      },
    ],
    plugins: [
      async (instance) => {
        const app = instance as unknown as HttpApp;
        app.post(
          '/echo',
          {
            schema: {
              body: Type.Object({ n: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
            },
          },
          async (request) => request.body,
        );
        app.get(
          '/items/:id',
          { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } },
          async () => {
            throw itemErrors.ITEM_NOT_FOUND();
          },
        );
        app.get('/boom', async () => {
          throw new Error('database password is hunter2');
        });
      },
    ],
  });
  await app.ready();
});
afterAll(async () => app.close());

const problemOf = (body: string) =>
  JSON.parse(body) as {
    status: number;
    code: string;
    title: string;
    detail: string;
    type: string;
    errors?: unknown[];
  };

describe('http kernel', () => {
  it('answers /health and /ready, and 503 on /ready when an engine is down', async () => {
    expect((await app.inject('/health')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { 'sql:test': 'ok', 'cache:test': 'ok' } });
    healthy = false;
    const down = await app.inject('/ready');
    healthy = true;
    expect(down.statusCode).toBe(503);
    expect(down.json<{ checks: Record<string, string> }>().checks['cache:test']).toBe('connection refused');
  });

  it('malformed JSON → 400 problem+json, logged without a stack at error level', async () => {
    const before = lines.length;
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"n":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemOf(res.body)).toMatchObject({ status: 400, code: 'INVALID_JSON', title: 'Bad Request' });
    expect(
      lines.slice(before).some((l) => l.level === 'error' || 'stack' in JSON.parse(JSON.stringify(l))),
    ).toBe(false);
  });

  it('invalid body → 400 with field errors', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { n: 0, extra: 1 } });
    expect(res.statusCode).toBe(400);
    const p = problemOf(res.body);
    expect(p.code).toBe('VALIDATION_FAILED');
    expect(p.errors?.length).toBeGreaterThan(0);
  });

  it('a 2 MB body where the limit is 1 MB → 413', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: `{"n":1,"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`,
    });
    expect(res.statusCode).toBe(413);
    expect(problemOf(res.body).code).toBe('BODY_TOO_LARGE');
  });

  it('an unsupported media type → 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<n>1</n>',
    });
    expect(res.statusCode).toBe(415);
    expect(problemOf(res.body).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('unknown route → 404; bad uuid → 400; AppError keeps its status and code', async () => {
    expect(problemOf((await app.inject('/nope')).body)).toMatchObject({
      status: 404,
      code: 'ROUTE_NOT_FOUND',
    });
    expect((await app.inject('/items/not-a-uuid')).statusCode).toBe(400);
    expect(problemOf((await app.inject('/items/6f1a4c2e-0a57-4d4c-9a53-3c1e1d7b9f10')).body)).toMatchObject({
      status: 404,
      code: 'ITEM_NOT_FOUND',
    });
  });

  it('an unexpected error → generic 500 body; the cause only in the log, with the request id', async () => {
    const res = await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-boom-1' } });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(problemOf(res.body).code).toBe('INTERNAL_ERROR');
    const logged = lines.find((l) => l.request_id === 'req-boom-1' && l.level === 'error');
    expect(JSON.stringify(logged)).toContain('hunter2');
  });

  it('keeps a valid X-Request-Id, replaces an invalid one, and logs it on every line', async () => {
    const kept = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(lines.some((l) => l.request_id === 'abc-123' && l.msg === 'request completed')).toBe(true);
    const replaced = await app.inject({ url: '/health', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await app.inject('/health')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs authorization headers', async () => {
    await app.inject({
      url: '/boom',
      headers: { authorization: 'Bearer secret-token-value', 'x-request-id': 'req-auth' },
    });
    expect(JSON.stringify(lines)).not.toContain('secret-token-value');
  });

  it('refuses a present but malformed token with 401 even on a public route', async () => {
    const res = await app.inject({ url: '/health', headers: { authorization: 'Basic abc' } });
    expect(res.statusCode).toBe(401);
    expect(problemOf(res.body).code).toBe('TOKEN_MALFORMED');
  });

  it('sets security headers and records the request histogram, without a /metrics route', async () => {
    const res = await app.inject('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    // Built once, applied to every answer: problem responses of unknown routes too.
    const missing = await app.inject('/no-such-route');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-security-policy']).toBe(res.headers['content-security-policy']);
    expect(missing.headers['cross-origin-resource-policy']).toBe('same-site');
    const scraped = await app.inject('/metrics');
    expect(scraped.statusCode).toBe(404);
    expect(problemOf(scraped.body).code).toBe('ROUTE_NOT_FOUND');
    const text = await metrics.registry.metrics();
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toMatch(/route="\/health",status_code="200"/);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('a request line over the parser limit → 431 problem+json, not the framework default', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/health?q=${'a'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });

  it('serves the OpenAPI document and the docs UI', async () => {
    const doc = (await app.inject('/api/openapi.json')).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/echo');
    expect((await app.inject('/api/docs/')).statusCode).toBe(200);
  });
});
