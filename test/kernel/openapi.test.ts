/**
 * The OpenAPI document of the real app (the kernel with every module), as /api/openapi.json and
 * Swagger UI serve it: valid OpenAPI 3.1 by an independent validator, every security requirement
 * names a defined scheme, every operation has its error responses as problem+json and an example
 * for every body, Swagger UI loads this document and its bearer scheme authorises a request, and
 * the docs page has a strict Content-Security-Policy that still lets Swagger UI's styles apply.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';

type Requirement = Record<string, string[]>;
interface Media {
  schema?: unknown;
  example?: { code?: string } | null;
}
interface Operation {
  security?: Requirement[];
  parameters?: unknown[];
  requestBody?: { content?: Record<string, Media> };
  responses: Record<
    string,
    { description?: string; 'x-error-codes'?: string[]; content?: Record<string, Media> }
  >;
}
interface Doc {
  openapi: string;
  security?: Requirement[];
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, Operation>>;
}
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

let kino: TestKino;
let doc: Doc;

beforeAll(async () => {
  kino = await createTestKino({ workers: false, env: { KINO_RATE_LIMIT: 'off' } });
  const res = await kino.app.inject('/api/openapi.json');
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(() => kino?.close());

function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item[m] ? [[`${m.toUpperCase()} ${path}`, item[m]] as [string, Operation]] : [])),
  );
}

describe('the OpenAPI document of the real app', () => {
  it('is valid OpenAPI 3.1 by an independent validator', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // Every module is in it.
    for (const prefix of [
      '/api/v1/auth',
      '/api/v1/films',
      '/api/v1/admin/films',
      '/api/v1/files',
      '/api/v1/events',
      '/api/v1/notifications',
    ])
      expect(
        Object.keys(doc.paths).some((p) => p.startsWith(prefix)),
        prefix,
      ).toBe(true);
  });

  it('names only security schemes it defines, and the bearer scheme is HTTP bearer', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const named = [doc.security, ...operations().map(([, op]) => op.security)]
      .flatMap((reqs) => reqs ?? [])
      .flatMap((r) => Object.keys(r));
    expect(named.length).toBeGreaterThan(50);
    expect([...new Set(named)].filter((n) => !(n in schemes))).toEqual([]);
  });

  it('gives every operation a success response, its error responses as problem+json, and examples', () => {
    const missing: string[] = [];
    for (const [name, op] of operations()) {
      const responses = op.responses;
      const statuses = Object.keys(responses);
      if (!statuses.some((s) => /^[23]/.test(s))) missing.push(`${name}: no success response`);
      if (!responses.default) missing.push(`${name}: no default error response`);
      const security = op.security ?? doc.security ?? [];
      if (security.some((s) => 'bearer' in s) && !responses['401']) missing.push(`${name}: no 401`);
      if ((op.parameters?.length || op.requestBody) && !responses['400']) missing.push(`${name}: no 400`);
      for (const [status, response] of Object.entries(responses)) {
        const content = response.content;
        if (/^[45]|default/.test(status)) {
          const problem = content?.['application/problem+json'];
          if (!problem?.schema) missing.push(`${name} ${status}: not problem+json`);
          else if (!problem.example?.code) missing.push(`${name} ${status}: no example`);
        } else {
          for (const [type, media] of Object.entries(content ?? {}))
            if (media.example === undefined) missing.push(`${name} ${status} ${type}: no example`);
        }
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        if (media.example === undefined) missing.push(`${name} body ${type}: no example`);
    }
    expect(missing).toEqual([]);
  });

  it("names each route's error codes under their statuses, a code always under the same status", () => {
    const film = doc.paths['/api/v1/films/{uuid}']!.get!.responses;
    expect(film['404']?.['x-error-codes']).toEqual(['FILM_NOT_FOUND']);
    expect(film['403']?.['x-error-codes']).toEqual(['FILM_ACCESS_DENIED']);
    expect(film['400']?.['x-error-codes']).toEqual(['VALIDATION_FAILED', 'INVALID_URL']);
    expect(film['401']?.['x-error-codes']).toEqual(
      expect.arrayContaining(['TOKEN_EXPIRED', 'TOKEN_INVALID']),
    );
    expect(film['404']?.content?.['application/problem+json']?.example?.code).toBe('FILM_NOT_FOUND');
    expect(film['404']?.description).toContain('- `FILM_NOT_FOUND`: There is no film with this id.');
    const search = doc.paths['/api/v1/films/search']!.get!.responses;
    expect(search['429']?.['x-error-codes']).toEqual(['SEARCH_RATE_LIMITED']);

    const statusOf = new Map<string, string>();
    const wrong: string[] = [];
    for (const [name, op] of operations()) {
      if ('x-errors' in op) wrong.push(`${name}: x-errors left in the document`);
      for (const [status, response] of Object.entries(op.responses))
        for (const code of response['x-error-codes'] ?? []) {
          const seen = statusOf.get(code) ?? status;
          if (seen !== status) wrong.push(`${name}: ${code} under ${status}, elsewhere under ${seen}`);
          if (!response.description?.includes(`\`${code}\``))
            wrong.push(`${name} ${status}: ${code} not described`);
          statusOf.set(code, status);
        }
    }
    expect(wrong).toEqual([]);
  });

  it('is what Swagger UI loads, and its bearer scheme authorises a request', async () => {
    const initializer = await kino.app.inject('/api/docs/static/swagger-initializer.js');
    expect(initializer.statusCode).toBe(200);
    const url = /url: resolveUrl\('\.\/([^']+)'\)/.exec(initializer.body)?.[1];
    expect(url).toBe('json');
    expect(initializer.body).toContain('"persistAuthorization":true');
    const loaded = await kino.app.inject(`/api/docs/${url}`);
    expect(loaded.statusCode).toBe(200);
    expect(loaded.json()).toEqual(doc);

    // What Authorize does with an http/bearer scheme: send "Authorization: Bearer <token>".
    const scheme = doc.components.securitySchemes.bearer!;
    expect(doc.paths['/api/v1/users/me']?.get?.security).toEqual([{ bearer: [] }]);
    const password = 'Docs-Reader-Passw0rd!';
    const registered = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { login: 'docsreader', email: 'docs@example.com', password },
    });
    expect(registered.statusCode).toBe(201);
    const token = registered.json<{ access_token: string }>().access_token;
    const header = `${scheme.scheme.replace(/^./, (c) => c.toUpperCase())} ${token}`;
    const me = await kino.app.inject({ url: '/api/v1/users/me', headers: { authorization: header } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ login: 'docsreader' });
    const anonymous = await kino.app.inject('/api/v1/users/me');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('serves the docs page under a strict CSP that allows exactly the styles Swagger UI inserts', async () => {
    const page = await kino.app.inject('/api/docs/');
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    const directive = (name: string) =>
      csp
        .split(';')
        .map((d) => d.trim())
        .find((d) => d.startsWith(`${name} `)) ?? '';
    expect(directive('script-src')).toBe("script-src 'self'");
    expect(directive('style-src')).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    // The logo's <style> text, hashed: without it in style-src the browser refuses it.
    const preset = readFileSync(
      createRequire(import.meta.url).resolve('@fastify/swagger-ui/static/swagger-ui-standalone-preset.js'),
      'utf8',
    );
    const css = /createElement\("style",null,("(?:[^"\\]|\\.)*")\)/.exec(preset)?.[1];
    expect(css).toBeDefined();
    const hash = createHash('sha256')
      .update(JSON.parse(css!) as string)
      .digest('base64');
    expect(directive('style-src')).toContain(`'sha256-${hash}'`);
    // Elsewhere the product's own policy applies.
    const api = await kino.app.inject('/api/v1/genres');
    expect(String(api.headers['content-security-policy'])).not.toContain('sha256-');
  });
});
