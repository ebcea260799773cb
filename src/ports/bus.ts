/**
 * The bus port: an in-process dispatcher (embedded) or NATS JetStream (server). Producers do not
 * call `publish` directly: they write events to the outbox in their transaction and the relay
 * publishes them (see platform/outbox.ts).
 *
 * Guarantees every adapter keeps:
 * - `publish` resolves only when the messages are durable for every existing group: on JetStream
 *   when the stream has acknowledged them; in-process when every subscribed group's handler has
 *   acknowledged them (so the outbox row that fed them stays unsent until then).
 * - At-least-once: a message whose handler throws (or whose process dies before acking) is
 *   delivered again, after a back-off, to the same group, up to `maxDeliveries`; after that it is
 *   reported through `onDeadLetter` and dropped. Handlers must be idempotent (see
 *   platform/consumer.ts).
 * - Order: messages with the same `key` reach a group's handler in publish order, one at a time.
 * - Groups are durable: each group name receives every matching message once (shared between the
 *   replicas subscribed with that name); on JetStream a group that was offline gets the messages
 *   it missed when it subscribes again.
 * - `types` match exact event types or prefixes ending in `.>` (`content.>`).
 * - Message ids are unique; publishing the same id twice within the dedup window is a no-op on
 *   JetStream and harmless elsewhere because consumers are idempotent.
 */
export interface BusMessage {
  readonly id: string;
  readonly type: string;
  /** Ordering key (e.g. the aggregate id). */
  readonly key: string;
  readonly payload: unknown;
  /** ISO-8601 time of the change that produced the message. */
  readonly occurredAt: string;
  /** Carried verbatim: trace context (`traceparent`), request id. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface Delivery {
  /** 1 on first delivery, 2+ on redeliveries. */
  readonly attempt: number;
}

export type BusHandler = (message: BusMessage, delivery: Delivery) => Promise<void>;

export interface SubscribeOptions {
  /** Durable consumer group name, e.g. `etl.catalog`. */
  readonly group: string;
  readonly types: readonly string[];
  readonly handler: BusHandler;
  /** Deliveries before a message is dead-lettered (default 10). */
  readonly maxDeliveries?: number;
}

export interface Subscription {
  /** Stops receiving; resolves when the in-flight handler calls have finished. */
  stop(): Promise<void>;
}

export interface Bus {
  readonly engine: 'memory' | 'nats';
  publish(messages: readonly BusMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Undelivered messages per group (consumer lag), for metrics. */
  lag(group: string): Promise<number | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** True when `type` is matched by one of `patterns` (exact or `prefix.>`). */
export function matchesType(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => (p.endsWith('.>') ? type.startsWith(p.slice(0, -1)) : p === type || p === '>'));
}
