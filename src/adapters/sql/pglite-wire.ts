/**
 * Serves one PGlite over the PostgreSQL wire protocol on a Unix socket, so that other processes
 * (`kino` commands beside a running server) reach the database through its owner with the `pg`
 * driver instead of opening the data folder a second time.
 *
 * PGlite is a single session. Every connection shares it with the owner's own statements, so a
 * connection takes the owner's exclusive lock for each unit of work and, while it is inside a
 * transaction block (BEGIN … COMMIT) or an unfinished extended-protocol sequence (Parse … Sync),
 * keeps it: nothing else runs inside a client's transaction and a client never runs inside
 * the owner's.
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/** An exclusive lock; `acquire` resolves to the function that releases it. */
export interface Exclusive {
  acquire(): Promise<() => void>;
}

export function createExclusive(): Exclusive {
  let tail: Promise<void> = Promise.resolve();
  return {
    acquire() {
      let release!: () => void;
      const next = new Promise<void>((resolve) => (release = resolve));
      const previous = tail;
      tail = previous.then(() => next);
      return previous.then(() => {
        let released = false;
        return () => {
          if (released) return;
          released = true;
          release();
        };
      });
    },
  };
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** Sync: ends an extended-protocol sequence (and its implicit transaction). */
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);

export interface WireServerOptions {
  db: PGlite;
  lock: Exclusive;
  /** Path of the Unix socket; created with mode 0600. */
  path: string;
  /** Called after a client connection has ended (its work is committed or rolled back). */
  onSessionEnd?: () => void;
  onError?: (error: unknown) => void;
}

export interface WireServer {
  readonly path: string;
  close(): Promise<void>;
}

export async function serveWire(options: WireServerOptions): Promise<WireServer> {
  const { db, lock } = options;
  const sessions = new Set<Session>();

  class Session {
    private buffer = Buffer.alloc(0);
    private started = false;
    private release: (() => void) | undefined;
    /** Inside Parse … Sync: the unit of work is not finished until Sync. */
    private pending = false;
    private chain: Promise<void> = Promise.resolve();
    private ended = false;

    constructor(private readonly socket: Socket) {
      socket.on('data', (data: Buffer) => {
        this.buffer = Buffer.concat([this.buffer, data]);
        this.chain = this.chain.then(() => this.drain()).catch((error: unknown) => this.fail(error));
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.chain = this.chain.then(() => this.end()).catch((error: unknown) => this.fail(error));
      });
    }

    /** Runs every complete message in the buffer, in order. */
    private async drain(): Promise<void> {
      while (!this.ended) {
        if (!this.started) {
          if (this.buffer.length < 8) return;
          const length = this.buffer.readInt32BE(0);
          const code = this.buffer.readInt32BE(4);
          if (this.buffer.length < length) return;
          const message = this.buffer.subarray(0, length);
          this.buffer = this.buffer.subarray(length);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            this.socket.write('N'); // a Unix socket in a private folder: no TLS
            continue;
          }
          if (code === CANCEL_REQUEST) {
            this.socket.end(); // no backend to signal: PGlite runs one statement at a time
            return;
          }
          if (code !== PROTOCOL_3) throw new Error(`unsupported protocol ${code}`);
          this.started = true;
          await this.run(message, false);
          continue;
        }
        if (this.buffer.length < 5) return;
        const type = this.buffer[0]!;
        const length = 1 + this.buffer.readInt32BE(1);
        if (this.buffer.length < length) return;
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        if (type === 0x58 /* Terminate */) {
          this.socket.end();
          return;
        }
        // Query (simple protocol) and Sync end a unit of work; anything else (Parse, Bind,
        // Describe, Execute, Flush, Close) continues one that a later Sync ends.
        const ends = type === 0x51 /* Q */ || type === 0x53; /* S */
        await this.run(message, !ends);
      }
    }

    private async run(message: Uint8Array, continues: boolean): Promise<void> {
      this.release ??= await lock.acquire();
      try {
        await db.runExclusive(() =>
          db.execProtocolRawStream(new Uint8Array(message), {
            onRawData: (bytes) => {
              if (!this.socket.destroyed) this.socket.write(Buffer.from(bytes));
            },
          }),
        );
      } finally {
        this.pending = continues;
        // Keep the session's hold on PGlite while a transaction block or a sequence is open.
        if (!this.pending && !db.isInTransaction()) {
          this.release();
          this.release = undefined;
        }
      }
    }

    /** The client went away: finish what it left open, then let the owner run again. */
    async end(): Promise<void> {
      if (this.ended) return;
      this.ended = true;
      sessions.delete(this);
      if (this.release) {
        try {
          await db.runExclusive(async () => {
            if (this.pending) await db.execProtocolRaw(SYNC);
            if (db.isInTransaction()) await db.execProtocolRaw(serializeQuery('ROLLBACK'));
          });
        } finally {
          this.release();
          this.release = undefined;
        }
      }
      options.onSessionEnd?.();
    }

    private fail(error: unknown): void {
      options.onError?.(error);
      this.socket.destroy();
    }

    /** Closes the connection and resolves once its open work is rolled back. */
    async destroy(): Promise<void> {
      this.socket.destroy();
      await this.chain.then(() => this.end()).catch((error: unknown) => options.onError?.(error));
    }
  }

  const server: Server = createServer((socket) => {
    sessions.add(new Session(socket));
  });
  await rm(options.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The process umask already makes it private; say so explicitly for any umask.
  await chmod(options.path, 0o600);
  server.on('error', (error) => options.onError?.(error));

  return {
    path: options.path,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...sessions].map((session) => session.destroy()));
      await closed;
      await rm(options.path, { force: true });
    },
  };
}

/** A simple-protocol Query message. */
function serializeQuery(text: string): Uint8Array {
  const body = Buffer.from(text + '\0', 'utf8');
  const message = Buffer.alloc(5 + body.length);
  message[0] = 0x51;
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return message;
}
