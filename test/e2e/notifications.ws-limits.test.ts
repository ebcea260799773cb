/**
 * The notification WebSocket under a burst, with a real ws client against a listening server:
 * several auth frames sent before the first token is verified register nothing twice, the
 * socket gauge is back at 0 once every socket closed, and per-user, per-address and
 * upgrade-rate caps refuse the next socket.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually } from '../helpers/engines.js';
import { registered, startNotifyKino, type NotifyKino } from './notifications.fixture.js';

interface Outcome {
  code: number;
  frames: string[];
}

/** Opens a socket, runs `script` once it is open, and resolves with its close code and frames. */
function socketRun(url: string, script: (ws: WebSocket) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: string[] = [];
    ws.on('open', () => script(ws));
    ws.on('message', (raw: Buffer) => frames.push(raw.toString()));
    ws.on('close', (code) => resolve({ code, frames }));
    ws.on('unexpected-response', (_req, res) => resolve({ code: res.statusCode ?? 0, frames }));
    ws.on('error', reject);
  });
}

/** Opens a socket that authenticates and stays open; resolves once `ready` arrived. */
async function readySocket(url: string, token: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', access_token: token })));
    ws.on('message', (raw: Buffer) => {
      if (raw.toString().includes('"ready"')) resolve();
    });
    ws.on('error', reject);
    void closed.then((code) => reject(new Error(`closed with ${code}`)));
  });
  return { ws, closed };
}

async function gauge(n: NotifyKino, name: string): Promise<number> {
  const text = await n.kino.kernel.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return Number(line?.split(' ').at(-1));
}

describe('notifications WebSocket: one registration per socket, caps', () => {
  let n: NotifyKino;
  let base: string;

  beforeAll(async () => {
    n = await startNotifyKino({
      env: { NOTIFY_WS_PER_USER: '3', NOTIFY_WS_PER_IP: '1000', NOTIFY_WS_UPGRADES_PER_MINUTE: '100000' },
      // Token checks take a few milliseconds (as a cache lookup does), so a burst of frames
      // reaches the server while the first token is still being checked.
      tokenCheckMs: 5,
    });
    await n.kino.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = n.kino.app.server.address() as AddressInfo;
    base = `ws://127.0.0.1:${port}/api/v1/notifications/ws`;
  }, 180_000);
  afterAll(async () => {
    await n?.close();
  });

  it('200 sockets bursting auth frames leave no registration behind (gauge back at 0)', async () => {
    const user = registered();
    await n.emit('auth.user.registered', user.userId, user);
    const codes: number[] = [];
    for (let round = 0; round < 20; round++) {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          socketRun(base, (ws) => {
            const frame = JSON.stringify({ type: 'auth', access_token: n.tokenFor(user.userId) });
            for (let k = 0; k < 5; k++) ws.send(frame);
            // Half close at once, half a little later (after a possible registration).
            setTimeout(() => ws.close(), i % 2 === 0 ? 0 : 30);
          }),
        ),
      );
      codes.push(...outcomes.map((o) => o.code));
    }
    expect(codes).toHaveLength(200);
    // Once the server has seen every close, no registration outlives its socket.
    await eventually(async () => (await gauge(n, 'kino_notifications_sockets')) === 0, {
      timeoutMs: 10_000,
      what: 'the socket gauge back at 0',
    });
    // The second frame of each burst arrives while the first is verified: refused.
    expect(codes.filter((c) => c === 1008).length).toBeGreaterThan(150);
  }, 60_000);

  it('refuses the socket over the per-user cap, and takes one again after a close', async () => {
    const user = registered();
    await n.emit('auth.user.registered', user.userId, user);
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await readySocket(base, n.tokenFor(user.userId)));
    expect(await gauge(n, 'kino_notifications_sockets')).toBe(3);

    const fourth = await socketRun(base, (ws) =>
      ws.send(JSON.stringify({ type: 'auth', access_token: n.tokenFor(user.userId) })),
    );
    expect(fourth.code).toBe(4429);
    expect(fourth.frames).toEqual([]);

    // Another user is not affected by the first one's cap.
    const other = registered();
    await n.emit('auth.user.registered', other.userId, other);
    const theirs = await readySocket(base, n.tokenFor(other.userId));

    held[0]!.ws.close();
    await held[0]!.closed;
    await eventually(async () => (await gauge(n, 'kino_notifications_sockets')) === 3, 2_000);
    const again = await readySocket(base, n.tokenFor(user.userId));
    for (const s of [...held.slice(1), theirs, again]) {
      s.ws.close();
      await s.closed;
    }
    await eventually(async () => (await gauge(n, 'kino_notifications_sockets')) === 0, 2_000);
  }, 30_000);
});

describe('notifications WebSocket: per-address caps before the upgrade', () => {
  let n: NotifyKino;
  let base: string;

  beforeAll(async () => {
    n = await startNotifyKino({
      env: { NOTIFY_WS_PER_USER: '10', NOTIFY_WS_PER_IP: '2', NOTIFY_WS_UPGRADES_PER_MINUTE: '6' },
    });
    await n.kino.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = n.kino.app.server.address() as AddressInfo;
    base = `ws://127.0.0.1:${port}/api/v1/notifications/ws`;
  }, 180_000);
  afterAll(async () => {
    await n?.close();
  });

  it('answers 429 to the socket over the per-address cap and to upgrades over the rate', async () => {
    const user = registered();
    await n.emit('auth.user.registered', user.userId, user);
    const a = await readySocket(base, n.tokenFor(user.userId));
    const b = await readySocket(base, n.tokenFor(user.userId));
    const third = await socketRun(base, () => undefined);
    expect(third.code).toBe(429);
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
    // 3 upgrades so far; 3 more fit the window of 6, then every attempt is refused.
    const more = [];
    for (let i = 0; i < 5; i++) more.push(await socketRun(base, (ws) => ws.close()));
    expect(more.map((o) => o.code)).toEqual([1005, 1005, 1005, 429, 429]);
  }, 30_000);
});
