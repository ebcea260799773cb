import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  connect,
  headers as natsHeaders,
  nanos,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import {
  matchesType,
  type Bus,
  type BusMessage,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/bus.js';

export interface NatsBusOptions {
  url: string;
  stream: string;
  /** Subjects are `<subjectPrefix>.<event type>`. */
  subjectPrefix?: string;
  /** Delay before redelivery number `attempt + 1`. */
  retryDelayMs?: (attempt: number) => number;
  onDeadLetter?: (group: string, message: BusMessage, error: unknown) => void;
  onError?: (error: Error) => void;
  /**
   * How long JetStream waits for an ack before redelivering (default 30 s): the delay before a
   * message fetched by a process that stopped or died reaches another subscriber. Handlers that
   * run longer keep their message by reporting progress, so this bounds silence, not work.
   */
  ackWaitMs?: number;
}

const durableName = (group: string) => group.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * NATS JetStream: one stream holds every event (file storage, 7 days, 2-minute dedup window on
 * the message id); each group is a durable pull consumer with explicit acks.
 */
/** True when a NATS server version string is at least major.minor. */
function serverAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const [a = 0, b = 0] = (version ?? '0.0').split('.').map((n) => Number.parseInt(n, 10));
  return a > major || (a === major && b >= minor);
}

export async function createNatsBus(options: NatsBusOptions): Promise<Bus> {
  const prefix = options.subjectPrefix ?? 'kino';
  const delay = options.retryDelayMs ?? ((attempt: number) => Math.min(200 * 2 ** (attempt - 1), 30_000));
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const url = new URL(options.url);
  const nc: NatsConnection = await connect({
    servers: `${url.hostname}:${url.port || '4222'}`,
    ...(url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : {}),
    name: 'kinoservice',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: 5_000,
  });
  // Known to be disconnected: publish fails at once (callers fall back to the outbox) instead of
  // waiting for the publish timeout on every call.
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      const type = String(status.type);
      if (type === 'disconnect') connected = false;
      if (type === 'reconnect') connected = true;
      if (type === 'disconnect' || type === 'error') {
        options.onError?.(new Error(`nats ${type}: ${JSON.stringify(status.data)}`));
      }
    }
  })();
  const jsm: JetStreamManager = await nc.jetstreamManager();
  const js: JetStreamClient = nc.jetstream();
  const streamConfig = {
    name: options.stream,
    subjects: [`${prefix}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(7 * 24 * 3600 * 1000),
    duplicate_window: nanos(120_000),
  };
  try {
    await jsm.streams.info(options.stream);
    await jsm.streams.update(options.stream, streamConfig);
  } catch {
    await jsm.streams.add(streamConfig);
  }

  const subjectOf = (type: string) => `${prefix}.${type}`;
  const decode = (m: JsMsg): BusMessage => {
    const body = m.json<Omit<BusMessage, 'headers'>>();
    const h: Record<string, string> = {};
    if (m.headers) {
      for (const [name, values] of m.headers) {
        if (!name.startsWith('Nats-') && values[0] !== undefined) h[name] = values[0];
      }
    }
    return { ...body, headers: h };
  };

  const running = new Set<{ messages: ConsumerMessages; done: Promise<void> }>();
  let closed = false;

  return {
    engine: 'nats',
    async publish(messages) {
      if (!connected || nc.isClosed()) throw new Error('nats is disconnected; publish refused');
      await Promise.all(
        messages.map((message) => {
          const h = natsHeaders();
          for (const [name, value] of Object.entries(message.headers)) h.set(name, value);
          const { headers: _ignored, ...body } = message;
          return js.publish(subjectOf(message.type), JSON.stringify(body), { msgID: message.id, headers: h });
        }),
      );
    },
    async subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
      const durable = durableName(subscribeOptions.group);
      const maxDeliveries = subscribeOptions.maxDeliveries ?? 10;
      const filterSubjects = subscribeOptions.types.map((t) => (t === '>' ? `${prefix}.>` : subjectOf(t)));
      const multiFilter = serverAtLeast(nc.info?.version, 2, 10);
      const consumerConfig = {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ackWaitMs),
        max_deliver: maxDeliveries,
        max_ack_pending: 1_000,
        ...(filterSubjects.length === 1
          ? { filter_subject: filterSubjects[0] }
          : multiFilter
            ? { filter_subjects: filterSubjects }
            : // Servers before 2.10 take one filter: take the whole stream, keep matches below.
              { filter_subject: `${prefix}.>` }),
      };
      try {
        await jsm.consumers.info(options.stream, durable);
        await jsm.consumers.update(options.stream, durable, consumerConfig);
      } catch {
        await jsm.consumers.add(options.stream, consumerConfig);
      }
      const consumer = await js.consumers.get(options.stream, durable);
      const messages = await consumer.consume({ max_messages: 256 });
      const done = (async () => {
        // One message at a time per subscriber: publish order within this subscriber.
        for await (const m of messages) {
          const message = decode(m);
          const attempt = m.info.redeliveryCount;
          if (!matchesType(subscribeOptions.types, message.type)) {
            m.ack();
            continue;
          }
          // A handler still at work tells the server so, well before the ack wait runs out.
          const progress = setInterval(() => m.working(), Math.max(100, ackWaitMs / 3));
          try {
            await subscribeOptions.handler(message, { attempt });
            m.ack();
          } catch (error) {
            if (attempt >= maxDeliveries) {
              options.onDeadLetter?.(subscribeOptions.group, message, error);
              m.term();
            } else {
              m.nak(delay(attempt));
            }
          } finally {
            clearInterval(progress);
          }
        }
      })();
      const entry = { messages, done };
      running.add(entry);
      return {
        async stop() {
          running.delete(entry);
          await messages.close();
          await done.catch(() => undefined);
        },
      };
    },
    async lag(group) {
      try {
        const info = await jsm.consumers.info(options.stream, durableName(group));
        return info.num_pending + info.num_ack_pending;
      } catch {
        return null;
      }
    },
    async ping() {
      if (nc.isClosed()) throw new Error('nats connection is closed');
      await nc.flush();
      await jsm.getAccountInfo();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const entry of running) {
        await entry.messages.close();
        await entry.done.catch(() => undefined);
      }
      running.clear();
      await nc.drain().catch(() => nc.close());
    },
  };
}
