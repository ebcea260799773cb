/**
 * The delivery loop: claims due deliveries, applies preferences and quiet hours, renders the
 * template in the recipient's locale and sends through the channel, with exponential back-off and
 * a dead-letter state after NOTIFY_MAX_ATTEMPTS. It also expands due campaigns in batches.
 *
 * Never twice: each (cause, user, channel) is one row (unique key), and a row is handed to one
 * worker at a time (FOR UPDATE SKIP LOCKED + a lease). In-app messages are written in the same
 * transaction that marks their row sent. An email is marked sent right after the server accepts
 * it; if the process dies in between, the lease expires and the mail is sent again with the same
 * Message-ID, so that one message can be recognised as a repeat.
 */
import { randomUUID } from 'node:crypto';
import type { Mail } from '../../ports/mail.js';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { createPollLoop } from '../../platform/poll-loop.js';
import {
  createDeliveryRepository,
  type DeliveryRepository,
  type Outcome,
  type TemplateRow,
} from './delivery.repository.js';
import {
  createRecipientRepository,
  type RecipientRepository,
  type NewInboxEntry,
} from './recipient.repository.js';
import {
  MANDATORY_CATEGORIES,
  quietUntil,
  toLocale,
  type DeliveryRow,
  type InboxRow,
  type Recipient,
} from './notify.model.js';
import { escapeHtml, renderTemplate } from './template.renderer.js';
import type { Signer } from './signing.js';

export interface LivePush {
  push(rows: readonly InboxRow[]): void;
}

export interface DeliveryWorkerDeps {
  readonly sql: Sql;
  readonly mail: Mail;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly deliveries: DeliveryRepository;
  readonly recipients: RecipientRepository;
  readonly signer: Signer;
  readonly live: LivePush;
  readonly baseUrl: string;
  readonly maxAttempts: number;
  readonly batchSize?: number;
  /** Recipients a campaign is expanded by per transaction (default 1000). */
  readonly expandBatchSize?: number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly emailConcurrency?: number;
  /** Accepted emails recorded per transaction (the most a crash can repeat). */
  readonly markEvery?: number;
  /** Counts outcomes (metrics): sent, skipped, dead, retry, deferred. */
  readonly onOutcome?: (channel: string, outcome: string) => void;
  /** Test seam: runs after an email was accepted and before it is marked sent. */
  readonly afterSend?: (delivery: DeliveryRow) => Promise<void>;
}

export interface DeliveryWorker {
  /** Expands due campaigns and delivers one batch; returns how many rows it handled. */
  runOnce(): Promise<number>;
  /** Runs until nothing is due now. */
  drain(): Promise<number>;
  start(): void;
  kick(): void;
  stop(): Promise<void>;
}

/** 30 s, 1 min, 2 min, … capped at 6 h. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 6 * 3_600_000);
}

export function unsubscribeUrl(baseUrl: string, signer: Signer, userId: string, category: string): string {
  const scope = MANDATORY_CATEGORIES.has(category) ? 'all' : category;
  return `${baseUrl}/api/v1/notifications/unsubscribe?token=${signer.sign({ userId, category: scope })}`;
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { sql, clock, logger, deliveries, recipients } = deps;
  const batchSize = deps.batchSize ?? 200;
  const expandBatchSize = deps.expandBatchSize ?? 1000;
  const leaseMs = deps.leaseMs ?? 120_000;
  const pollMs = deps.pollMs ?? 250;
  const emailConcurrency = deps.emailConcurrency ?? 8;
  const markEvery = deps.markEvery ?? 20;
  const domain = new URL(deps.baseUrl).hostname || 'kinoservice.local';
  const count = (channel: string, o: Outcome) =>
    deps.onOutcome?.(channel, o.status === 'pending' ? (o.deferred ? 'deferred' : 'retry') : o.status);

  async function expandCampaigns(now: Date): Promise<number> {
    let batches = 0;
    while (
      batches < 20 &&
      (await sql.transaction((tx) => createDeliveryRepository(tx).expandDueCampaign(now, expandBatchSize)))
    )
      batches++;
    return batches;
  }

  function scopeFor(
    row: DeliveryRow,
    r: Recipient,
    items: Record<string, unknown>[] | undefined,
  ): Record<string, unknown> {
    const scope: Record<string, unknown> = {
      ...row.data,
      user: { login: r.login ?? '', first_name: r.first_name ?? '', email: r.email ?? '' },
      app_url: deps.baseUrl,
      unsubscribe_url: unsubscribeUrl(deps.baseUrl, deps.signer, r.user_id, row.category),
    };
    if (items) {
      if (row.template === 'films_digest') {
        const seen = new Set<string>();
        const films = items
          .filter((i) => !seen.has(String(i.film_id)) && seen.add(String(i.film_id)))
          .map((i) => ({ ...i, url: `${deps.baseUrl}/api/v1/films/${String(i.film_id)}` }));
        Object.assign(scope, { films, count: films.length });
      } else Object.assign(scope, { items, count: items.length });
    }
    return scope;
  }

  async function deliverBatch(now: Date): Promise<number> {
    const claim = randomUUID();
    const rows = await sql.transaction((tx) =>
      createDeliveryRepository(tx).claim(claim, now, leaseMs, batchSize),
    );
    if (rows.length === 0) return 0;
    const userIds = [...new Set(rows.map((r) => r.user_id))];
    const [people, prefs, templates, digests] = await Promise.all([
      recipients.many(userIds),
      recipients.preferences(userIds),
      deliveries.templates([...new Set(rows.map((r) => r.template))]),
      deliveries.digestItems(
        rows
          .filter((r) => r.source.startsWith('digest:'))
          .map((r) => ({ digest: r.source, userId: r.user_id })),
      ),
    ]);
    const templateOf = (key: string, locale: string): TemplateRow | undefined =>
      templates.find((t) => t.key === key && t.locale === locale) ??
      templates.find((t) => t.key === key && t.locale === 'en') ??
      templates.find((t) => t.key === key);

    const outcomes: Outcome[] = [];
    let accepted: Outcome[] = [];
    // Flushes run one at a time: concurrent ones would lock the batch's rows in different orders.
    let flushing: Promise<void> = Promise.resolve();
    const flushAccepted = () => {
      flushing = flushing
        .catch(() => undefined)
        .then(async () => {
          if (accepted.length === 0) return;
          const group = accepted;
          accepted = [];
          for (const o of group) count('email', o);
          await sql.transaction(async (tx) => {
            const at = clock.now();
            await createDeliveryRepository(tx).finish(claim, at, group);
            // The rest of the batch is still being sent: keep other workers off it.
            await createDeliveryRepository(tx).renew(claim, new Date(at.getTime() + leaseMs));
          });
        });
      return flushing;
    };
    const inbox: NewInboxEntry[] = [];
    const emails: (() => Promise<void>)[] = [];
    const fail = (row: DeliveryRow, error: string, permanent: boolean): Outcome =>
      permanent || row.attempts >= deps.maxAttempts
        ? { id: row.id, status: 'dead', error }
        : { id: row.id, status: 'pending', error, nextAt: new Date(now.getTime() + backoffMs(row.attempts)) };

    for (const row of rows) {
      const person = people.get(row.user_id);
      if (!person) {
        outcomes.push({ id: row.id, status: 'skipped', reason: 'NO_RECIPIENT' });
        continue;
      }
      const mandatory = MANDATORY_CATEGORIES.has(row.category);
      if (!mandatory && prefs.get(`${row.user_id}|${row.category}|${row.channel}`) === false) {
        outcomes.push({ id: row.id, status: 'skipped', reason: 'PREFERENCE' });
        continue;
      }
      const address = typeof row.data.to === 'string' ? row.data.to : person.email;
      if (row.channel === 'email' && !address) {
        outcomes.push({ id: row.id, status: 'skipped', reason: 'NO_EMAIL' });
        continue;
      }
      if (!mandatory) {
        const until = quietUntil(now, person.time_zone, person.quiet_start, person.quiet_end);
        if (until) {
          outcomes.push({
            id: row.id,
            status: 'pending',
            nextAt: until,
            deferred: true,
            reason: 'QUIET_HOURS',
          });
          continue;
        }
      }
      const items = row.source.startsWith('digest:')
        ? (digests.get(`${row.source}|${row.user_id}`) ?? [])
        : undefined;
      if (items && items.length === 0) {
        outcomes.push({ id: row.id, status: 'skipped', reason: 'EMPTY_DIGEST' });
        continue;
      }
      const template = templateOf(row.template, toLocale(person.locale));
      if (!template) {
        outcomes.push(fail(row, `template ${row.template} does not exist`, true));
        continue;
      }
      const scope = scopeFor(row, person, items);
      if (row.channel === 'in_app') {
        try {
          const rendered = await renderTemplate(template, scope);
          inbox.push({
            id: randomUUID(),
            userId: row.user_id,
            deliveryId: row.id,
            category: row.category,
            title: rendered.subject,
            body: rendered.text,
            data: publicData(row),
            createdAt: now,
          });
          outcomes.push({ id: row.id, status: 'sent' });
        } catch (error) {
          outcomes.push(fail(row, `render: ${(error as Error).message}`, true));
        }
        continue;
      }
      emails.push(async () => {
        let outcome: Outcome;
        try {
          const rendered = await renderTemplate(template, scope);
          const unsubscribe = String(scope.unsubscribe_url);
          await deps.mail.send({
            // The stored address as an object: nodemailer never parses it as a list or a name.
            to: { address: address! },
            subject: rendered.subject,
            text: `${rendered.text}\n\n--\n${footerText(person.locale)} ${unsubscribe}\n`,
            html: wrapHtml(rendered.html, unsubscribe, person.locale),
            messageId: `<${row.id}@${domain}>`,
            headers: {
              'List-Unsubscribe': `<${unsubscribe}>`,
              'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
              'X-Kino-Category': row.category,
            },
          });
          await deps.afterSend?.(row);
          outcome = { id: row.id, status: 'sent' };
        } catch (error) {
          const permanent = (error as { permanent?: boolean }).permanent === true;
          outcome = fail(row, (error as Error).message, permanent);
          logger.warn({ err: error, delivery_id: row.id, attempt: row.attempts }, 'email delivery failed');
        }
        // Recorded in small groups right after acceptance: a crash repeats at most the mails
        // accepted since the last group was written (same Message-IDs).
        accepted.push(outcome);
        if (accepted.length >= markEvery) await flushAccepted();
      });
    }

    const channelOf = new Map(rows.map((r) => [r.id, r.channel]));
    for (const o of outcomes) count(channelOf.get(o.id) ?? 'in_app', o);
    const inserted = await sql.transaction(async (tx) => {
      const added = await createRecipientRepository(tx).insertInbox(inbox);
      await createDeliveryRepository(tx).finish(claim, now, outcomes);
      return added;
    });
    if (inserted.length > 0) deps.live.push(inserted);

    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(emailConcurrency, emails.length) }, async () => {
        while (next < emails.length) await emails[next++]!();
      }),
    );
    await flushAccepted();
    return rows.length;
  }

  async function runOnce(): Promise<number> {
    const now = clock.now();
    const expanded = await expandCampaigns(now);
    return expanded + (await deliverBatch(now));
  }

  const poll = createPollLoop({
    runOnce,
    pollMs,
    maxBackoffMs: 10_000,
    more: (handled) => handled > 0,
    logger,
    failureMessage: 'notification delivery loop failed; retrying',
  });

  return {
    runOnce,
    async drain() {
      let total = 0;
      for (let n = await runOnce(); n > 0; n = await runOnce()) total += n;
      return total;
    },
    start: () => poll.start(),
    kick: () => poll.kick(),
    stop: () => poll.stop(),
  };
}

/** What an in-app message exposes to the client: ids to link to, never tokens. */
function publicData(row: DeliveryRow): Record<string, unknown> {
  const out: Record<string, unknown> = { template: row.template };
  for (const key of ['film_id', 'review_id', 'campaign_id'] as const)
    if (typeof row.data[key] === 'string') out[key] = row.data[key];
  if (row.campaign_id) out.campaign_id = row.campaign_id;
  return out;
}

function footerText(locale: string): string {
  return toLocale(locale) === 'ru' ? 'Отписаться от таких писем:' : 'Unsubscribe from these emails:';
}

function wrapHtml(body: string, unsubscribe: string, locale: string): string {
  const label = toLocale(locale) === 'ru' ? 'Отписаться' : 'Unsubscribe';
  return `<!doctype html><html lang="${toLocale(locale)}"><head><meta charset="utf-8"></head><body>${body}<hr><p style="font-size:12px;color:#666"><a href="${escapeHtml(unsubscribe)}">${label}</a></p></body></html>`;
}
