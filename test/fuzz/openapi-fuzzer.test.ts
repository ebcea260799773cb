/**
 * The fuzzer checks itself: aimed at a small app whose OpenAPI document is honest for one route and
 * hides a defect on each of the others (a 500 on a NUL in a string, a 500 on a huge or non-finite
 * number, a body that does not match the declared schema, an error code the document does not
 * list), it must report each defect and nothing on the honest route. Were its checks off, this test would fail.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiFuzzer, type Json, type OpenApiFuzzer } from './openapi-fuzzer.js';

const problem = {
  description: 'Bad request',
  'x-error-codes': ['VALIDATION_FAILED'],
  content: { 'application/problem+json': { schema: { type: 'object', required: ['code'] } } },
};
const json = (schema: Json, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});

const doc: Json = {
  openapi: '3.1.0',
  info: { title: 'fuzzer self-check', version: '1' },
  paths: {
    '/echo': {
      get: {
        parameters: [
          { name: 'text', in: 'query', required: true, schema: { type: 'string', maxLength: 40 } },
        ],
        responses: {
          200: json({ type: 'object', required: ['text'], properties: { text: { type: 'string' } } }),
          400: problem,
        },
      },
    },
    '/count': {
      get: {
        parameters: [
          { name: 'n', in: 'query', required: true, schema: { type: 'integer', minimum: 1, maximum: 100 } },
        ],
        responses: {
          200: json({ type: 'object', required: ['n'], properties: { n: { type: 'integer' } } }),
          400: problem,
        },
      },
    },
    '/shape': {
      get: {
        responses: {
          200: json({ type: 'object', required: ['count'], properties: { count: { type: 'integer' } } }),
        },
      },
    },
    '/coded/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: {
          200: json({ type: 'object' }),
          400: problem,
          404: { ...problem, description: 'Not found', 'x-error-codes': ['THING_NOT_FOUND'] },
        },
      },
    },
    '/honest': {
      get: {
        parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }],
        responses: {
          200: json({ type: 'object', required: ['q'], properties: { q: { type: 'string' } } }),
        },
      },
    },
  },
};

/** The app behind the document, with the defects the fuzzer must find. */
function defectiveApp(): FastifyInstance {
  const app = Fastify();
  const refuse = (reply: { code(n: number): { type(t: string): { send(b: unknown): unknown } } }) =>
    reply.code(400).type('application/problem+json').send({ code: 'VALIDATION_FAILED' });
  app.get<{ Querystring: Record<string, string> }>('/echo', async (request, reply) => {
    const text = request.query.text ?? '';
    // The defect: a NUL reaches something that cannot store it.
    if (text.includes('\u0000')) return reply.code(500).send({ message: 'invalid byte sequence 0x00' });
    return { text };
  });
  app.get<{ Querystring: Record<string, string> }>('/count', async (request, reply) => {
    const n = Number(request.query.n);
    if (request.query.n === undefined || request.query.n.trim() === '' || Number.isNaN(n))
      return refuse(reply);
    // The defect: an integer beyond 2^53 (or Infinity) goes unchecked into a bigint column.
    if (!Number.isSafeInteger(n) && Math.abs(n) > Number.MAX_SAFE_INTEGER)
      return reply.code(500).send({ message: 'value out of range for type bigint' });
    if (!Number.isInteger(n) || n < 1 || n > 100) return refuse(reply);
    return { n };
  });
  // The defect: the body does not match the declared schema.
  app.get('/shape', async () => ({ count: 'three' }));
  // The defect: a code the document does not list for 404.
  app.get('/coded/:id', async (_request, reply) =>
    reply.code(404).type('application/problem+json').send({ code: 'GONE_FOR_GOOD' }),
  );
  app.get<{ Querystring: Record<string, string> }>('/honest', async (request) => ({
    q: String(request.query.q ?? ''),
  }));
  return app;
}

describe('the OpenAPI fuzzer finds planted defects', () => {
  let app: FastifyInstance;
  let fuzzer: OpenApiFuzzer;
  const RUNS = 40;

  beforeAll(async () => {
    app = defectiveApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    fuzzer = createOpenApiFuzzer({ doc, base: `http://127.0.0.1:${port}`, seed: 1, runs: RUNS });
    await fuzzer.run([{ name: 'anonymous', token: () => null }]);
  });
  afterAll(async () => {
    await app?.close();
  });

  const problems = (operation: string) =>
    fuzzer.findings.filter((f) => f.operation === operation).map((f) => `${f.problem} ← ${f.request.url}`);

  it('sends the requested number of requests to every operation', () => {
    expect(fuzzer.operations().map((o) => `${o.method} ${o.path}`)).toEqual([
      'get /echo',
      'get /count',
      'get /shape',
      'get /coded/{id}',
      'get /honest',
    ]);
    expect(fuzzer.sent).toBe(5 * RUNS);
  });

  it('reports a 500 on a NUL in a string', () => {
    const found = problems('GET /echo');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.startsWith('answered 500') && p.includes('%00'))).toBe(true);
  });

  it('reports a 500 on a huge or non-finite number', () => {
    const found = problems('GET /count');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.startsWith('answered 500'))).toBe(true);
  });

  it('reports a body that does not match its declared schema', () => {
    const found = problems('GET /shape');
    expect(found).toHaveLength(RUNS);
    expect(found[0]).toMatch(
      /answered 200 with a body that does not match its schema: data\/count must be integer/,
    );
  });

  it('reports an error code the document does not list for its status', () => {
    const found = problems('GET /coded/{id}');
    expect(found.length).toBeGreaterThan(0);
    expect(
      found.every((p) => p.startsWith('answered 404 GONE_FOR_GOOD, a code the document does not list')),
    ).toBe(true);
  });

  it('reports nothing where the app keeps its document', () => {
    expect(problems('GET /honest')).toEqual([]);
  });
});
