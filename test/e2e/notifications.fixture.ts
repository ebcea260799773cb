/** Shared set-up for the notifications end-to-end tests: a kino with the module, events in, principals. */
import { randomUUID } from 'node:crypto';
import '../../src/modules/auth/index.js';
import '../../src/modules/ugc/index.js';
import '../../src/modules/content/index.js';
import { ManualClock } from '../../src/platform/clock.js';
import { emit } from '../../src/platform/outbox.js';
import { event, type EventMap, type EventType } from '../../src/platform/events.js';
import type { Principal, TokenVerifier } from '../../src/platform/security.js';
import { platformErrors } from '../../src/platform/errors.js';
import type { NotificationsService } from '../../src/modules/notifications/index.js';
import { createTestKino, type TestKino, type TestKinoOptions } from '../helpers/kino.js';
import { eventually } from '../helpers/engines.js';

export type Service = NotificationsService & { deliverNow(): Promise<number> };

export interface NotifyKino {
  readonly kino: TestKino;
  readonly clock: ManualClock;
  readonly service: Service;
  /** Emits events through the outbox and waits until the consumer applied them. */
  emit<T extends EventType>(type: T, key: string, payload: EventMap[T]): Promise<string>;
  emitMany(events: { type: EventType; key: string; payload: unknown }[]): Promise<void>;
  /** Bearer header of a user principal (admin adds CRUD_ROLE). */
  auth(userId: string, options?: { admin?: boolean; sessionId?: string }): { authorization: string };
  tokenFor(userId: string, options?: { admin?: boolean; sessionId?: string }): string;
  revokeToken(token: string): void;
  /** Delivers everything due now, also waiting for rows a background worker is sending. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startNotifyKino(
  options: {
    env?: Record<string, string>;
    start?: string;
    workers?: boolean;
    /** Each token check takes this long (as a cache lookup does). */
    tokenCheckMs?: number;
  } & Pick<TestKinoOptions, 'extras'> = {},
): Promise<NotifyKino> {
  const clock = new ManualClock(options.start ?? '2026-03-02T09:15:00Z');
  const tokens = new Map<string, Principal>();
  const verifier: TokenVerifier = {
    async verify(token) {
      if (options.tokenCheckMs) await new Promise((r) => setTimeout(r, options.tokenCheckMs));
      const p = tokens.get(token);
      if (!p) throw platformErrors.TOKEN_INVALID();
      return p;
    },
  };
  const kino = await createTestKino({
    modules: ['notifications'],
    clock,
    env: { PUBLIC_URL: 'https://cinema.test', ...options.env },
    tokens: verifier,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.extras ? { extras: options.extras } : {}),
  });
  const service = kino.kernel.services.require('notifications');

  const processed = async (ids: string[]) => {
    const [row] = await kino.kernel.engines.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM platform.processed_event WHERE consumer LIKE 'notifications.%' AND event_id = ANY($1::uuid[])`,
      [ids],
    );
    return row?.n === ids.length;
  };
  /** Settles the process; with workers running, the notification consumers must have applied `ids`. */
  const applied = async (ids: string[]) => {
    await kino.settle();
    if (options.workers !== false && !(await processed(ids)))
      throw new Error(`notification consumers did not apply ${ids.join(', ')} though every group caught up`);
  };
  const emitMany: NotifyKino['emitMany'] = async (events) => {
    const ids = await kino.kernel.engines.sql.transaction((tx) =>
      emit(
        tx,
        events.map((e) => event(e.type, e.key, e.payload as never)),
      ),
    );
    await applied(ids);
  };

  const tokenFor: NotifyKino['tokenFor'] = (userId, o = {}) => {
    const token = `t${randomUUID().replaceAll('-', '')}`;
    tokens.set(token, {
      kind: 'user',
      userId,
      sessionId: o.sessionId ?? randomUUID(),
      login: `user-${userId.slice(0, 8)}`,
      roles: o.admin ? ['ADMIN'] : ['UNSUB_USER'],
      permissions: new Set(
        o.admin ? ['CRUD_ROLE', 'ASSIGN_ROLE', 'FREE_FILMS', 'PAID_FILMS', 'CRUD_FILMS'] : ['FREE_FILMS'],
      ),
    });
    return token;
  };

  return {
    kino,
    clock,
    service,
    async emit(type, key, payload) {
      const ids = await kino.kernel.engines.sql.transaction((tx) => emit(tx, [event(type, key, payload)]));
      await applied(ids);
      return ids[0]!;
    },
    emitMany,
    tokenFor,
    auth: (userId, o) => ({ authorization: `Bearer ${tokenFor(userId, o)}` }),
    revokeToken: (token) => void tokens.delete(token),
    async settle() {
      await eventually(async () => {
        await service.deliverNow();
        const [row] = await kino.kernel.engines.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM notify.delivery
           WHERE status = 'sending' OR (status = 'pending' AND next_attempt_at <= $1)`,
          [clock.now()],
        );
        return row?.n === 0;
      }, 10_000);
    },
    async close() {
      await kino.close();
    },
  };
}

/** A registered user as auth announces it. */
export function registered(
  overrides: Partial<EventMap['auth.user.registered']> = {},
): EventMap['auth.user.registered'] {
  const userId = overrides.userId ?? randomUUID();
  return {
    userId,
    login: `viewer${userId.slice(0, 6)}`,
    email: `viewer${userId.slice(0, 6)}@example.com`,
    firstName: 'Anna',
    locale: 'en',
    ...overrides,
  };
}

export async function countRows(kino: TestKino, sqlText: string, params: unknown[] = []): Promise<number> {
  const [row] = await kino.kernel.engines.sql.query<{ n: number }>(sqlText, params);
  return row?.n ?? 0;
}
