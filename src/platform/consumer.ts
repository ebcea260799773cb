/**
 * Idempotent event handling. `consume` subscribes a typed handler to the bus; each event runs in a
 * transaction that first records (consumer, event id): a redelivered event finds its id already
 * recorded and is skipped, so handlers apply each event exactly once even though the bus delivers
 * at least once.
 */
import type { Bus, BusMessage, Subscription } from '../ports/bus.js';
import { isDataException, type Sql, type SqlExecutor } from '../ports/sql.js';
import type { EventType, ReceivedEvent } from './events.js';
import type { Logger } from './logger.js';
import { runWithContext } from './context.js';
import { inConsumerSpan } from './tracing.js';
import { createConsumerRepository } from './consumer.repository.js';

/** Runs `fn` once per (consumer, eventId); returns false when it had already run. */
export async function once(
  sql: Sql,
  consumer: string,
  eventId: string,
  fn: (tx: SqlExecutor) => Promise<void>,
): Promise<boolean> {
  return sql.transaction(async (tx) => {
    if (!(await createConsumerRepository(tx).markProcessed(consumer, eventId))) return false;
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
  const { sql, group } = options;
  return subscribeTraced(options, async (message, attempt) => {
    if (options.accepts && !options.accepts(message.type)) return;
    const event = message as unknown as ReceivedEvent<T>;
    const done = await inConsumerSpan(
      message,
      group,
      () => once(sql, group, message.id, (tx) => options.handle(event, tx).then(() => undefined)),
      { 'messaging.message.delivery_attempt': attempt },
    );
    if (done) await options.applied?.(event);
  });
}

export interface ConsumeStreamOptions<T extends EventType> {
  bus: Bus;
  logger: Logger;
  group: string;
  types: readonly T[];
  /** Throw to have the event redelivered. */
  handle: (event: ReceivedEvent<T>) => Promise<void>;
}

/**
 * Like `consume`, for a handler that drops repeats by itself (a primary key on the event id):
 * no de-duplication row and no transaction around it, the same trace, span and failure log.
 */
export async function consumeStream<T extends EventType>(
  options: ConsumeStreamOptions<T>,
): Promise<Subscription> {
  return subscribeTraced(options, (message, attempt) =>
    inConsumerSpan(message, options.group, () => options.handle(message as unknown as ReceivedEvent<T>), {
      'messaging.message.delivery_attempt': attempt,
    }),
  );
}

/** Subscribes `run` under the caller's request id and trace; logs and rethrows its failures. */
function subscribeTraced(
  options: { bus: Bus; logger: Logger; group: string; types: readonly string[]; maxDeliveries?: number },
  run: (message: BusMessage, attempt: number) => Promise<void>,
): Promise<Subscription> {
  const { bus, logger, group } = options;
  return bus.subscribe({
    group,
    types: options.types,
    ...(options.maxDeliveries === undefined ? {} : { maxDeliveries: options.maxDeliveries }),
    handler: async (message, delivery) => {
      const requestId = message.headers['x-request-id'] ?? message.id;
      const traceparent = message.headers.traceparent;
      await runWithContext({ requestId, ...(traceparent ? { traceparent } : {}) }, async () => {
        try {
          await run(message, delivery.attempt);
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
 * The bus as this process's modules see it: each group subscribed through it is remembered, so
 * the kernel can report the lag of the groups this process consumes.
 */
export function trackingGroups(bus: Bus): { bus: Bus; groups: ReadonlySet<string> } {
  const groups = new Set<string>();
  return {
    groups,
    bus: {
      engine: bus.engine,
      publish: (messages) => bus.publish(messages),
      subscribe: (subscribe) => {
        groups.add(subscribe.group);
        return bus.subscribe(subscribe);
      },
      lag: (group) => bus.lag(group),
      ping: () => bus.ping(),
      close: () => bus.close(),
    },
  };
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
  // text columns refuse NUL too; the reason is for people, so a visible mark will do.
  const reason = (error instanceof Error ? error.message : String(error)).replaceAll('\0', '\\0');
  const letter = {
    consumer,
    eventId: message.id,
    type: message.type.replaceAll('\0', '\\0'),
    payload: JSON.stringify(message.payload) ?? 'null',
    error: reason,
  };
  const letters = createConsumerRepository(sql);
  try {
    await letters.recordDeadLetter(letter, 'json');
  } catch (failure) {
    if (!isDataException(failure)) throw failure;
    await letters.recordDeadLetter(letter, 'text');
  }
}
