/**
 * The notifications operations behind HTTP, commands and tests: inbox, preferences, unsubscribe,
 * templates, campaigns and dead letters. Transport-free: callers pass ids and validated input.
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import {
  createDeliveryRepository,
  type CampaignRow,
  type DeliveryRepository,
  type TemplateInput,
  type TemplateRow,
} from './delivery.repository.js';
import { createRecipientRepository, type RecipientRepository } from './recipient.repository.js';
import { notificationsErrors } from './notifications.errors.js';
import {
  CATEGORIES,
  CHANNELS,
  formatHhMm,
  isTimeZone,
  MANDATORY_CATEGORIES,
  parseHhMm,
  toLocale,
  type Channel,
  type Locale,
} from './notify.model.js';
import { renderTemplate, validateTemplate, type Rendered } from './template.renderer.js';
import type { Signer } from './signing.js';

export interface Preferences {
  locale: Locale;
  time_zone: string;
  quiet_hours: { start: string; end: string } | null;
  categories: Record<string, Record<Channel, boolean>>;
}

export interface PreferencesPatch {
  locale?: string;
  time_zone?: string;
  quiet_hours?: { start: string; end: string } | null;
  categories?: Record<string, Partial<Record<Channel, boolean>>>;
}

export interface CampaignInput {
  template: string;
  audience: { kind: 'all' | 'role' | 'users'; role?: string; user_ids?: string[] };
  channels: Channel[];
  data?: Record<string, unknown>;
  send_at?: string;
  local_time?: boolean;
}

export interface CampaignView {
  id: string;
  template: string;
  category: string;
  audience: CampaignRow['audience'];
  channels: string[];
  data: Record<string, unknown>;
  send_at: string;
  local_time: boolean;
  status: string;
  created_by: string | null;
  created_at: string;
  progress: {
    total: number;
    sent: number;
    failed: number;
    skipped: number;
    pending: number;
    cancelled: number;
  };
}

export interface ServiceDeps {
  readonly sql: Sql;
  readonly clock: Clock;
  readonly deliveries: DeliveryRepository;
  readonly recipients: RecipientRepository;
  readonly signer: Signer;
  readonly baseUrl: string;
  /** Asks the delivery worker (if it runs here) to look now. */
  readonly kick: () => void;
}

export function createNotificationsService(deps: ServiceDeps) {
  const { sql, clock, deliveries, recipients } = deps;

  async function ensureRecipient(userId: string, login: string | null): Promise<void> {
    await recipients.touch({ userId, login });
  }

  async function preferences(userId: string): Promise<Preferences> {
    const r = await recipients.get(userId);
    const explicit = await recipients.preferences([userId]);
    const categories: Preferences['categories'] = {};
    for (const c of CATEGORIES) {
      const entry = {} as Record<Channel, boolean>;
      for (const ch of CHANNELS)
        entry[ch] = MANDATORY_CATEGORIES.has(c) ? true : (explicit.get(`${userId}|${c}|${ch}`) ?? true);
      categories[c] = entry;
    }
    return {
      locale: toLocale(r?.locale),
      time_zone: r?.time_zone ?? 'UTC',
      quiet_hours:
        r && r.quiet_start !== null && r.quiet_end !== null
          ? { start: formatHhMm(r.quiet_start), end: formatHhMm(r.quiet_end) }
          : null,
      categories,
    };
  }

  function campaignView(c: CampaignRow, counts: Record<string, number> = {}): CampaignView {
    const n = (s: string) => counts[s] ?? 0;
    const pending = n('pending') + n('sending');
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const status =
      c.status === 'expanded'
        ? pending === 0
          ? 'completed'
          : 'sending'
        : c.status === 'expanding'
          ? 'sending'
          : c.status;
    return {
      id: c.id,
      template: c.template,
      category: c.category,
      audience: c.audience,
      channels: c.channels,
      data: c.data,
      send_at: c.send_at.toISOString(),
      local_time: c.local_time,
      status,
      created_by: c.created_by,
      created_at: c.created_at.toISOString(),
      progress: {
        total,
        sent: n('sent'),
        failed: n('dead'),
        skipped: n('skipped'),
        pending,
        cancelled: n('cancelled'),
      },
    };
  }

  return {
    async list(userId: string, q: { unread: boolean; page_number: number; page_size: number }) {
      return recipients.inbox(userId, {
        unread: q.unread,
        limit: q.page_size,
        offset: (q.page_number - 1) * q.page_size,
      });
    },

    async markRead(userId: string, id: string): Promise<void> {
      if (!(await recipients.markRead(userId, id, clock.now())))
        throw notificationsErrors.NOTIFICATION_NOT_FOUND();
    },

    async markAllRead(userId: string): Promise<number> {
      return recipients.markAllRead(userId, clock.now());
    },

    unreadCount: (userId: string) => recipients.unreadCount(userId),

    preferences,

    async updatePreferences(
      userId: string,
      login: string | null,
      patch: PreferencesPatch,
    ): Promise<Preferences> {
      if (patch.time_zone !== undefined && !isTimeZone(patch.time_zone))
        throw notificationsErrors.TIME_ZONE_UNKNOWN();
      const entries: { category: string; channel: string; enabled: boolean }[] = [];
      for (const [category, channels] of Object.entries(patch.categories ?? {})) {
        if (!(CATEGORIES as readonly string[]).includes(category))
          throw notificationsErrors.CATEGORY_UNKNOWN({
            detail: `Unknown category ${category}; known: ${CATEGORIES.join(', ')}.`,
          });
        for (const [channel, enabled] of Object.entries(channels)) {
          if (enabled === undefined) continue;
          if (MANDATORY_CATEGORIES.has(category) && !enabled)
            throw notificationsErrors.CATEGORY_REQUIRED({
              detail: `${category} messages are sent only when you ask for them and cannot be turned off.`,
            });
          entries.push({ category, channel, enabled });
        }
      }
      const quiet =
        patch.quiet_hours === undefined
          ? undefined
          : patch.quiet_hours === null
            ? null
            : { start: parseHhMm(patch.quiet_hours.start), end: parseHhMm(patch.quiet_hours.end) };
      await ensureRecipient(userId, login);
      await sql.transaction(async (tx) => {
        await createRecipientRepository(tx).patch(userId, {
          ...(patch.locale === undefined ? {} : { locale: toLocale(patch.locale) }),
          ...(patch.time_zone === undefined ? {} : { timeZone: patch.time_zone }),
          ...(quiet === undefined ? {} : { quiet }),
        });
        await createRecipientRepository(tx).setPreferences(userId, entries);
      });
      return preferences(userId);
    },

    /** One-click unsubscribe: turns email off for the token's category (or every optional one). */
    async unsubscribe(token: string): Promise<{ category: string }> {
      const claim = deps.signer.verify(token);
      if (!claim) throw notificationsErrors.UNSUBSCRIBE_TOKEN_INVALID();
      const categories =
        claim.category === 'all' ? CATEGORIES.filter((c) => !MANDATORY_CATEGORIES.has(c)) : [claim.category];
      if (
        !categories.every(
          (c) => (CATEGORIES as readonly string[]).includes(c) && !MANDATORY_CATEGORIES.has(c),
        )
      )
        throw notificationsErrors.UNSUBSCRIBE_TOKEN_INVALID();
      const exists = await recipients.get(claim.userId);
      if (exists)
        await recipients.setPreferences(
          claim.userId,
          categories.map((category) => ({ category, channel: 'email', enabled: false })),
        );
      return { category: claim.category };
    },

    templates: () => deliveries.templates(),

    async template(key: string, locale: string): Promise<TemplateRow> {
      const row = await deliveries.template(key, locale);
      if (!row) throw notificationsErrors.TEMPLATE_NOT_FOUND();
      return row;
    },

    async putTemplate(input: TemplateInput) {
      if (!(CATEGORIES as readonly string[]).includes(input.category))
        throw notificationsErrors.CATEGORY_UNKNOWN({
          detail: `Unknown category ${input.category}; known: ${CATEGORIES.join(', ')}.`,
        });
      validateTemplate(input);
      return deliveries.putTemplate(input, clock.now());
    },

    async deleteTemplate(key: string, locale: string): Promise<void> {
      const row = await deliveries.template(key, locale);
      if (!row) throw notificationsErrors.TEMPLATE_NOT_FOUND();
      if (row.builtin) throw notificationsErrors.TEMPLATE_BUILTIN();
      await deliveries.deleteTemplate(key, locale);
    },

    /** Renders a stored template (optionally with unsaved parts) against sample data. */
    async preview(
      key: string,
      locale: string,
      input: { data?: Record<string, unknown>; subject?: string; body_text?: string; body_html?: string },
    ): Promise<Rendered> {
      const stored = await deliveries.template(key, locale);
      const source = {
        subject: input.subject ?? stored?.subject,
        body_text: input.body_text ?? stored?.body_text,
        body_html: input.body_html ?? stored?.body_html,
      };
      if (source.subject === undefined || source.body_text === undefined || source.body_html === undefined)
        throw notificationsErrors.TEMPLATE_NOT_FOUND({
          detail: 'There is no such template; send every part to preview a new one.',
        });
      const full = source as { subject: string; body_text: string; body_html: string };
      validateTemplate(full);
      return renderTemplate(full, {
        user: { login: 'viewer', first_name: 'Anna', email: 'viewer@example.com' },
        app_url: deps.baseUrl,
        unsubscribe_url: `${deps.baseUrl}/api/v1/notifications/unsubscribe?token=preview`,
        ...input.data,
      }).catch((error: unknown) => {
        throw notificationsErrors.TEMPLATE_RENDER_FAILED({
          detail: `The template does not render: ${(error as Error).message}`,
        });
      });
    },

    async createCampaign(input: CampaignInput, createdBy: string | null): Promise<CampaignView> {
      const templates = (await deliveries.templates([input.template])).filter(
        (t) => t.key === input.template,
      );
      if (templates.length === 0) throw notificationsErrors.TEMPLATE_NOT_FOUND();
      const category = templates.find((t) => t.locale === 'en')?.category ?? templates[0]!.category;
      if (MANDATORY_CATEGORIES.has(category))
        throw notificationsErrors.CATEGORY_NOT_ALLOWED({
          detail: `Campaigns cannot use ${category} templates.`,
        });
      if (input.audience.kind === 'role' && !input.audience.role)
        throw notificationsErrors.AUDIENCE_INVALID();
      if (input.audience.kind === 'users' && !input.audience.user_ids?.length)
        throw notificationsErrors.AUDIENCE_INVALID();
      const now = clock.now();
      const sendAt = input.send_at ? new Date(input.send_at) : now;
      if (Number.isNaN(sendAt.getTime())) throw notificationsErrors.SEND_AT_INVALID();
      const audience =
        input.audience.kind === 'all'
          ? { kind: 'all' as const }
          : input.audience.kind === 'role'
            ? { kind: 'role' as const, role: input.audience.role! }
            : { kind: 'users' as const, user_ids: [...new Set(input.audience.user_ids)] };
      const row = await deliveries.insertCampaign(
        {
          id: randomUUID(),
          template: input.template,
          category,
          audience,
          channels: [...new Set(input.channels)],
          data: input.data ?? {},
          send_at: sendAt,
          local_time: input.local_time ?? false,
          created_by: createdBy,
        },
        now,
      );
      deps.kick();
      return campaignView(row);
    },

    async campaigns(page: { page_number: number; page_size: number }) {
      const { rows, total } = await deliveries.campaigns(
        page.page_size,
        (page.page_number - 1) * page.page_size,
      );
      const counts = await deliveries.progress(rows.map((r) => r.id));
      return { rows: rows.map((r) => campaignView(r, counts.get(r.id))), total };
    },

    async campaign(id: string): Promise<CampaignView> {
      const row = await deliveries.campaign(id);
      if (!row) throw notificationsErrors.CAMPAIGN_NOT_FOUND();
      return campaignView(row, (await deliveries.progress([id])).get(id));
    },

    async cancelCampaign(id: string): Promise<CampaignView> {
      let row = await deliveries.campaign(id);
      if (!row) throw notificationsErrors.CAMPAIGN_NOT_FOUND();
      const cancelled = await sql.transaction((tx) =>
        createDeliveryRepository(tx).cancelCampaign(id, clock.now()),
      );
      if (!cancelled)
        throw notificationsErrors.CAMPAIGN_NOT_CANCELLABLE({
          detail: `The campaign is already ${row.status}.`,
        });
      row = (await deliveries.campaign(id))!;
      return campaignView(row, (await deliveries.progress([id])).get(id));
    },

    async deadLetters(page: { page_number: number; page_size: number }) {
      return deliveries.deadLetters(page.page_size, (page.page_number - 1) * page.page_size);
    },

    async retryDeadLetter(id: string): Promise<void> {
      if (!(await deliveries.retryDead(id, clock.now()))) throw notificationsErrors.DEAD_LETTER_NOT_FOUND();
      deps.kick();
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
