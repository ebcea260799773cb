/** SQL for deliveries (the idempotent message queue), digests, campaigns and templates. */
import type { SqlExecutor } from '../../ports/sql.js';
import type { DeliveryRow } from './notify.model.js';

export interface NewDelivery {
  readonly source: string;
  readonly userId: string;
  readonly channel: string;
  readonly category: string;
  readonly template: string;
  readonly data: Record<string, unknown>;
  readonly at: Date;
}

export interface Outcome {
  readonly id: string;
  readonly status: 'sent' | 'skipped' | 'dead' | 'pending';
  /** For `pending`: when to try again. */
  readonly nextAt?: Date;
  readonly error?: string;
  readonly reason?: string;
  /** Deferred (quiet hours): the claim does not count as an attempt. */
  readonly deferred?: boolean;
}

export interface TemplateRow {
  readonly key: string;
  readonly locale: string;
  readonly category: string;
  readonly subject: string;
  readonly body_text: string;
  readonly body_html: string;
  readonly builtin: boolean;
  readonly updated_at: Date;
}

/** A template as an editor writes it. */
export type TemplateInput = Omit<TemplateRow, 'builtin' | 'updated_at'>;

export interface CampaignRow {
  readonly id: string;
  readonly template: string;
  readonly category: string;
  readonly audience: { kind: 'all' | 'role' | 'users'; role?: string; user_ids?: string[] };
  readonly channels: string[];
  readonly data: Record<string, unknown>;
  readonly send_at: Date;
  readonly local_time: boolean;
  readonly status: string;
  readonly cursor: string | null;
  readonly created_by: string | null;
  readonly created_at: Date;
  readonly cancelled_at: Date | null;
}

const DELIVERY_COLUMNS =
  'id, source, user_id, channel, category, template, data, campaign_id, status, attempts, next_attempt_at, last_error, created_at, finished_at';

export function createDeliveryRepository(db: SqlExecutor) {
  return {
    /** Inserts deliveries; one already there for (source, user, channel) is kept. Returns how many are new. */
    async enqueue(rows: readonly NewDelivery[]): Promise<number> {
      if (rows.length === 0) return 0;
      return db.execute(
        `INSERT INTO notify.delivery (id, source, user_id, channel, category, template, data, next_attempt_at)
         SELECT gen_random_uuid(), u.source, u.user_id, u.channel, u.category, u.template, u.data, u.at
         FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[])
           AS u(source, user_id, channel, category, template, data, at)
         ON CONFLICT ON CONSTRAINT delivery_idempotency DO NOTHING`,
        [
          rows.map((r) => r.source),
          rows.map((r) => r.userId),
          rows.map((r) => r.channel),
          rows.map((r) => r.category),
          rows.map((r) => r.template),
          rows.map((r) => JSON.stringify(r.data)),
          rows.map((r) => r.at),
        ],
      );
    },

    async addDigestItem(digest: string, userId: string, data: Record<string, unknown>): Promise<void> {
      await db.execute('INSERT INTO notify.digest_item (digest, user_id, data) VALUES ($1, $2, $3)', [
        digest,
        userId,
        JSON.stringify(data),
      ]);
    },

    /**
     * Film-available workflow, set-based: every user who bookmarked the film or rated a film of
     * one of its genres 8+ gets a digest item and a digest (email + in-app) due at the next 10:00
     * in their time zone. Returns how many users were reached.
     */
    async enqueueFilmDigests(
      film: { id: string; title: string; genreIds: readonly string[] },
      now: Date,
    ): Promise<number> {
      const rows = await db.query<{ n: number }>(
        `WITH users AS (
           SELECT user_id FROM notify.bookmark WHERE film_id = $1
           UNION
           SELECT h.user_id FROM notify.high_rating h JOIN notify.film f ON f.id = h.film_id
           WHERE f.genre_ids && $2::uuid[] AND h.film_id <> $1
         ), slot AS (
           SELECT r.user_id, r.time_zone,
                  date_trunc('day', $3::timestamptz AT TIME ZONE r.time_zone) + interval '10 hours' AS today10
           FROM users u JOIN notify.recipient r ON r.user_id = u.user_id
         ), due AS (
           SELECT user_id, time_zone,
                  CASE WHEN (today10 AT TIME ZONE time_zone) > $3::timestamptz THEN today10
                       ELSE today10 + interval '1 day' END AS local10
           FROM slot
         ), items AS (
           INSERT INTO notify.digest_item (digest, user_id, data)
           SELECT 'digest:films:' || to_char(local10, 'YYYY-MM-DD'), user_id, $4::jsonb FROM due
         ), deliveries AS (
           INSERT INTO notify.delivery (id, source, user_id, channel, category, template, next_attempt_at)
           SELECT gen_random_uuid(), 'digest:films:' || to_char(d.local10, 'YYYY-MM-DD'), d.user_id, ch,
                  'films', 'films_digest', d.local10 AT TIME ZONE d.time_zone
           FROM due d CROSS JOIN unnest(ARRAY['email', 'in_app']) AS ch
           ON CONFLICT ON CONSTRAINT delivery_idempotency DO NOTHING
         )
         SELECT count(*)::int AS n FROM due`,
        [film.id, film.genreIds, now, JSON.stringify({ film_id: film.id, title: film.title })],
      );
      return rows[0]?.n ?? 0;
    },

    async digestItems(
      keys: readonly { digest: string; userId: string }[],
    ): Promise<Map<string, Record<string, unknown>[]>> {
      const out = new Map<string, Record<string, unknown>[]>();
      if (keys.length === 0) return out;
      const rows = await db.query<{ digest: string; user_id: string; data: Record<string, unknown> }>(
        `SELECT i.digest, i.user_id, i.data FROM notify.digest_item i
         JOIN unnest($1::text[], $2::uuid[]) AS k(digest, user_id) ON k.digest = i.digest AND k.user_id = i.user_id
         ORDER BY i.id`,
        [keys.map((k) => k.digest), keys.map((k) => k.userId)],
      );
      for (const r of rows) {
        const key = `${r.digest}|${r.user_id}`;
        out.set(key, [...(out.get(key) ?? []), r.data]);
      }
      return out;
    },

    /**
     * Claims up to `limit` due deliveries (pending and due, or sending with an expired lease) for
     * `leaseMs`. Concurrent callers never get the same row (FOR UPDATE SKIP LOCKED).
     */
    async claim(claim: string, now: Date, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
      return db.query<DeliveryRow>(
        `UPDATE notify.delivery d
         SET status = 'sending', claim = $1, locked_until = $2, attempts = d.attempts + 1
         WHERE d.id IN (
           SELECT id FROM notify.delivery
           WHERE (status = 'pending' AND next_attempt_at <= $3) OR (status = 'sending' AND locked_until <= $3)
           ORDER BY next_attempt_at
           LIMIT $4
           FOR UPDATE SKIP LOCKED)
         RETURNING ${DELIVERY_COLUMNS.split(', ')
           .map((c) => `d.${c}`)
           .join(', ')}`,
        [claim, new Date(now.getTime() + leaseMs), now, limit],
      );
    },

    /** Records outcomes of rows this claim still holds. Security data (links) is dropped once final. */
    async finish(claim: string, now: Date, outcomes: readonly Outcome[]): Promise<number> {
      if (outcomes.length === 0) return 0;
      return db.execute(
        `UPDATE notify.delivery d SET
           status = u.status,
           next_attempt_at = coalesce(u.next_at, d.next_attempt_at),
           attempts = CASE WHEN u.deferred THEN d.attempts - 1 ELSE d.attempts END,
           last_error = coalesce(u.error, d.last_error),
           skip_reason = u.reason,
           finished_at = CASE WHEN u.status = 'pending' THEN NULL ELSE $2::timestamptz END,
           data = CASE WHEN u.status <> 'pending' AND d.category = 'security' THEN '{}'::jsonb ELSE d.data END,
           claim = NULL,
           locked_until = NULL
         FROM unnest($3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::boolean[])
           AS u(id, status, next_at, error, reason, deferred)
         WHERE d.id = u.id AND d.claim = $1`,
        [
          claim,
          now,
          outcomes.map((o) => o.id),
          outcomes.map((o) => o.status),
          outcomes.map((o) => o.nextAt ?? null),
          outcomes.map((o) => o.error ?? null),
          outcomes.map((o) => o.reason ?? null),
          outcomes.map((o) => o.deferred ?? false),
        ],
      );
    },

    /** Deliveries due at `now` and not yet sent. */
    async dueCount(now: Date): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notify.delivery WHERE status = 'pending' AND next_attempt_at <= $1`,
        [now],
      );
      return row?.n ?? 0;
    },

    /** Extends the lease of rows this claim still holds (slow mail servers). */
    async renew(claim: string, until: Date): Promise<number> {
      return db.execute(
        `UPDATE notify.delivery SET locked_until = $2 WHERE claim = $1 AND status = 'sending'`,
        [claim, until],
      );
    },

    async deadLetters(
      limit: number,
      offset: number,
    ): Promise<{ rows: (DeliveryRow & { last_error: string | null })[]; total: number }> {
      const rows = await db.query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM notify.delivery WHERE status = 'dead'
         ORDER BY finished_at DESC, id LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
      const [count] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM notify.delivery WHERE status = 'dead'",
      );
      return { rows, total: count?.n ?? 0 };
    },

    async retryDead(id: string, now: Date): Promise<boolean> {
      const n = await db.execute(
        `UPDATE notify.delivery SET status = 'pending', attempts = 0, next_attempt_at = $2, finished_at = NULL
         WHERE id = $1 AND status = 'dead'`,
        [id, now],
      );
      return n === 1;
    },

    async templates(keys?: readonly string[]): Promise<TemplateRow[]> {
      return keys
        ? db.query<TemplateRow>('SELECT * FROM notify.template WHERE key = ANY($1::text[])', [keys])
        : db.query<TemplateRow>('SELECT * FROM notify.template ORDER BY key, locale');
    },

    async template(key: string, locale: string): Promise<TemplateRow | undefined> {
      const [row] = await db.query<TemplateRow>(
        'SELECT * FROM notify.template WHERE key = $1 AND locale = $2',
        [key, locale],
      );
      return row;
    },

    async putTemplate(t: TemplateInput, now: Date): Promise<{ row: TemplateRow; created: boolean }> {
      const [row] = await db.query<TemplateRow & { created: boolean }>(
        `INSERT INTO notify.template (key, locale, category, subject, body_text, body_html, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (key, locale) DO UPDATE SET category = EXCLUDED.category, subject = EXCLUDED.subject,
           body_text = EXCLUDED.body_text, body_html = EXCLUDED.body_html, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS created`,
        [t.key, t.locale, t.category, t.subject, t.body_text, t.body_html, now],
      );
      const { created, ...rest } = row!;
      return { row: rest, created };
    },

    async deleteTemplate(key: string, locale: string): Promise<number> {
      return db.execute('DELETE FROM notify.template WHERE key = $1 AND locale = $2', [key, locale]);
    },

    async insertCampaign(
      c: Omit<CampaignRow, 'status' | 'cursor' | 'created_at' | 'cancelled_at'>,
      now: Date,
    ): Promise<CampaignRow> {
      const [row] = await db.query<CampaignRow>(
        `INSERT INTO notify.campaign (id, template, category, audience, channels, data, send_at, local_time, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10) RETURNING *`,
        [
          c.id,
          c.template,
          c.category,
          JSON.stringify(c.audience),
          c.channels,
          JSON.stringify(c.data),
          c.send_at,
          c.local_time,
          c.created_by,
          now,
        ],
      );
      return row!;
    },

    async campaign(id: string): Promise<CampaignRow | undefined> {
      const [row] = await db.query<CampaignRow>('SELECT * FROM notify.campaign WHERE id = $1', [id]);
      return row;
    },

    async campaigns(limit: number, offset: number): Promise<{ rows: CampaignRow[]; total: number }> {
      const rows = await db.query<CampaignRow>(
        'SELECT * FROM notify.campaign ORDER BY created_at DESC, id LIMIT $1 OFFSET $2',
        [limit, offset],
      );
      const [count] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notify.campaign');
      return { rows, total: count?.n ?? 0 };
    },

    /** Delivery counts by status for each campaign. */
    async progress(ids: readonly string[]): Promise<Map<string, Record<string, number>>> {
      const rows = await db.query<{ campaign_id: string; status: string; n: number }>(
        `SELECT campaign_id, status, count(*)::int AS n FROM notify.delivery
         WHERE campaign_id = ANY($1::uuid[]) GROUP BY campaign_id, status`,
        [ids],
      );
      const out = new Map<string, Record<string, number>>();
      for (const r of rows) out.set(r.campaign_id, { ...out.get(r.campaign_id), [r.status]: r.n });
      return out;
    },

    async cancelCampaign(id: string, now: Date): Promise<boolean> {
      const n = await db.execute(
        `UPDATE notify.campaign SET status = 'cancelled', cancelled_at = $2
         WHERE id = $1 AND status IN ('scheduled', 'expanding', 'expanded')`,
        [id, now],
      );
      if (n === 0) return false;
      await db.execute(
        `UPDATE notify.delivery SET status = 'cancelled', finished_at = $2
         WHERE campaign_id = $1 AND status = 'pending'`,
        [id, now],
      );
      return true;
    },

    /**
     * Expands one batch of one due campaign into deliveries (keyset over recipients by user id).
     * Local-time campaigns start 14 h early (the earliest zone) and schedule each delivery at the
     * wall-clock time of send_at in the recipient's zone. Returns false when nothing was due.
     */
    async expandDueCampaign(now: Date, batch: number): Promise<boolean> {
      const [c] = await db.query<CampaignRow>(
        `SELECT * FROM notify.campaign
         WHERE status IN ('scheduled', 'expanding')
           AND send_at - CASE WHEN local_time THEN interval '14 hours' ELSE interval '0' END <= $1
         ORDER BY send_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (!c) return false;
      const [last] = await db.query<{ last: string | null; n: number }>(
        `WITH batch AS (
           SELECT r.user_id, r.time_zone FROM notify.recipient r
           WHERE ($2::uuid IS NULL OR r.user_id > $2::uuid)
             AND ($3 = 'all' OR ($3 = 'role' AND $4 = ANY(r.roles)) OR ($3 = 'users' AND r.user_id = ANY($5::uuid[])))
           ORDER BY r.user_id LIMIT $6
         ), ins AS (
           INSERT INTO notify.delivery (id, source, user_id, channel, category, template, data, campaign_id, next_attempt_at)
           SELECT gen_random_uuid(), 'campaign:' || $1::text, b.user_id, ch, $7, $8, $9::jsonb, $1::uuid,
                  CASE WHEN $10::boolean THEN ($11::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE b.time_zone
                       ELSE $11::timestamptz END
           FROM batch b CROSS JOIN unnest($12::text[]) AS ch
           ON CONFLICT ON CONSTRAINT delivery_idempotency DO NOTHING
         )
         SELECT (SELECT user_id::text FROM batch ORDER BY user_id DESC LIMIT 1) AS last,
                (SELECT count(*)::int FROM batch) AS n`,
        [
          c.id,
          c.cursor,
          c.audience.kind,
          c.audience.role ?? null,
          c.audience.user_ids ?? [],
          batch,
          c.category,
          c.template,
          JSON.stringify({ data: c.data }),
          c.local_time,
          c.send_at,
          c.channels,
        ],
      );
      const done = (last?.n ?? 0) < batch;
      await db.execute(
        'UPDATE notify.campaign SET status = $2, cursor = coalesce($3::uuid, cursor) WHERE id = $1',
        [c.id, done ? 'expanded' : 'expanding', last?.last ?? null],
      );
      return true;
    },
  };
}

export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>;
