/**
 * The first frames of one notification socket, transport-free: wait for one token, verify it
 * once, keep the registration only if the socket is still open, and detach exactly that
 * registration on close. The state is set before every await, so a burst of frames that
 * arrives while a token is being verified cannot start a second authentication.
 */
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/security.js';
import { CloseCode, type LiveHub, type LiveSocket, type Registration } from './live.hub.js';

export interface SessionDeps {
  readonly hub: Pick<LiveHub, 'attach'>;
  verify(token: string): Promise<Principal>;
  unread(userId: string): Promise<number>;
  readonly logger: Pick<Logger, 'warn'>;
  /** How long a socket may stay silent before sending its token. */
  readonly authTimeoutMs: number;
}

export type SessionState = 'waiting' | 'verifying' | 'authenticated' | 'closed';

export interface LiveSession {
  /** A text frame from the client. */
  message(text: string): void;
  /** The socket closed (by either side). */
  closed(): void;
  state(): SessionState;
}

const FIRST_FRAME = 'first message must be {"type":"auth","access_token":"…"}';

function tokenOf(text: string): string | undefined {
  try {
    const msg = JSON.parse(text) as unknown;
    if (typeof msg !== 'object' || msg === null) return undefined;
    const { access_token: accessToken, token } = msg as Record<string, unknown>;
    const found = accessToken ?? token;
    return typeof found === 'string' && found !== '' ? found : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the session of one freshly opened socket; `token` is one given with the upgrade request. */
export function openLiveSession(deps: SessionDeps, socket: LiveSocket, token?: string): LiveSession {
  let state: SessionState = 'waiting';
  let registration: Registration | undefined;

  const end = (code: number, reason: string) => {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(timer);
    registration?.detach();
    registration = undefined;
    socket.close(code, reason);
  };

  const authenticate = async (given: string) => {
    state = 'verifying';
    let principal: Principal;
    try {
      principal = await deps.verify(given);
    } catch {
      end(CloseCode.unauthorized, 'invalid access token');
      return;
    }
    // Closed while the token was checked: nothing to register.
    if (state !== 'verifying') return;
    if (principal.kind !== 'user' || !principal.userId) {
      end(CloseCode.unauthorized, 'invalid access token');
      return;
    }
    const attached = await deps.hub.attach({
      socket,
      userId: principal.userId,
      sessionId: principal.sessionId,
      token: given,
    });
    // Closed while registering: undo at once, so only open sockets stay registered.
    if (state !== 'verifying') {
      attached?.detach();
      return;
    }
    if (!attached) {
      end(CloseCode.tooMany, 'too many sockets for this user');
      return;
    }
    registration = attached;
    state = 'authenticated';
    clearTimeout(timer);
    const unread = await deps.unread(principal.userId);
    if (state === 'authenticated') socket.send(JSON.stringify({ type: 'ready', unread }));
  };

  const start = (given: string) => {
    authenticate(given).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'websocket authentication failed');
      end(1011, 'internal error');
    });
  };

  const timer = setTimeout(() => {
    if (state === 'waiting' || state === 'verifying')
      end(CloseCode.authTimeout, 'send the access token first');
  }, deps.authTimeoutMs);

  if (token) start(token);

  return {
    message(text) {
      switch (state) {
        case 'closed':
          return;
        case 'authenticated':
          // Only keep-alives are expected after the handshake.
          if (text === 'ping') socket.send('pong');
          return;
        case 'verifying':
          end(CloseCode.protocol, 'one authentication per socket');
          return;
        case 'waiting': {
          const found = tokenOf(text);
          if (!found) end(CloseCode.unauthorized, FIRST_FRAME);
          else start(found);
          return;
        }
      }
    },
    closed() {
      state = 'closed';
      clearTimeout(timer);
      registration?.detach();
      registration = undefined;
    },
    state: () => state,
  };
}
