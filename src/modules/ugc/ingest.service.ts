/**
 * Event ingestion (POST /api/v1/events). Items are validated one by one (a bad item never fails
 * the good ones), stamped with the caller's user id and an event id, and published to the bus in
 * `ugc.events.batch` messages; `publish` resolves once they are durable (JetStream ack, or the
 * in-process sink has stored them). When the bus refuses (NATS down) the batch goes into the
 * platform outbox instead, in one transaction, and reaches the sink when the bus is back: an
 * accepted event is never lost.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import type { Static } from '@sinclair/typebox';
import type { Bus, BusMessage } from '../../ports/bus.js';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { currentHeaders } from '../../platform/context.js';
import type { FieldError } from '../../platform/errors.js';
import { event } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import { emit } from '../../platform/outbox.js';
import type { Principal } from '../../platform/security.js';
import type { UgcEventRecord } from './ugc.events.js';
import type { EventSink } from './event.sink.js';
import { canSee } from '../catalog/index.js';
import type { FilmRepository } from './film.repository.js';
import type { WindowLimiter } from '../../platform/rate-limit.js';
import { IncomingEvent, MAX_EVENTS_PER_REQUEST } from './ugc.schemas.js';
import { ugcErrors } from './ugc.errors.js';

/** Events older than this are refused (they would land in a partition about to be pruned). */
export const MAX_EVENT_AGE_MS = 7 * 86_400_000;
/** Clocks drift: events up to this far in the future are accepted. */
export const MAX_EVENT_SKEW_MS = 3_600_000;
/** Payload of one event, as JSON. */
export const MAX_PAYLOAD_BYTES = 4_096;
/** Bus messages stay well under broker limits (NATS: 1 MB by default). */
const MAX_MESSAGE_BYTES = 256 * 1024;

const VIEW_TYPES = new Set(['view_start', 'view_progress', 'view_complete']);

// Formats are checked by plain patterns (the ingest hot path: ajv-formats' date-time check
// costs more than the rest of the validation); Date.parse then refuses impossible dates.
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/);
const validateItem = ajv.compile<Static<typeof IncomingEvent>>(IncomingEvent);

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: { index: number; errors: FieldError[] }[];
}

function fieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const params = e.params as Record<string, unknown>;
    const extra =
      typeof params.missingProperty === 'string'
        ? `/${params.missingProperty}`
        : typeof params.additionalProperty === 'string'
          ? `/${params.additionalProperty}`
          : '';
    return { field: `${e.instancePath}${extra}` || '/', message: e.message ?? 'is invalid' };
  });
}

/**
 * An id for an event that came without one, derived from its content (UUID v5 layout over
 * SHA-1): resending the same event stores it once.
 */
export function contentEventId(record: Omit<UgcEventRecord, 'event_id'>): string {
  const h = createHash('sha1')
    .update(JSON.stringify([record.user_id, record.type, record.film_id, record.ts, record.payload]))
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// PostgreSQL's jsonb (and text) cannot hold U+0000, and jsonb refuses unpaired surrogates.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The JSON pointer of the first key or string value the database could not store, if any. */
export function unstorable(value: unknown, at = ''): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? at || '/' : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, inner] of Object.entries(value)) {
    const here = `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (UNSTORABLE.test(key)) return here;
    const found = unstorable(inner, here);
    if (found) return found;
  }
  return null;
}

/** Checks one item; returns the record to store or the reasons it was refused. */
export function checkItem(
  item: unknown,
  userId: string | null,
  now: number,
): { record: UgcEventRecord; bytes: number } | { errors: FieldError[] } {
  if (!validateItem(item)) return { errors: fieldErrors(validateItem.errors) };
  const errors: FieldError[] = [];
  const at = Date.parse(item.ts);
  if (Number.isNaN(at)) errors.push({ field: '/ts', message: 'must be a date-time' });
  else if (at < now - MAX_EVENT_AGE_MS) errors.push({ field: '/ts', message: 'is older than 7 days' });
  else if (at > now + MAX_EVENT_SKEW_MS) errors.push({ field: '/ts', message: 'is in the future' });
  const filmId = item.film_id ?? null;
  if (VIEW_TYPES.has(item.type) && filmId === null)
    errors.push({ field: '/film_id', message: `is required for ${item.type}` });
  const payload = item.payload ?? {};
  const bad = unstorable(payload, '/payload');
  if (bad) errors.push({ field: bad, message: 'must not contain NUL (U+0000) or unpaired surrogates' });
  const bytes = JSON.stringify(payload).length;
  if (bytes > MAX_PAYLOAD_BYTES)
    errors.push({ field: '/payload', message: `must be at most ${MAX_PAYLOAD_BYTES} bytes of JSON` });
  if (errors.length > 0) return { errors };
  const base = {
    user_id: userId,
    type: item.type,
    film_id: filmId === null ? null : filmId.toLowerCase(),
    ts: new Date(at).toISOString(),
    payload,
  };
  return { record: { event_id: item.event_id?.toLowerCase() ?? contentEventId(base), ...base }, bytes };
}

/** Splits records into bus messages of bounded size. */
function toMessages(records: readonly UgcEventRecord[], sizes: readonly number[], now: Date): BusMessage[] {
  const headers = currentHeaders();
  const messages: BusMessage[] = [];
  let chunk: UgcEventRecord[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    const id = randomUUID();
    messages.push({
      id,
      type: 'ugc.events.batch',
      key: id,
      payload: { events: chunk },
      occurredAt: now.toISOString(),
      headers,
    });
    chunk = [];
    size = 0;
  };
  for (const [i, r] of records.entries()) {
    const bytes = 200 + (sizes[i] ?? 0);
    if (size + bytes > MAX_MESSAGE_BYTES) flush();
    chunk.push(r);
    size += bytes;
  }
  flush();
  return messages;
}

export function createIngestService(deps: {
  bus: Bus;
  sql: Sql;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  sink: EventSink;
  films: Pick<FilmRepository, 'accessOf'>;
  limiter: WindowLimiter;
  /** UGC_INGEST_PER_MINUTE: requests per caller and minute. */
  perMinute: number;
}) {
  const { bus, sql, clock, logger, sink, films } = deps;
  const budget = { bucket: 'ugc:ingest', limit: deps.perMinute, windowSeconds: 60 };
  const accepted = deps.metrics.counter(
    'ugc_events_accepted_total',
    'Events accepted by POST /api/v1/events.',
    ['path'],
  );
  const rejectedCounter = deps.metrics.counter(
    'ugc_events_rejected_total',
    'Invalid events refused at ingest.',
  );

  async function deliver(messages: BusMessage[], count: number): Promise<void> {
    // The in-process bus reaches only this process's sink: without it, store right here.
    if (bus.engine === 'memory' && !sink.running) {
      for (const m of messages) await sink.store((m.payload as { events: UgcEventRecord[] }).events);
      accepted.inc({ path: 'direct' }, count);
      return;
    }
    try {
      await bus.publish(messages);
      accepted.inc({ path: 'bus' }, count);
    } catch (error) {
      logger.warn({ err: error, batches: messages.length }, 'bus refused events; keeping them in the outbox');
      await sql.transaction((tx) =>
        emit(
          tx,
          messages.map((m) =>
            event('ugc.events.batch', m.key, m.payload as { events: UgcEventRecord[] }, m.id),
          ),
        ),
      );
      accepted.inc({ path: 'outbox' }, count);
    }
  }

  return {
    /**
     * Checks and accepts events of one request. `address` identifies a caller without an account
     * for the rate limit. Events about a film the caller may not see are refused per item, so
     * nobody adds views to films they cannot watch (a film not projected yet is let through: it
     * may have been published a moment ago).
     */
    async ingest(principal: Principal, body: unknown, address: string): Promise<IngestResult> {
      await deps.limiter.hit(budget, principal.userId ? `u:${principal.userId}` : `ip:${address}`);
      const items = Array.isArray(body) ? (body as unknown[]) : [body];
      if (items.length > MAX_EVENTS_PER_REQUEST) throw ugcErrors.TOO_MANY_EVENTS();
      const now = clock.now();
      const checked = items.map((item) => checkItem(item, principal.userId, now.getTime()));
      const filmIds = new Set<string>();
      for (const c of checked) if ('record' in c && c.record.film_id) filmIds.add(c.record.film_id);
      const access = await films.accessOf([...filmIds]);
      const records: UgcEventRecord[] = [];
      const sizes: number[] = [];
      const rejected: { index: number; errors: FieldError[] }[] = [];
      checked.forEach((result, index) => {
        if (!('record' in result)) {
          rejected.push({ index, errors: result.errors });
          return;
        }
        const level = result.record.film_id ? access.get(result.record.film_id) : undefined;
        if (level && !canSee(principal, level)) {
          rejected.push({ index, errors: [{ field: '/film_id', message: 'is not a film you may watch' }] });
          return;
        }
        records.push(result.record);
        sizes.push(result.bytes);
      });
      if (rejected.length > 0) rejectedCounter.inc(rejected.length);
      if (records.length > 0) await deliver(toMessages(records, sizes, now), records.length);
      return { accepted: records.length, rejected };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
