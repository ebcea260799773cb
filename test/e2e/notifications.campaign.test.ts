/**
 * Campaigns: validation, scheduling, cancel, local-time sending, and a 400-user campaign whose
 * worker stops dead mid-way (sent mails not yet recorded, claimed rows abandoned): a new worker
 * finishes it with exactly 400 deliveries per channel, none twice.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mail } from '../../src/ports/mail.js';
import { createFileMail } from '../../src/adapters/mail/file.js';
import { createLogger } from '../../src/platform/logger.js';
import { createDeliveryRepository } from '../../src/modules/notifications/delivery.repository.js';
import { createRecipientRepository } from '../../src/modules/notifications/recipient.repository.js';
import { createDeliveryWorker } from '../../src/modules/notifications/delivery.worker.js';
import { createSigner, loadSigningKey } from '../../src/modules/notifications/signing.js';
import { eventually } from '../helpers/engines.js';
import { countRows, registered, startNotifyKino, type NotifyKino } from './notifications.fixture.js';

interface CampaignView {
  id: string;
  status: string;
  progress: {
    total: number;
    sent: number;
    failed: number;
    skipped: number;
    pending: number;
    cancelled: number;
  };
}

describe('notifications: campaigns', () => {
  let n: NotifyKino;
  let admin: { authorization: string };

  beforeAll(async () => {
    // No background loop: each test drives delivery itself.
    n = await startNotifyKino({ workers: false });
    admin = n.auth(randomUUID(), { admin: true });
  });
  afterAll(async () => {
    await n?.close();
  });

  const post = (payload: object, headers: Record<string, string> = admin) =>
    n.kino.app.inject({ method: 'POST', url: '/api/v1/admin/notifications/campaigns', headers, payload });
  const detail = async (id: string) =>
    (
      await n.kino.app.inject({ url: `/api/v1/admin/notifications/campaigns/${id}`, headers: admin })
    ).json<CampaignView>();
  const addUsers = async (count: number, extra: { timeZone?: string; roles?: string[] } = {}) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    await n.kino.kernel.engines.sql.transaction(async (tx) => {
      const recipients = createRecipientRepository(tx);
      for (const id of ids) {
        await recipients.touch({
          userId: id,
          login: `u${id.slice(0, 8)}`,
          email: `u${id.slice(0, 8)}@example.com`,
        });
        if (extra.timeZone) await recipients.patch(id, { timeZone: extra.timeZone });
        if (extra.roles) await recipients.setRoles(id, extra.roles);
      }
    });
    return ids;
  };

  it('validates and authorises campaign requests', async () => {
    const body = {
      template: 'announcement',
      audience: { kind: 'all' },
      channels: ['in_app'],
      data: { title: 'Hi', body: 'News' },
    };
    expect((await post(body, {})).statusCode).toBe(401);
    expect((await post(body, n.auth(randomUUID()))).statusCode).toBe(403);
    expect((await post({ ...body, template: 'nope' })).json<{ code: string }>().code).toBe(
      'TEMPLATE_NOT_FOUND',
    );
    expect((await post({ ...body, template: 'password_reset' })).json<{ code: string }>().code).toBe(
      'CATEGORY_NOT_ALLOWED',
    );
    expect((await post({ ...body, channels: ['sms'] })).statusCode).toBe(400);
    expect((await post({ ...body, audience: { kind: 'users', user_ids: [] } })).statusCode).toBe(400);
  });

  it('sends to a role only, respects preferences, and reports progress', async () => {
    const subs = await addUsers(3, { roles: ['SUB_USER'] });
    await addUsers(2, { roles: ['UNSUB_USER'] });
    await n.service.updatePreferences(subs[0]!, null, { categories: { news: { in_app: false } } });
    const res = await post({
      template: 'announcement',
      audience: { kind: 'role', role: 'SUB_USER' },
      channels: ['in_app'],
      data: { title: 'Subscribers only', body: 'A new season.' },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json<CampaignView>().id;
    await n.service.deliverNow();
    const done = await detail(id);
    expect(done.status).toBe('completed');
    expect(done.progress).toMatchObject({ total: 3, sent: 2, skipped: 1, failed: 0, pending: 0 });
    const [msg] = await n.kino.kernel.engines.sql.query<{ title: string; body: string }>(
      'SELECT title, body FROM notify.inbox WHERE user_id = $1',
      [subs[1]],
    );
    expect(msg).toMatchObject({ title: 'Subscribers only' });
    expect(msg!.body).toContain('A new season.');
  });

  it('waits for send_at, and cancels what is not sent yet', async () => {
    const users = await addUsers(2);
    const sendAt = new Date(n.clock.now().getTime() + 3_600_000).toISOString();
    const res = await post({
      template: 'announcement',
      audience: { kind: 'users', user_ids: users },
      channels: ['in_app', 'email'],
      data: { title: 'Later', body: 'x' },
      send_at: sendAt,
    });
    const id = res.json<CampaignView>().id;
    await n.service.deliverNow();
    expect((await detail(id)).status).toBe('scheduled');
    const cancel = await n.kino.app.inject({
      method: 'POST',
      url: `/api/v1/admin/notifications/campaigns/${id}/cancel`,
      headers: admin,
    });
    expect(cancel.json<CampaignView>().status).toBe('cancelled');
    n.clock.advance(2 * 3_600_000);
    await n.service.deliverNow();
    expect((await detail(id)).progress.total).toBe(0);
    const again = await n.kino.app.inject({
      method: 'POST',
      url: `/api/v1/admin/notifications/campaigns/${id}/cancel`,
      headers: admin,
    });
    expect(again.statusCode).toBe(409);
    const list = await n.kino.app.inject({ url: '/api/v1/admin/notifications/campaigns', headers: admin });
    // Listed among whatever campaigns other tests created.
    expect(list.json<CampaignView[]>().find((c) => c.id === id)).toMatchObject({ status: 'cancelled' });
    expect(Number(list.headers['x-total-count'])).toBe(list.json<CampaignView[]>().length);
  });

  it('sends local-time campaigns at the wall-clock time in each recipient zone', async () => {
    const [moscow] = await addUsers(1, { timeZone: 'Europe/Moscow' });
    const [york] = await addUsers(1, { timeZone: 'America/New_York' });
    n.clock.set('2026-03-10T00:00:00Z');
    const res = await post({
      template: 'announcement',
      audience: { kind: 'users', user_ids: [moscow, york] },
      channels: ['in_app'],
      data: { title: 'Morning', body: 'x' },
      send_at: '2026-03-10T10:00:00Z',
      local_time: true,
    });
    const id = res.json<CampaignView>().id;
    await n.service.deliverNow();
    const rows = await n.kino.kernel.engines.sql.query<{ user_id: string; next_attempt_at: Date }>(
      'SELECT user_id, next_attempt_at FROM notify.delivery WHERE campaign_id = $1',
      [id],
    );
    const at = Object.fromEntries(rows.map((r) => [r.user_id, r.next_attempt_at.toISOString()]));
    expect(at[moscow!]).toBe('2026-03-10T07:00:00.000Z');
    expect(at[york!]).toBe('2026-03-10T14:00:00.000Z'); // EDT from 8 March
    n.clock.set('2026-03-10T07:00:00Z');
    await n.service.deliverNow();
    expect((await detail(id)).progress).toMatchObject({ sent: 1, pending: 1 });
  });

  // Exactly once per recipient and channel across a worker that dies mid-way: a campaign expanded
  // in two chunks (200), several claimed batches (100) and recording groups (20) on each side of
  // the freeze. The sizes are scaled down together (it was 2,000 users, chunks of 1,000, batches
  // of 500): more users add time, not cases.
  const USERS = 400;
  it('finishes a 400-user campaign with exactly 400 deliveries per channel after the worker dies mid-way', async () => {
    await n.kino.kernel.engines.sql.execute('DELETE FROM notify.recipient');
    await addUsers(USERS);
    n.clock.set('2026-04-01T12:00:00Z');
    const res = await post({
      template: 'announcement',
      audience: { kind: 'all' },
      channels: ['email', 'in_app'],
      data: { title: 'Big news', body: 'Everyone gets this once.' },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json<CampaignView>().id;

    const mailDir = path.join(n.kino.dataDir, 'campaign-mail');
    const files = await createFileMail({ dir: mailDir, from: 'test@kinoservice.test' });
    const sends: string[] = [];
    const counting: Mail = {
      ...files,
      async send(message) {
        const sent = await files.send(message);
        sends.push(sent.messageId);
        return sent;
      },
    };
    const deps = {
      sql: n.kino.kernel.engines.sql,
      mail: counting,
      clock: n.clock,
      logger: createLogger('silent'),
      deliveries: createDeliveryRepository(n.kino.kernel.engines.sql),
      recipients: createRecipientRepository(n.kino.kernel.engines.sql),
      signer: createSigner(loadSigningKey(undefined, n.kino.dataDir)),
      live: { push: () => undefined },
      baseUrl: 'https://cinema.test',
      maxAttempts: 5,
      batchSize: 100,
      expandBatchSize: 200,
      leaseMs: 60_000,
    };
    // Worker A freezes for good after 30 % of the mails: accepted by the engine, not yet recorded.
    let [passed, parked] = [0, 0];
    const workerA = createDeliveryWorker({
      ...deps,
      afterSend: async () => {
        if (sends.length < USERS * 0.3) return void passed++;
        parked++;
        await new Promise(() => undefined);
      },
    });
    void workerA.drain();
    // Frozen, and so is every other mail A had in flight once the engine accepted it.
    await eventually(() => parked > 0 && passed + parked === sends.length, 300_000, 10);
    const mid = await detail(id);
    expect(mid.progress.total).toBe(2 * USERS);
    expect(mid.progress.sent).toBeLessThan(2 * USERS);

    // A new worker takes over once A's leases have expired.
    n.clock.advance(61_000);
    const workerB = createDeliveryWorker(deps);
    await workerB.drain();

    const final = await detail(id);
    expect(final.status).toBe('completed');
    expect(final.progress).toMatchObject({
      total: 2 * USERS,
      sent: 2 * USERS,
      failed: 0,
      skipped: 0,
      pending: 0,
    });
    expect(
      await countRows(n.kino, `SELECT count(*)::int AS n FROM notify.inbox WHERE data->>'campaign_id' = $1`, [
        id,
      ]),
    ).toBe(USERS);
    expect(
      await countRows(
        n.kino,
        `SELECT count(DISTINCT user_id)::int AS n FROM notify.inbox WHERE data->>'campaign_id' = $1`,
        [id],
      ),
    ).toBe(USERS);
    const distinct = new Set(sends);
    expect(distinct.size).toBe(USERS);
    expect(readdirSync(mailDir).filter((f) => f.endsWith('.eml'))).toHaveLength(USERS);
    // Only mails accepted but not yet recorded when A froze (at most one recording group of 20
    // plus the 8 in flight) were handed to the engine again, with the same Message-ID.
    expect(sends.length - distinct.size).toBeLessThanOrEqual(28);
    await files.close();
  }, 600_000);
});

describe('notifications: admin templates and dead letters', () => {
  let n: NotifyKino;
  let admin: { authorization: string };
  beforeAll(async () => {
    const failing: Mail = {
      engine: 'smtp',
      send: async () => {
        throw Object.assign(new Error('421 try later'), { permanent: false });
      },
      ping: async () => undefined,
      close: async () => undefined,
    };
    n = await startNotifyKino({
      workers: false,
      extras: { mail: failing },
      env: { NOTIFY_MAX_ATTEMPTS: '3' },
    });
    admin = n.auth(randomUUID(), { admin: true });
  });
  afterAll(async () => {
    await n?.close();
  });

  it('edits, previews and deletes templates safely', async () => {
    const list = await n.kino.app.inject({ url: '/api/v1/admin/notifications/templates', headers: admin });
    expect(
      list.json<{ key: string; locale: string }[]>().some((t) => t.key === 'welcome' && t.locale === 'ru'),
    ).toBe(true);
    expect(
      (
        await n.kino.app.inject({
          url: '/api/v1/admin/notifications/templates',
          headers: n.auth(randomUUID()),
        })
      ).statusCode,
    ).toBe(403);

    const put = (payload: object) =>
      n.kino.app.inject({
        method: 'PUT',
        url: '/api/v1/admin/notifications/templates/promo/en',
        headers: admin,
        payload,
      });
    const body = {
      category: 'news',
      subject: 'Hi {{ user.login }}',
      body_text: 'Text {{ data.x }}',
      body_html: '<p>{{ data.x }}</p>{% include "/etc/passwd" %}',
    };
    const withInclude = await put(body);
    expect(withInclude.statusCode).toBe(400);
    expect(withInclude.json<{ code: string }>().code).toBe('TEMPLATE_INVALID');
    const preview = await n.kino.app.inject({
      method: 'POST',
      url: '/api/v1/admin/notifications/templates/promo/en/preview',
      headers: admin,
      payload: { data: { data: { x: '<script>alert(1)</script>' } } },
    });
    // Templates cannot reach the file system: include/render/layout are refused when saved.
    expect(preview.statusCode).toBe(404);
    expect(preview.body).not.toContain('root:');

    expect((await put({ ...body, body_html: '<p>{{ data.x }}</p>' })).statusCode).toBe(201);
    expect((await put({ ...body, body_html: '<p>{{ data.x }}</p>' })).statusCode).toBe(200);
    const safe = await n.kino.app.inject({
      method: 'POST',
      url: '/api/v1/admin/notifications/templates/promo/en/preview',
      headers: admin,
      payload: { data: { data: { x: '<script>alert(1)</script>' } } },
    });
    expect(safe.statusCode).toBe(200);
    expect(safe.json<{ html: string; text: string; subject: string }>()).toEqual({
      subject: 'Hi viewer',
      text: 'Text <script>alert(1)</script>',
      html: '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    });
    const broken = await put({ ...body, body_text: '{% if %}' });
    expect(broken.json<{ code: string }>().code).toBe('TEMPLATE_INVALID');
    expect(
      (
        await n.kino.app.inject({
          method: 'DELETE',
          url: '/api/v1/admin/notifications/templates/welcome/en',
          headers: admin,
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await n.kino.app.inject({
          method: 'DELETE',
          url: '/api/v1/admin/notifications/templates/promo/en',
          headers: admin,
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (await n.kino.app.inject({ url: '/api/v1/admin/notifications/templates/promo/en', headers: admin }))
        .statusCode,
    ).toBe(404);
  });

  it('retries with exponential back-off, then dead-letters and lets admins retry', async () => {
    const user = registered();
    n.clock.set('2026-03-02T09:15:00Z');
    await n.kino.kernel.engines.sql.transaction(async (tx) => {
      await createRecipientRepository(tx).upsertRegistered(user);
      await createDeliveryRepository(tx).enqueue([
        {
          source: randomUUID(),
          userId: user.userId,
          channel: 'email',
          category: 'account',
          template: 'welcome',
          data: {},
          at: n.clock.now(),
        },
      ]);
    });
    const state = async () =>
      (
        await n.kino.kernel.engines.sql.query<{ status: string; attempts: number; next_attempt_at: Date }>(
          `SELECT status, attempts, next_attempt_at FROM notify.delivery WHERE user_id = $1 AND channel = 'email'`,
          [user.userId],
        )
      )[0]!;
    await n.service.deliverNow();
    const first = await state();
    expect(first).toMatchObject({ status: 'pending', attempts: 1 });
    expect(first.next_attempt_at.getTime() - n.clock.now().getTime()).toBe(30_000);
    n.clock.advance(30_000);
    await n.service.deliverNow();
    const second = await state();
    expect(second.next_attempt_at.getTime() - n.clock.now().getTime()).toBe(60_000);
    n.clock.advance(60_000);
    await n.service.deliverNow();
    expect((await state()).status).toBe('dead');

    const dead = await n.kino.app.inject({ url: '/api/v1/admin/notifications/dead-letters', headers: admin });
    expect(dead.statusCode).toBe(200);
    const rows = dead.json<{ id: string; user_id: string; attempts: number; last_error: string }[]>();
    const mine = rows.find((r) => r.user_id === user.userId)!;
    expect(mine).toMatchObject({ attempts: 3 });
    expect(mine.last_error).toContain('try later');
    const retry = await n.kino.app.inject({
      method: 'POST',
      url: `/api/v1/admin/notifications/dead-letters/${mine.id}/retry`,
      headers: admin,
    });
    expect(retry.statusCode).toBe(202);
    expect((await state()).status).toBe('pending');
  });
});
