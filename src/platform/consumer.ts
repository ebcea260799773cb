/**
 * Idempotent event handling. `consume` subscribes a typed handler to the bus; each event runs in a
 * transaction that first records (consumer, event id): a redelivered event finds its id already
 * recorded and is skipped, so handlers apply each event exactly once even though the bus delivers
 * at least once.
 */
import type { Bus, Subscription } from '../ports/bus.js';
import { isDataException, type Sql, type SqlExecutor } from '../ports/sql.js';
import type { EventType, ReceivedEvent } from './events.js';
import type { Logger } from './logger.js';
import { runWithContext } from './context.js';
import { inConsumerSpan } from './tracing.js';

/** Runs `fn` once per (consumer, eventId); returns false when it had already run. */
export async function once(
  sql: Sql,
  consumer: string,
  eventId: string,
  fn: (tx: SqlExecutor) => Promise<void>,
): Promise<boolean> {
  return sql.transaction(async (tx) => {
    const inserted = await tx.execute(
      'INSERT INTO platform.processed_event (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [consumer, eventId],
    );
    if (inserted === 0) return false;
    await fn(tx);
    return true;
  });
}

export interface ConsumeOptions<T extends EventType> {
  bus: Bus;
  sql: Sql;
  logger: Logger;
  group: string;
  types: readonly T[];
  maxDeliveries?: number;
  /**
   * Which types under a prefix filter this consumer handles; others are acknowledged at once,
   * without a transaction or a de-duplication row. Default: every type it receives.
   */
  accepts?: (type: string) => boolean;
  /** Runs inside the dedup transaction; throw to have the event redelivered. */
  handle: (event: ReceivedEvent<T>, tx: SqlExecutor) => Promise<unknown>;
  /** Runs after the commit of an event `handle` applied (not for a duplicate). */
  applied?: (event: ReceivedEvent<T>) => Promise<void>;
}

export async function consume<T extends EventType>(options: ConsumeOptions<T>): Promise<Subscription> {
  const { bus, sql, logger, group } = options;
  return bus.subscribe({
    group,
    types: options.types,
    ...(options.maxDeliveries === undefined ? {} : { maxDeliveries: options.maxDeliveries }),
    handler: async (message, delivery) => {
      if (options.accepts && !options.accepts(message.type)) return;
      const requestId = message.headers['x-request-id'] ?? message.id;
      const traceparent = message.headers.traceparent;
      await runWithContext({ requestId, ...(traceparent ? { traceparent } : {}) }, async () => {
        try {
          const event = message as unknown as ReceivedEvent<T>;
          const done = await inConsumerSpan(
            message,
            group,
            () => once(sql, group, message.id, (tx) => options.handle(event, tx).then(() => undefined)),
            { 'messaging.message.delivery_attempt': delivery.attempt },
          );
          if (done) await options.applied?.(event);
        } catch (error) {
          logger.warn(
            {
              err: error,
              group,
              event_id: message.id,
              type: message.type,
              attempt: delivery.attempt,
              request_id: requestId,
            },
            'event handler failed',
          );
          throw error;
        }
      });
    },
  });
}

/**
 * Records a dead-lettered message so admins can see and replay it. It must always succeed: a
 * message often dies because its values cannot be stored (a NUL in a JSON string), and the same
 * values would fail the `jsonb` column here too; then the payload is kept as its escaped JSON
 * text inside a JSON string, which any text can be.
 */
export async function recordDeadLetter(
  sql: Sql,
  consumer: string,
  message: { id: string; type: string; payload: unknown },
  error: unknown,
): Promise<void> {
  const text = JSON.stringify(message.payload) ?? 'null';
  // text columns refuse NUL too; the reason is for people, so a visible mark will do.
  const reason = (error instanceof Error ? error.message : String(error)).replaceAll('\0', '\\0');
  const insert = (payload: string) =>
    sql.execute(
      `INSERT INTO platform.dead_letter (consumer, event_id, type, payload, error) VALUES ($1, $2, $3, ${payload}, $5)`,
      [consumer, message.id, message.type.replaceAll('\0', '\\0'), text, reason],
    );
  try {
    await insert('$4::jsonb');
  } catch (failure) {
    if (!isDataException(failure)) throw failure;
    await insert('to_jsonb($4::text)');
  }
}
