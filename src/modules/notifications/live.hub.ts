/**
 * Live in-app push over WebSocket. Each socket belongs to one user session. New inbox rows reach
 * sockets two ways: directly when the delivery worker runs in this process, and by polling the
 * inbox (only while sockets are open) when it runs elsewhere. A socket closes when its session
 * is revoked (event, in the worker's process) or its token stops verifying (checked periodically).
 */
import type { Logger } from '../../platform/logger.js';
import type { TokenVerifier } from '../../platform/security.js';
import type { InboxRow } from './notify.model.js';
import type { RecipientRepository } from './recipient.repository.js';

export interface LiveSocket {
  send(data: string): void;
  close(code: number, reason: string): void;
}

interface Connection {
  readonly socket: LiveSocket;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly token: string;
  readonly pushed: Set<string>;
  /** The newest inbox row when the socket joined: older rows are its past, not news. */
  readonly floor: number;
}

export const CloseCode = {
  /** Missing, invalid or expired access token. */
  unauthorized: 4401,
  /** No token within the handshake time. */
  authTimeout: 4408,
  /** The session was ended (logout, password change, admin). */
  sessionRevoked: 4001,
  /** A second authentication frame, or any frame while the first is being checked. */
  protocol: 1008,
  /** The user (or the address) already holds as many sockets as allowed. */
  tooMany: 4429,
} as const;

/** One socket's place in the hub; `detach` removes exactly this registration, once. */
export interface Registration {
  detach(): void;
}

export interface HubOptions {
  readonly recipients: RecipientRepository;
  readonly logger: Logger;
  readonly verifier: TokenVerifier;
  readonly pollMs?: number;
  readonly reverifyMs?: number;
  /** Most sockets one user may hold in this process (NOTIFY_WS_PER_USER). */
  readonly maxPerUser?: number;
}

export type NotificationView = ReturnType<typeof toView>;

export function toView(row: InboxRow) {
  return {
    id: row.id,
    category: row.category,
    title: row.title,
    body: row.body,
    data: row.data,
    created_at: row.created_at.toISOString(),
    read_at: row.read_at ? row.read_at.toISOString() : null,
  };
}

export function createLiveHub(options: HubOptions) {
  const { recipients, logger } = options;
  const pollMs = options.pollMs ?? 500;
  const reverifyMs = options.reverifyMs ?? 15_000;
  const byUser = new Map<string, Set<Connection>>();
  const maxPerUser = options.maxPerUser ?? Number.POSITIVE_INFINITY;
  let cursor = -1;
  let timer: NodeJS.Timeout | undefined;
  let lastVerify = Date.now();
  let polling = false;

  function deliver(rows: readonly InboxRow[]): void {
    for (const row of rows) {
      if (row.seq > cursor) cursor = row.seq;
      for (const conn of byUser.get(row.user_id) ?? []) {
        if (row.seq <= conn.floor || conn.pushed.has(row.id)) continue;
        conn.pushed.add(row.id);
        if (conn.pushed.size > 500) conn.pushed.delete(conn.pushed.values().next().value!);
        conn.socket.send(JSON.stringify({ type: 'notification', notification: toView(row) }));
      }
    }
  }

  async function tick(): Promise<void> {
    if (polling || byUser.size === 0) return;
    polling = true;
    try {
      // Rows may commit out of sequence order: look a little behind the cursor.
      const rows = await recipients.inboxSince(Math.max(0, cursor - 200), [...byUser.keys()]);
      deliver(rows);
      if (Date.now() - lastVerify >= reverifyMs) {
        lastVerify = Date.now();
        await reverify();
      }
    } catch (error) {
      logger.warn({ err: error }, 'live notification poll failed');
    } finally {
      polling = false;
    }
  }

  async function reverify(): Promise<void> {
    for (const conns of byUser.values())
      for (const conn of conns) {
        try {
          await options.verifier.verify(conn.token);
        } catch {
          conn.socket.close(CloseCode.unauthorized, 'token no longer valid');
        }
      }
  }

  function ensureTimer() {
    if (timer || byUser.size === 0) return;
    timer = setInterval(() => void tick(), pollMs);
    timer.unref();
  }

  return {
    /**
     * Registers an authenticated socket; `null` when the user is at the per-user cap. The caller
     * must detach at once if the socket closed while this resolved (see live.session.ts): the
     * cap check and the registration happen together, after the only await.
     */
    async attach(conn: Omit<Connection, 'pushed' | 'floor'>): Promise<Registration | null> {
      const floor = Number(await recipients.lastSeq());
      if (floor > cursor) cursor = floor;
      const set = byUser.get(conn.userId) ?? new Set<Connection>();
      if (set.size >= maxPerUser) return null;
      const full: Connection = { ...conn, pushed: new Set(), floor };
      set.add(full);
      byUser.set(conn.userId, set);
      ensureTimer();
      let attached = true;
      return {
        detach() {
          if (!attached) return;
          attached = false;
          const current = byUser.get(conn.userId);
          if (!current) return;
          current.delete(full);
          if (current.size === 0) byUser.delete(conn.userId);
          if (byUser.size === 0 && timer) {
            clearInterval(timer);
            timer = undefined;
          }
        },
      };
    },
    push: deliver,
    closeSessions(sessionIds: readonly string[]): void {
      const ids = new Set(sessionIds);
      for (const conns of byUser.values())
        for (const conn of conns)
          if (conn.sessionId && ids.has(conn.sessionId))
            conn.socket.close(CloseCode.sessionRevoked, 'session ended');
    },
    connections(): number {
      let n = 0;
      for (const set of byUser.values()) n += set.size;
      return n;
    },
    close(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const conns of byUser.values())
        for (const conn of conns) conn.socket.close(1001, 'server shutting down');
      byUser.clear();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
