/** Categories, channels and the shapes the notifications module works with. */
export const CATEGORIES = ['account', 'security', 'social', 'films', 'news'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Sent whatever the preferences say: the user asked for them (verification, password reset). */
export const MANDATORY_CATEGORIES: ReadonlySet<string> = new Set<Category>(['security']);

export const CHANNELS = ['email', 'in_app'] as const;
export type Channel = (typeof CHANNELS)[number];

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

/** `ru`, `ru-RU`, `RU_ru` → `ru`; anything else → `en`. */
export function toLocale(raw: string | null | undefined): Locale {
  return raw && /^ru\b/i.test(raw.replace('_', '-')) ? 'ru' : 'en';
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface Recipient {
  readonly user_id: string;
  readonly login: string | null;
  readonly email: string | null;
  readonly first_name: string | null;
  readonly locale: string;
  readonly time_zone: string;
  readonly quiet_start: number | null;
  readonly quiet_end: number | null;
  readonly roles: readonly string[];
}

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'skipped' | 'dead' | 'cancelled';

export interface DeliveryRow {
  readonly id: string;
  readonly source: string;
  readonly user_id: string;
  readonly channel: Channel;
  readonly category: string;
  readonly template: string;
  readonly data: Record<string, unknown>;
  readonly campaign_id: string | null;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly next_attempt_at: Date;
  readonly last_error: string | null;
  readonly created_at: Date;
  readonly finished_at: Date | null;
}

export interface InboxRow {
  readonly seq: number;
  readonly id: string;
  readonly user_id: string;
  readonly category: string;
  readonly title: string;
  readonly body: string;
  readonly data: Record<string, unknown>;
  readonly created_at: Date;
  readonly read_at: Date | null;
}

/** "22:30" ↔ minutes after midnight. */
export function parseHhMm(value: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) throw new Error(`bad time ${value}`);
  return Number(m[1]) * 60 + Number(m[2]);
}
export function formatHhMm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Minutes after local midnight of `at` in `zone`. */
export function localMinutes(at: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

/**
 * When quiet hours [start, end) hold `at` in `zone`, the instant they end; otherwise null.
 * Windows may wrap midnight (22:00–08:00).
 */
export function quietUntil(at: Date, zone: string, start: number | null, end: number | null): Date | null {
  if (start === null || end === null || start === end) return null;
  const now = localMinutes(at, zone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  const minutesLeft = (end - now + 1440) % 1440;
  const base = Math.floor(at.getTime() / 60_000) * 60_000;
  return new Date(base + minutesLeft * 60_000);
}
