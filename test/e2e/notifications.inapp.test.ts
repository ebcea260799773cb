/**
 * In-app channel: the inbox API, live push over WebSocket driven by the event (no poll on the way), closing on
 * logout, the hourly digest of review likes, and quiet hours that defer rather than drop.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseMail } from '../helpers/smtp-server.js';
import { eventually } from '../helpers/engines.js';
import { countRows, registered, startNotifyKino, type NotifyKino } from './notifications.fixture.js';

interface Frame {
  type: string;
  unread?: number;
  notification?: { id: string; title: string; body: string; category: string; data: Record<string, unknown> };
}

function openSocket(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on('message', (raw: Buffer) => {
    frames.push(JSON.parse(raw.toString()) as Frame);
    waiters.splice(0).forEach((w) => w());
  });
  ws.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (type: string, timeoutMs = 30_000): Promise<Frame> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = frames.findIndex((f) => f.type === type);
      if (i >= 0) return frames.splice(i, 1)[0]!;
      if (closed) throw new Error(`socket closed ${closed.code} ${closed.reason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  const closedWith = () => eventually(() => closed) as Promise<{ code: number; reason: string }>;
  return { ws, frames, next, closedWith, opened: new Promise((r) => ws.once('open', r)) };
}

describe('notifications: in-app, live push, digests, quiet hours', () => {
  let n: NotifyKino;
  let base: string;

  beforeAll(async () => {
    // Both background polls are 10 minutes here: a frame that arrives at all was pushed because an
    // event was handled, not found by a poll, and no test waits for one.
    n = await startNotifyKino({ env: { NOTIFY_POLL_MS: '600000', NOTIFY_LIVE_POLL_MS: '600000' } });
    await n.kino.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = n.kino.app.server.address() as AddressInfo;
    base = `ws://127.0.0.1:${port}/api/v1/notifications/ws`;
  });
  afterAll(async () => {
    await n?.close();
  });

  const like = (authorId: string, filmId = randomUUID()) =>
    n.emit('ugc.review.liked', authorId, {
      reviewId: randomUUID(),
      filmId,
      authorId,
      likerId: randomUUID(),
    });

  it('pushes an in-app notification over WebSocket as the event is handled, with no poll on the way', async () => {
    const author = registered();
    await n.emit('auth.user.registered', author.userId, author);
    await n.emit('content.film.upserted', 'f', {
      film: {
        id: '11111111-1111-4111-8111-111111111111',
        title: 'Solaris',
        description: null,
        creation_date: null,
        rating: 8.1,
        type: 'movie',
        access: 'PAID',
        genre_ids: [],
        person_ids: [],
        version: 1,
        modified: '2026-03-01T00:00:00Z',
      },
      previous: null,
    });
    await n.settle(); // the welcome message is out before the socket opens
    const socket = openSocket(`${base}?access_token=${n.tokenFor(author.userId)}`);
    const ready = await socket.next('ready');
    expect(typeof ready.unread).toBe('number');

    // The time is reported, not asserted: on a loaded machine it says nothing about the code.
    const started = performance.now();
    await like(author.userId, '11111111-1111-4111-8111-111111111111');
    const frame = await socket.next('notification', 15_000);
    process.stderr.write(`in-app push, event to frame: ${(performance.now() - started).toFixed(0)} ms\n`);
    expect(frame.notification!.category).toBe('social');
    expect(frame.notification!.title).toBe('Someone liked your review of Solaris');
    socket.ws.close();
  });

  it('accepts the token in the first message and refuses a bad one', async () => {
    const user = registered();
    await n.emit('auth.user.registered', user.userId, user);
    const good = openSocket(base);
    await good.opened;
    good.ws.send(JSON.stringify({ type: 'auth', access_token: n.tokenFor(user.userId) }));
    expect((await good.next('ready')).type).toBe('ready');
    good.ws.close();

    const bad = openSocket(base);
    await bad.opened;
    bad.ws.send(JSON.stringify({ type: 'auth', access_token: 'not-a-token' }));
    expect((await bad.closedWith()).code).toBe(4401);

    const badQuery = openSocket(`${base}?access_token=nope`);
    expect((await badQuery.closedWith()).code).toBe(4401);
  });

  it('closes the socket when its session is revoked', async () => {
    const user = registered();
    await n.emit('auth.user.registered', user.userId, user);
    const sessionId = randomUUID();
    const socket = openSocket(`${base}?access_token=${n.tokenFor(user.userId, { sessionId })}`);
    await socket.next('ready');
    await n.emit('auth.session.revoked', user.userId, { userId: user.userId, sessionIds: [sessionId] });
    expect((await socket.closedWith()).code).toBe(4001);
  });

  it('lists, counts and marks the inbox as read', async () => {
    const user = registered();
    await n.emit('auth.user.registered', user.userId, user);
    await like(user.userId);
    await like(user.userId);
    await n.settle();
    const headers = n.auth(user.userId);
    const all = await n.kino.app.inject({ url: '/api/v1/notifications?page_size=2', headers });
    expect(all.statusCode).toBe(200);
    expect(all.headers['x-total-count']).toBe('3'); // welcome + two likes
    const items = all.json<{ id: string; read_at: string | null }[]>();
    expect(items).toHaveLength(2);
    const read = await n.kino.app.inject({
      method: 'POST',
      url: `/api/v1/notifications/${items[0]!.id}/read`,
      headers,
    });
    expect(read.statusCode).toBe(204);
    const unread = await n.kino.app.inject({ url: '/api/v1/notifications?unread=true', headers });
    expect(unread.headers['x-total-count']).toBe('2');
    const other = await n.kino.app.inject({
      method: 'POST',
      url: `/api/v1/notifications/${items[1]!.id}/read`,
      headers: n.auth(randomUUID()),
    });
    expect(other.statusCode).toBe(404);
    expect(other.json<{ code: string }>().code).toBe('NOTIFICATION_NOT_FOUND');
    expect(
      (await n.kino.app.inject({ method: 'POST', url: '/api/v1/notifications/read-all', headers }))
        .statusCode,
    ).toBe(204);
    const none = await n.kino.app.inject({ url: '/api/v1/notifications?unread=true', headers });
    expect(none.headers['x-total-count']).toBe('0');
    expect((await n.kino.app.inject({ url: '/api/v1/notifications' })).statusCode).toBe(401);
    const metrics = await n.kino.kernel.metrics.registry.metrics();
    expect(metrics).toMatch(
      /kino_notifications_deliveries_total\{[^}]*channel="in_app"[^}]*outcome="sent"[^}]*\} [1-9]/,
    );
    expect((await n.kino.app.inject({ url: '/api/v1/notifications?page_size=0', headers })).statusCode).toBe(
      400,
    );
  });

  it('gathers 5 likes in one hour into one digest mail', async () => {
    const mailDir = path.join(n.kino.dataDir, 'mail');
    const digestsTo = (email: string) => {
      let files: string[] = [];
      try {
        files = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
      } catch {
        files = [];
      }
      return files
        .map((f) => parseMail(readFileSync(path.join(mailDir, f), 'utf8')))
        .filter((m) => (m.headers.to ?? '').includes(email) && m.headers['x-kino-category'] === 'social');
    };
    const author = registered();
    n.clock.set('2026-03-02T12:05:00Z');
    await n.emit('auth.user.registered', author.userId, author);
    for (let i = 0; i < 5; i++) {
      n.clock.advance(10 * 60_000); // 12:15 … 12:55
      await like(author.userId);
    }
    await n.settle();
    expect(digestsTo(author.email)).toHaveLength(0); // the hour is not over
    n.clock.set('2026-03-02T13:00:00Z');
    await n.settle();
    const mails = digestsTo(author.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('5 new likes on your reviews');
    // The next hour's like starts a new digest.
    n.clock.set('2026-03-02T13:10:00Z');
    await like(author.userId);
    n.clock.set('2026-03-02T14:00:00Z');
    await n.settle();
    const after = digestsTo(author.email);
    expect(after).toHaveLength(2);
    expect(after.map((m) => m.subject).sort()).toEqual([
      '1 new like on your reviews',
      '5 new likes on your reviews',
    ]);
    expect(
      await countRows(
        n.kino,
        `SELECT count(*)::int AS n FROM notify.inbox WHERE user_id = $1 AND category = 'social'`,
        [author.userId],
      ),
    ).toBe(6);
  });

  it('defers messages during quiet hours and delivers them when the hours end', async () => {
    const user = registered();
    n.clock.set('2026-03-02T18:00:00Z');
    await n.emit('auth.user.registered', user.userId, user);
    await n.settle();
    const put = await n.kino.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/preferences',
      headers: n.auth(user.userId),
      payload: { time_zone: 'Europe/Moscow', quiet_hours: { start: '22:00', end: '08:00' } },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json<{ quiet_hours: unknown; time_zone: string }>()).toMatchObject({
      time_zone: 'Europe/Moscow',
      quiet_hours: { start: '22:00', end: '08:00' },
    });
    const inbox = () =>
      countRows(
        n.kino,
        `SELECT count(*)::int AS n FROM notify.inbox WHERE user_id = $1 AND category = 'social'`,
        [user.userId],
      );
    n.clock.set('2026-03-02T20:30:00Z'); // 23:30 in Moscow
    await like(user.userId);
    await n.settle();
    expect(await inbox()).toBe(0);
    const [row] = await n.kino.kernel.engines.sql.query<{
      status: string;
      next_attempt_at: Date;
      attempts: number;
    }>(
      `SELECT status, next_attempt_at, attempts FROM notify.delivery WHERE user_id = $1 AND channel = 'in_app' AND category = 'social'`,
      [user.userId],
    );
    expect(row).toMatchObject({ status: 'pending', attempts: 0 });
    expect(row!.next_attempt_at.toISOString()).toBe('2026-03-03T05:00:00.000Z'); // 08:00 in Moscow
    n.clock.set('2026-03-03T04:59:00Z');
    await n.settle();
    expect(await inbox()).toBe(0);
    n.clock.set('2026-03-03T05:00:00Z');
    await n.settle();
    expect(await inbox()).toBe(1);
    const [email] = await n.kino.kernel.engines.sql.query<{ status: string }>(
      `SELECT status FROM notify.delivery WHERE user_id = $1 AND channel = 'email' AND category = 'social'`,
      [user.userId],
    );
    expect(email!.status).toBe('sent');
  });

  it('validates preferences', async () => {
    const headers = n.auth(randomUUID());
    const tz = await n.kino.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/preferences',
      headers,
      payload: { time_zone: 'Mars/Olympus' },
    });
    expect(tz.json<{ code: string }>().code).toBe('TIME_ZONE_UNKNOWN');
    const quiet = await n.kino.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/preferences',
      headers,
      payload: { quiet_hours: { start: '25:00', end: '08:00' } },
    });
    expect(quiet.statusCode).toBe(400);
    const unknown = await n.kino.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/preferences',
      headers,
      payload: { categories: { spam: { email: true } } },
    });
    expect(unknown.statusCode).toBe(400);
  });
});
