/**
 * The catalog honours real access tokens from the auth module: a viewer without a subscription
 * (UNSUB_USER) sees FREE films only, and after logout the same token is refused at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';

let kino: TestKino;
const ids: Record<'FREE' | 'PAID' | 'ARCHIVED', string> = { FREE: '', PAID: '', ARCHIVED: '' };

beforeAll(async () => {
  kino = await createTestKino({ modules: ['auth', 'catalog', 'etl'], env: { KINO_RATE_LIMIT: 'off' } });
  const content = kino.kernel.services.require('content');
  const actor = { id: null, login: 'test' };
  for (const access of ['FREE', 'PAID', 'ARCHIVED'] as const) {
    ids[access] = (await content.createFilm({ title: `Token film ${access}`, rating: 7, access }, actor)).id;
  }
  await kino.settle();
});
afterAll(async () => kino?.close());

const titles = (body: string) => (JSON.parse(body) as { title: string }[]).map((f) => f.title).sort();

describe('catalog with auth tokens', () => {
  it('an UNSUB_USER token sees FREE films only; a PAID film by id is 403; logout refuses the token at once', async () => {
    const reg = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { login: 'viewer1', email: 'viewer1@example.com', password: 'a long enough passphrase' },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const { access_token: token } = reg.json<{ access_token: string }>();
    const headers = { authorization: `Bearer ${token}` };

    const list = await kino.app.inject({ url: '/api/v1/films?page_size=100', headers });
    expect(list.statusCode).toBe(200);
    expect(titles(list.body)).toEqual(['Token film FREE']);
    expect(list.headers['x-total-count']).toBe('1');
    expect((await kino.app.inject({ url: `/api/v1/films/${ids.FREE}`, headers })).statusCode).toBe(200);
    expect((await kino.app.inject({ url: `/api/v1/films/${ids.PAID}`, headers })).statusCode).toBe(403);
    expect((await kino.app.inject({ url: `/api/v1/films/${ids.ARCHIVED}`, headers })).statusCode).toBe(403);

    const logout = await kino.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers });
    expect(logout.statusCode).toBe(204);
    const after = await kino.app.inject({ url: '/api/v1/films', headers });
    expect(after.statusCode).toBe(401);
    expect(after.json<{ code: string }>().code).toMatch(/^TOKEN_/);
    // Anonymous callers still see the FREE film.
    expect(titles((await kino.app.inject({ url: '/api/v1/films' })).body)).toEqual(['Token film FREE']);
  });

  it('a tampered token is refused with 401 even on a public catalog route', async () => {
    const reg = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { login: 'viewer2', email: 'viewer2@example.com', password: 'another long passphrase' },
    });
    const { access_token: token } = reg.json<{ access_token: string }>();
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    payload.permissions = ['FREE_FILMS', 'PAID_FILMS', 'CRUD_FILMS'];
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    const res = await kino.app.inject({
      url: '/api/v1/films',
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(res.statusCode).toBe(401);
  });
});
