/**
 * Property-based check of a notification socket's first frames: random interleavings of
 * opens, auth frames (good, bad, garbage, pings), token checks finishing in any order, and
 * closes from either side, against the real hub. Invariants after every step: the hub holds
 * exactly the open authenticated sockets, never one socket twice, and nothing once all closed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../platform/security.js';
import { createLiveHub, type LiveHub } from './live.hub.js';
import { openLiveSession, type LiveSession } from './live.session.js';
import type { RecipientRepository } from './recipient.repository.js';

const RUNS = 1_000;
const SOCKETS = 5;
const USERS = ['u1', 'u2'] as const;
const PER_USER = 2;

type Frame = 'auth-u1' | 'auth-u2' | 'auth-bad' | 'garbage' | 'empty-token' | 'ping';
type Step =
  | { kind: 'open'; socket: number; withToken: string | null }
  | { kind: 'frame'; socket: number; frame: Frame }
  | { kind: 'burst'; socket: number; frame: Frame; count: number }
  | { kind: 'settle'; pick: number }
  | { kind: 'client-close'; socket: number }
  | { kind: 'deliver-closes' };

const frameArb = fc.constantFrom<Frame>('auth-u1', 'auth-u2', 'auth-bad', 'garbage', 'empty-token', 'ping');
const socketArb = fc.integer({ min: 0, max: SOCKETS - 1 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('open' as const),
    socket: socketArb,
    // A token given with the upgrade request (query or header), or none.
    withToken: fc.option(fc.constantFrom('token-u1', 'token-u2', 'forged')),
  }),
  fc.record({ kind: fc.constant('frame' as const), socket: socketArb, frame: frameArb }),
  fc.record({
    kind: fc.constant('burst' as const),
    socket: socketArb,
    frame: frameArb,
    count: fc.integer({ min: 2, max: 6 }),
  }),
  fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('client-close' as const), socket: socketArb }),
  fc.constant({ kind: 'deliver-closes' as const }),
);

const text = (frame: Frame): string => {
  switch (frame) {
    case 'auth-u1':
    case 'auth-u2':
      return JSON.stringify({ type: 'auth', access_token: `token-${frame.slice(5)}` });
    case 'auth-bad':
      return JSON.stringify({ type: 'auth', access_token: 'forged' });
    case 'empty-token':
      return JSON.stringify({ type: 'auth', access_token: '' });
    case 'garbage':
      return '{"type":';
    case 'ping':
      return 'ping';
  }
};

const principal = (userId: string): Principal => ({
  kind: 'user',
  userId,
  sessionId: `s-${userId}`,
  login: userId,
  roles: [],
  permissions: new Set(),
});

interface FakeSocket {
  open: boolean;
  /** A close the server asked for, not yet reported back by the transport. */
  closing: boolean;
  session: LiveSession;
  registrations: number;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function run(steps: readonly Step[]): Promise<void> {
  // Token checks and the hub's own read finish only when a `settle` step says so, in any order.
  const pending: { resolve: () => void }[] = [];
  const recipients = {
    lastSeq: () => new Promise<number>((resolve) => pending.push({ resolve: () => resolve(0) })),
    inboxSince: async () => [],
  } as unknown as RecipientRepository;
  const hub: LiveHub = createLiveHub({
    recipients,
    logger: { warn: () => undefined } as never,
    verifier: { verify: async () => principal('u1') },
    pollMs: 3_600_000,
    maxPerUser: PER_USER,
  });
  const sockets = new Map<number, FakeSocket>();
  const all: FakeSocket[] = [];

  const verify = (token: string) =>
    new Promise<Principal>((resolve, reject) => {
      pending.push({
        resolve: () => {
          const user = USERS.find((u) => token === `token-${u}`);
          if (user) resolve(principal(user));
          else reject(new Error('bad token'));
        },
      });
    });

  const open = (index: number, token: string | undefined) => {
    const fake = { open: true, closing: false, registrations: 0 } as FakeSocket;
    const socket = {
      send: () => undefined,
      close: () => {
        if (fake.open) fake.closing = true;
      },
    };
    const countingHub = {
      attach: async (conn: Parameters<LiveHub['attach']>[0]) => {
        const reg = await hub.attach(conn);
        if (!reg) return null;
        fake.registrations++;
        return {
          detach() {
            fake.registrations--;
            reg.detach();
          },
        };
      },
    };
    fake.session = openLiveSession(
      {
        hub: countingHub,
        verify,
        unread: async () => 0,
        logger: { warn: () => undefined },
        authTimeoutMs: 3_600_000,
      },
      socket,
      token,
    );
    sockets.set(index, fake);
    all.push(fake);
  };
  const closeReported = (fake: FakeSocket) => {
    if (!fake.open) return;
    fake.open = false;
    fake.closing = false;
    fake.session.closed();
  };

  const check = () => {
    const authenticatedOpen = all.filter((s) => s.open && s.session.state() === 'authenticated').length;
    expect(hub.connections()).toBe(authenticatedOpen);
    for (const s of all) {
      expect(s.registrations).toBeGreaterThanOrEqual(0);
      expect(s.registrations).toBeLessThanOrEqual(1);
      if (!s.open || s.session.state() !== 'authenticated') expect(s.registrations).toBe(0);
    }
  };

  for (const step of steps) {
    const fake = 'socket' in step ? sockets.get(step.socket) : undefined;
    switch (step.kind) {
      case 'open':
        if (fake?.open) break;
        open(step.socket, step.withToken ?? undefined);
        break;
      case 'frame':
        if (fake?.open) fake.session.message(text(step.frame));
        break;
      case 'burst':
        // Frames that arrive in one chunk are handled in one go, before any await resumes.
        if (fake?.open) for (let i = 0; i < step.count; i++) fake.session.message(text(step.frame));
        break;
      case 'settle':
        if (pending.length > 0) pending.splice(step.pick % pending.length, 1)[0]!.resolve();
        break;
      case 'client-close':
        if (fake) closeReported(fake);
        break;
      case 'deliver-closes':
        for (const s of all) if (s.closing) closeReported(s);
        break;
    }
    await flush();
    check();
  }

  // Every token check finishes, every socket closes: nothing may stay registered.
  while (pending.length > 0) {
    pending.shift()!.resolve();
    await flush();
  }
  for (const s of all) closeReported(s);
  await flush();
  check();
  expect(hub.connections()).toBe(0);
  hub.close();
}

describe('notification socket first frames (property)', () => {
  it(`keeps registrations equal to open authenticated sockets (${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), (steps) => run(steps)),
      { numRuns: RUNS },
    );
  });
});
