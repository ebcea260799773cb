import {
  matchesType,
  type Bus,
  type BusMessage,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/bus.js';

export interface MemoryBusOptions {
  /** Delay before redelivery number `attempt + 1`. */
  retryDelayMs?: (attempt: number) => number;
  onDeadLetter?: (group: string, message: BusMessage, error: unknown) => void;
}

interface Group {
  readonly options: SubscribeOptions;
  /** Deliveries to one group run one after another, in publish order. */
  tail: Promise<void>;
  pending: number;
  stopped: boolean;
}

/**
 * In-process bus. It keeps nothing itself: `publish` resolves once every subscribed group has
 * handled (or dead-lettered) each message, so the outbox row that fed it stays unsent until then
 * and a crash simply means the relay publishes it again.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): Bus {
  const groups = new Map<string, Group>();
  const delay = options.retryDelayMs ?? ((attempt: number) => Math.min(50 * 2 ** (attempt - 1), 2_000));
  let closed = false;

  async function deliver(group: Group, message: BusMessage): Promise<void> {
    const max = group.options.maxDeliveries ?? 10;
    for (let attempt = 1; ; attempt++) {
      if (group.stopped)
        throw new Error(`group ${group.options.group} stopped before acknowledging ${message.id}`);
      try {
        await group.options.handler(message, { attempt });
        return;
      } catch (error) {
        if (attempt >= max) {
          options.onDeadLetter?.(group.options.group, message, error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay(attempt)));
      }
    }
  }

  return {
    engine: 'memory',
    async publish(messages) {
      if (closed) throw new Error('bus is closed');
      const runs: Promise<void>[] = [];
      for (const group of groups.values()) {
        const mine = messages.filter((m) => matchesType(group.options.types, m.type));
        if (mine.length === 0) continue;
        group.pending += mine.length;
        const run = group.tail.then(async () => {
          for (const message of mine) {
            await deliver(group, message);
            group.pending--;
          }
        });
        // The chain continues even if this run failed (its publisher sees the failure).
        group.tail = run.catch(() => undefined);
        runs.push(run);
      }
      await Promise.all(runs);
    },
    async subscribe(subscribeOptions): Promise<Subscription> {
      if (groups.has(subscribeOptions.group)) {
        throw new Error(`group ${subscribeOptions.group} already has a subscriber in this process`);
      }
      const group: Group = { options: subscribeOptions, tail: Promise.resolve(), pending: 0, stopped: false };
      groups.set(subscribeOptions.group, group);
      return {
        async stop() {
          groups.delete(subscribeOptions.group);
          group.stopped = true;
          await group.tail;
        },
      };
    },
    async lag(group) {
      return groups.get(group)?.pending ?? null;
    },
    async ping() {
      if (closed) throw new Error('bus is closed');
    },
    async close() {
      closed = true;
      const tails = [...groups.values()].map((g) => {
        g.stopped = true;
        return g.tail;
      });
      groups.clear();
      await Promise.all(tails);
    },
  };
}
