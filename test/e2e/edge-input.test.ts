/**
 * Bad input is refused at the edge with 400 problem+json, never 500, over real HTTP against a
 * started `kino start` (issue #16 item 4): a NUL (U+0000) or an unpaired surrogate in any string
 * (auth, catalog and users search, admin edits of films, genres, persons and templates), and
 * non-finite or oversized numbers (page_size=1e309, page_number=9223372036854775808, a JSON body
 * number of 1e309) on every paged route the OpenAPI document lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKinoServer, type KinoServer } from '../helpers/server-process.js';

let server: KinoServer;
let admin: string;
let filmId: string;
let genreId: string;
let personId: string;

beforeAll(async () => {
  server = await startKinoServer({ env: { KINO_RATE_LIMIT: 'off' } });
  admin = await server.adminToken();
  const first = async (path: string) => {
    const res = await fetch(`${server.base}${path}`, { headers: { authorization: `Bearer ${admin}` } });
    const rows = (await res.json()) as { id: string }[];
    return rows[0]!.id;
  };
  filmId = await first('/api/v1/admin/films?page_size=1');
  genreId = await first('/api/v1/admin/genres?page_size=1');
  personId = await first('/api/v1/admin/persons?page_size=1');
}, 420_000);

afterAll(() => server?.close(), 60_000);

interface Call {
  method?: string;
  path: string;
  /** A JSON text, so that number tokens such as 1e309 reach the server as written. */
  body?: string;
  auth?: boolean;
}

async function call({ method = 'GET', path, body, auth }: Call) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth) headers.authorization = `Bearer ${admin}`;
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

async function expectRefused(c: Call) {
  const res = await call(c);
  expect(res.status, `${c.method ?? 'GET'} ${c.path} ${c.body ?? ''} → ${res.text.slice(0, 200)}`).toBe(400);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(res.text)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
}

/** JSON with the escape written out, so the server's parser makes the NUL or the lone surrogate. */
const NUL = 'a\\u0000b';
const SURROGATE = 'a\\ud800b';

describe('a NUL or an unpaired surrogate in a string is a 400, not a 500', () => {
  it.each([NUL, SURROGATE])('auth: login, register, forgot-password (%s)', async (bad) => {
    await expectRefused({
      method: 'POST',
      path: '/api/v1/auth/login',
      body: `{"login":"${bad}","password":"secret-secret"}`,
    });
    await expectRefused({
      method: 'POST',
      path: '/api/v1/auth/login',
      body: `{"login":"someone","password":"${bad}"}`,
    });
    await expectRefused({
      method: 'POST',
      path: '/api/v1/auth/register',
      body: `{"login":"${bad}","email":"x@example.com","password":"Long-enough-1"}`,
    });
    await expectRefused({
      method: 'POST',
      path: '/api/v1/auth/register',
      body: `{"login":"edgeuser","email":"x@example.com","password":"Long-${bad}-enough-1"}`,
    });
    await expectRefused({
      method: 'POST',
      path: '/api/v1/auth/password/forgot',
      body: `{"email":"${bad}@example.com"}`,
    });
  });

  it('catalog and users search: a NUL in the query string', async () => {
    await expectRefused({ path: '/api/v1/films/search?query=a%00b' });
    await expectRefused({ path: '/api/v1/persons/search?query=%00' });
    await expectRefused({ path: '/api/v1/users?query=a%00', auth: true });
    await expectRefused({ path: '/api/v1/admin/films?q=%00', auth: true });
  });

  it.each([NUL, SURROGATE])(
    'admin: create and update of films, genres, persons and templates (%s)',
    async (bad) => {
      await expectRefused({
        method: 'POST',
        path: '/api/v1/admin/films',
        auth: true,
        body: `{"title":"${bad}"}`,
      });
      await expectRefused({
        method: 'PATCH',
        path: `/api/v1/admin/films/${filmId}`,
        auth: true,
        body: `{"title":"${bad}"}`,
      });
      await expectRefused({
        method: 'POST',
        path: '/api/v1/admin/genres',
        auth: true,
        body: `{"name":"${bad}"}`,
      });
      await expectRefused({
        method: 'PATCH',
        path: `/api/v1/admin/genres/${genreId}`,
        auth: true,
        body: `{"name":"${bad}"}`,
      });
      await expectRefused({
        method: 'POST',
        path: '/api/v1/admin/persons',
        auth: true,
        body: `{"full_name":"${bad}"}`,
      });
      await expectRefused({
        method: 'PATCH',
        path: `/api/v1/admin/persons/${personId}`,
        auth: true,
        body: `{"full_name":"${bad}"}`,
      });
      await expectRefused({
        method: 'PUT',
        path: '/api/v1/admin/notifications/templates/welcome/en',
        auth: true,
        body: `{"category":"news","subject":"${bad}","body_text":"Hello","body_html":"<p>Hello</p>"}`,
      });
      // In an object key too (a free-form JSON field would store it as is).
      await expectRefused({
        method: 'POST',
        path: '/api/v1/admin/genres',
        auth: true,
        body: `{"${bad}":1,"name":"ok"}`,
      });
    },
  );
});

describe('a non-finite or oversized number is a 400, not a 500', () => {
  const HUGE = [
    'page_size=1e309',
    'page_number=1e309',
    'page_number=-1e309',
    'page_number=9223372036854775808',
  ];

  it('on every paged route of the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.base}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    const paged = Object.entries(doc.paths)
      .filter(([, item]) => item.get?.parameters?.some((p) => p.in === 'query' && p.name === 'page_number'))
      .map(([path]) => path);
    expect(paged.length).toBeGreaterThanOrEqual(15);
    for (const template of paged) {
      const path = template.replace(/\{[^}]+\}/g, filmId);
      const search = /search$/.test(path) ? 'query=a&' : '';
      for (const huge of HUGE) await expectRefused({ path: `${path}?${search}${huge}`, auth: true });
    }
  }, 300_000);

  it('in a JSON body', async () => {
    await expectRefused({
      method: 'PUT',
      path: `/api/v1/films/${filmId}/rating`,
      auth: true,
      body: '{"score":1e309}',
    });
    await expectRefused({
      method: 'PUT',
      path: `/api/v1/progress/${filmId}`,
      auth: true,
      body: '{"position_s":9223372036854775808}',
    });
    await expectRefused({
      method: 'POST',
      path: '/api/v1/admin/films',
      auth: true,
      body: '{"title":"x","rating":1e309}',
    });
  });
});
