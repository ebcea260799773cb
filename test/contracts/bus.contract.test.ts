/** The bus port contract (ports/bus.ts), on the in-process bus always and on NATS JetStream when NATS_URL is set. */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage, Subscription } from '../../src/ports/bus.js';
import { matchesType } from '../../src/ports/bus.js';
import { createTestBus, eventually, serverUrls } from '../helpers/engines.js';

const engines = [
  { name: 'memory', run: true },
  { name: 'nats', run: Boolean(serverUrls.nats) },
] as const;

const msg = (type: string, key: string, payload: unknown = {}): BusMessage => ({
  id: randomUUID(),
  type,
  key,
  payload,
  occurredAt: new Date().toISOString(),
  headers: {
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'x-request-id': 'req-1',
  },
});

for (const engine of engines) {
  describe.skipIf(!engine.run)(
    `bus contract on ${engine.name}${engine.run ? '' : ' (skipped: set NATS_URL to run on JetStream)'}`,
    () => {
      const open: { bus: Bus; subs: Subscription[] }[] = [];
      async function bus(options: Parameters<typeof createTestBus>[1] = {}) {
        const entry = { bus: await createTestBus(engine.name, options), subs: [] as Subscription[] };
        open.push(entry);
        return entry;
      }
      afterEach(async () => {
        for (const { bus: b, subs } of open.splice(0)) {
          for (const s of subs) await s.stop();
          await b.close();
        }
      });

      it('delivers a published message with its id, type, key, payload and headers', async () => {
        const { bus: b, subs } = await bus();
        const got: BusMessage[] = [];
        subs.push(
          await b.subscribe({ group: 'g1', types: ['film.updated'], handler: async (m) => void got.push(m) }),
        );
        const m = msg('film.updated', 'f1', { title: 'Solaris', n: 1 });
        await b.publish([m]);
        await eventually(() => got.length === 1);
        expect(got[0]).toEqual(m);
      });

      it('gives every group its own copy and each group each message once', async () => {
        const { bus: b, subs } = await bus();
        const a: string[] = [];
        const c: string[] = [];
        subs.push(
          await b.subscribe({ group: 'ga', types: ['x.>'], handler: async (m) => void a.push(m.id) }),
        );
        subs.push(
          await b.subscribe({ group: 'gc', types: ['x.one'], handler: async (m) => void c.push(m.id) }),
        );
        const m1 = msg('x.one', 'k');
        const m2 = msg('x.two', 'k');
        const other = msg('y.one', 'k');
        await b.publish([m1, m2, other]);
        await eventually(() => a.length === 2 && c.length === 1);
        // Nothing more is on its way: both groups have acknowledged everything they were sent.
        await eventually(async () => (await b.lag('ga')) === 0 && (await b.lag('gc')) === 0);
        expect(a).toEqual([m1.id, m2.id]);
        expect(c).toEqual([m1.id]);
      });

      it('keeps publish order per key', async () => {
        const { bus: b, subs } = await bus();
        const seen = new Map<string, number[]>();
        subs.push(
          await b.subscribe({
            group: 'order',
            types: ['seq.>'],
            handler: async (m) => {
              const { n } = m.payload as { n: number };
              seen.set(m.key, [...(seen.get(m.key) ?? []), n]);
            },
          }),
        );
        const batch = Array.from({ length: 60 }, (_, n) => msg('seq.n', `k${n % 3}`, { n }));
        await b.publish(batch.slice(0, 30));
        await b.publish(batch.slice(30));
        await eventually(() => [...seen.values()].reduce((s, v) => s + v.length, 0) === 60);
        for (const [key, ns] of seen) {
          const expected = batch.filter((m) => m.key === key).map((m) => (m.payload as { n: number }).n);
          expect(ns).toEqual(expected);
        }
      });

      it('redelivers a message whose handler failed, with a growing attempt number', async () => {
        const { bus: b, subs } = await bus();
        const attempts: number[] = [];
        subs.push(
          await b.subscribe({
            group: 'retry',
            types: ['r.x'],
            handler: async (_m, d) => {
              attempts.push(d.attempt);
              if (d.attempt < 3) throw new Error('transient');
            },
          }),
        );
        await b.publish([msg('r.x', 'k')]);
        await eventually(() => attempts.length === 3);
        expect(attempts).toEqual([1, 2, 3]);
      });

      it('dead-letters a message after maxDeliveries and goes on with the next', async () => {
        const dead: string[] = [];
        const { bus: b, subs } = await bus({ onDeadLetter: (_g, m) => dead.push(m.id) });
        const ok: string[] = [];
        const poison = msg('p.x', 'k');
        const fine = msg('p.x', 'k');
        subs.push(
          await b.subscribe({
            group: 'poison',
            types: ['p.x'],
            maxDeliveries: 2,
            handler: async (m) => {
              if (m.id === poison.id) throw new Error('always');
              ok.push(m.id);
            },
          }),
        );
        await b.publish([poison, fine]);
        await eventually(() => dead.length === 1 && ok.length === 1);
        expect(dead).toEqual([poison.id]);
        expect(ok).toEqual([fine.id]);
      });

      it('reports lag for a known group', async () => {
        const { bus: b, subs } = await bus();
        subs.push(await b.subscribe({ group: 'lagging', types: ['l.x'], handler: async () => undefined }));
        await eventually(async () => (await b.lag('lagging')) === 0);
        await expect(b.ping()).resolves.toBeUndefined();
      });

      it.skipIf(engine.name === 'memory')(
        'keeps messages for a durable group while it is offline (in-process: durability comes from the outbox instead)',
        async () => {
          const { bus: b } = await bus();
          const first: string[] = [];
          const sub = await b.subscribe({
            group: 'durable',
            types: ['d.x'],
            handler: async (m) => void first.push(m.id),
          });
          const m1 = msg('d.x', 'k');
          await b.publish([m1]);
          await eventually(() => first.length === 1);
          await sub.stop();
          const m2 = msg('d.x', 'k');
          await b.publish([m2]);
          const second: string[] = [];
          const again = await b.subscribe({
            group: 'durable',
            types: ['d.x'],
            handler: async (m) => void second.push(m.id),
          });
          await eventually(() => second.length === 1);
          expect(second).toEqual([m2.id]);
          await again.stop();
        },
      );
    },
  );
}

describe('type patterns', () => {
  it('matches exact types and dotted prefixes', () => {
    expect(matchesType(['content.>'], 'content.film.updated')).toBe(true);
    expect(matchesType(['content.>'], 'contentx.film')).toBe(false);
    expect(matchesType(['a.b'], 'a.b')).toBe(true);
    expect(matchesType(['a.b'], 'a.b.c')).toBe(false);
  });
});
