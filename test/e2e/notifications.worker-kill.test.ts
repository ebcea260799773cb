/**
 * PostgreSQL only: two delivery workers in separate processes share a 400-user campaign (FOR
 * UPDATE SKIP LOCKED), both are killed with SIGKILL mid-way, and a fresh one finishes: exactly
 * 400 deliveries per channel, none twice. The campaign is expanded in two chunks and several
 * batches (100, test/fixtures/notify-worker.ts) are claimed on each side of the kill; more users
 * (it was 2,000, with batches of 500) would add time, not cases.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/ports/sql.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../src/platform/migrations.js';
import { ManualClock } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/logger.js';
import { createFileMail } from '../../src/adapters/mail/file.js';
import { notificationsModule } from '../../src/modules/notifications/index.js';
import { createDeliveryRepository } from '../../src/modules/notifications/delivery.repository.js';
import { createRecipientRepository } from '../../src/modules/notifications/recipient.repository.js';
import { createDeliveryWorker } from '../../src/modules/notifications/delivery.worker.js';
import { createSigner } from '../../src/modules/notifications/signing.js';
import { createTestSql, eventually, serverUrls, type TestSql } from '../helpers/engines.js';

describe.skipIf(!serverUrls.database)(
  'notifications: worker processes killed mid-campaign (PostgreSQL)',
  () => {
    let t: TestSql;
    let sql: Sql;
    let dir: string;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      t = await createTestSql('postgres');
      sql = t.sql;
      await migrate(sql, [PLATFORM_MIGRATIONS, ...notificationsModule.migrations]);
      dir = mkdtempSync(path.join(tmpdir(), 'kino-notify-kill-'));
    });
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const USERS = 400;
    it('ends with exactly 400 deliveries per channel', async () => {
      const deliveries = createDeliveryRepository(sql);
      await sql.transaction(async (tx) => {
        const recipients = createRecipientRepository(tx);
        for (let i = 0; i < USERS; i++) {
          const id = randomUUID();
          await recipients.touch({ userId: id, login: `u${i}`, email: `u${i}@example.com` });
        }
      });
      const campaignId = randomUUID();
      await deliveries.insertCampaign(
        {
          id: campaignId,
          template: 'announcement',
          category: 'news',
          audience: { kind: 'all' },
          channels: ['email', 'in_app'],
          data: { title: 'Big news', body: 'Once each.' },
          send_at: new Date('2026-01-01T00:00:00Z'),
          local_time: false,
          created_by: null,
        },
        new Date(),
      );
      const mailDir = path.join(dir, 'mail');
      const start = () => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/notify-worker.ts'], {
          env: { ...process.env, TEST_DATABASE_URL: t.url!, TEST_MAIL_DIR: mailDir },
          stdio: 'inherit',
        });
        children.push(child);
        return child;
      };
      const [a, b] = [start(), start()];
      const sent = async () =>
        (
          await sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM notify.delivery WHERE campaign_id = $1 AND status = 'sent'`,
            [campaignId],
          )
        )[0]!.n;
      await eventually(async () => (await sent()) >= USERS * 0.4, 120_000, 20);
      a.kill('SIGKILL');
      b.kill('SIGKILL');
      await Promise.all(
        [a, b].map(
          (c) =>
            new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.on('exit', r))),
        ),
      );
      const mid = await sent();
      expect(mid).toBeLessThan(2 * USERS);

      // A fresh worker, once the dead workers' leases have expired.
      const mail = await createFileMail({ dir: mailDir, from: 'test@kinoservice.test' });
      const worker = createDeliveryWorker({
        sql,
        mail,
        clock: new ManualClock(new Date(Date.now() + 61_000)),
        logger: createLogger('silent'),
        deliveries,
        recipients: createRecipientRepository(sql),
        signer: createSigner(Buffer.from('test-signing-key-test-signing-key')),
        live: { push: () => undefined },
        baseUrl: 'https://cinema.test',
        maxAttempts: 5,
        batchSize: 1000,
      });
      await worker.drain();
      await mail.close();

      const counts = await sql.query<{ channel: string; status: string; n: number }>(
        `SELECT channel, status, count(*)::int AS n FROM notify.delivery WHERE campaign_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
        [campaignId],
      );
      expect(counts).toEqual([
        { channel: 'email', status: 'sent', n: USERS },
        { channel: 'in_app', status: 'sent', n: USERS },
      ]);
      const [inbox] = await sql.query<{ n: number; users: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users FROM notify.inbox',
      );
      expect(inbox).toEqual({ n: USERS, users: USERS });
      // One file per Message-ID: a mail repeated after the kill carries the same id and lands on the same file.
      expect(readdirSync(mailDir).filter((f) => f.endsWith('.eml'))).toHaveLength(USERS);
    }, 600_000);
  },
);
