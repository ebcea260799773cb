/**
 * Typed events. Each producing module declares its event names and payloads in its own
 * `*.events.ts` by augmenting `EventMap`:
 *
 *   declare module '../../platform/events.js' {
 *     interface EventMap { 'ugc.review.liked': { reviewId: string; filmId: string; likerId: string } }
 *   }
 *
 * so that `emit` and `subscribe` are checked against the payload of the type they name.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventMap {}

export type EventType = Extract<keyof EventMap, string>;

/** An event as a producer hands it to the outbox. */
export interface NewEvent<T extends EventType = EventType> {
  readonly type: T;
  /** Ordering key: events with one key are delivered in order. */
  readonly key: string;
  readonly payload: EventMap[T];
  /** Given when the producer needs a stable id (e.g. derived from a client id); else random. */
  readonly id?: string;
}

/** An event as a consumer receives it. */
export interface ReceivedEvent<T extends EventType = EventType> {
  readonly id: string;
  readonly type: T;
  readonly key: string;
  readonly payload: EventMap[T];
  readonly occurredAt: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function event<T extends EventType>(
  type: T,
  key: string,
  payload: EventMap[T],
  id?: string,
): NewEvent<T> {
  return id === undefined ? { type, key, payload } : { type, key, payload, id };
}
