/**
 * The embedded data folder has one owner process, like PostgreSQL's postmaster.pid: the owner
 * records itself in `KINO_DATA_DIR/kino.pid` and serves its PGlite to other processes on a Unix
 * socket; a `kino` command started beside it reaches the database through that socket instead
 * of opening the folder a second time (PGlite is single-process: two openers corrupt it).
 * See docs/adr/0004-embedded-data-folder-owner.md.
 */
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LOCK = 'kino.pid';
/** The name `pg` (and psql) look for in a socket directory, for port 5432. */
export const SOCKET_NAME = '.s.PGSQL.5432';
/** Unix socket paths longer than this do not fit in sockaddr_un on every platform. */
const MAX_SOCKET_PATH = 100;

interface LockRecord {
  pid: number;
  /** Kernel start time of the process (Linux), so a reused pid is not taken for the owner. */
  started: string | null;
  /** What the owner runs (`kino start`, `kino import`), for the message others print. */
  command: string;
  since: string;
  /** Directory holding the owner's socket, once it serves. */
  socketDir: string | null;
}

export class DataFolderInUseError extends Error {
  readonly code = 'DATA_FOLDER_IN_USE';
}

/** The data folder is private to the account that runs kino (mode 0700). */
export function securePrivateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Takes group and other permissions off everything under `dir`. PGlite's initdb writes its files
 * with fixed modes (0666) whatever the umask, and folders made by older versions were 0755.
 */
export function makePrivate(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    try {
      const { mode } = lstatSync(file);
      if ((mode & 0o077) !== 0) chmodSync(file, mode & 0o700);
      if (entry.isDirectory()) makePrivate(file);
    } catch (error) {
      // The engine may remove a temporary file while we walk.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** The kernel's start time of a process, or null where /proc is not there. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may hold spaces, so count after ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(record: LockRecord): boolean {
  // In a container the restarted process often gets the pid its killed predecessor had.
  if (record.pid === process.pid) return false;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTime(record.pid);
  return record.started === null || now === null || now === record.started;
}

function read(file: string): LockRecord | null {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return typeof record.pid === 'number' && Number.isInteger(record.pid) && record.pid > 0
      ? {
          pid: record.pid,
          started: record.started ?? null,
          command: record.command ?? 'kino',
          since: record.since ?? '',
          socketDir: record.socketDir ?? null,
        }
      : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    return null; // unreadable: no live owner wrote it
  }
}

/** Writes `record` to `target` atomically: readers see the old file or the whole new one. */
function writeAtomically(dir: string, record: LockRecord, publish: (temp: string) => void): void {
  const temp = path.join(dir, `${LOCK}.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify(record) + '\n', { mode: 0o600 });
  try {
    publish(temp);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** This process owns the folder; it must `serving()` once its socket listens, and `release()`. */
export interface FolderOwnership {
  readonly kind: 'owner';
  /** Where to listen: inside the folder, or a private temp folder when that path is too long. */
  readonly socketPath: string;
  serving(): void;
  release(): void;
}

/** Another live process owns the folder and serves it on `socketDir`. */
export interface FolderOwner {
  readonly kind: 'client';
  readonly pid: number;
  readonly command: string;
  readonly socketDir: string;
}

export interface ClaimOptions {
  /** The command this process runs, recorded for others' messages. */
  command: string;
  /** How long to wait for a starting owner to open its socket (ms). */
  waitMs?: number;
  onStaleLock?: (record: { pid: number; command: string }) => void;
}

/**
 * Becomes the folder's owner, or finds the live owner to connect to. A lock left by a process
 * that no longer runs (SIGKILL, power loss) is taken over.
 */
export async function claimDataFolder(
  dataDir: string,
  options: ClaimOptions,
): Promise<FolderOwnership | FolderOwner> {
  securePrivateFolder(dataDir);
  const file = path.join(dataDir, LOCK);
  const me: LockRecord = {
    pid: process.pid,
    started: startTime(process.pid),
    command: options.command,
    since: new Date().toISOString(),
    socketDir: null,
  };
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  for (;;) {
    try {
      // link() publishes the complete record or fails if a lock exists: no torn reads.
      writeAtomically(dataDir, me, (temp) => linkSync(temp, file));
      return ownership(dataDir, file, me);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let record: LockRecord | null;
    try {
      record = read(file);
    } catch {
      continue; // released meanwhile: try again
    }
    if (record && isAlive(record)) {
      if (record.socketDir) return { kind: 'client', ...record, socketDir: record.socketDir };
      // The owner is still opening the database.
      if (Date.now() > deadline)
        throw new DataFolderInUseError(
          `${dataDir} is held by ${record.command} (pid ${record.pid}), which has not opened it for others yet; try again when it is ready.`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    takeOver(file, record);
    if (record) options.onStaleLock?.({ pid: record.pid, command: record.command });
  }
}

/** Moves a dead owner's lock aside, unless a live owner replaced it meanwhile. */
function takeOver(file: string, stale: LockRecord | null): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  let moved: LockRecord | null = null;
  try {
    moved = read(aside);
  } catch {
    /* gone */
  }
  const same = JSON.stringify(moved) === JSON.stringify(stale);
  if (!same && moved && isAlive(moved)) {
    // Another process took over first and is now the owner: put its lock back.
    try {
      linkSync(aside, file);
    } catch {
      /* a third one holds it now */
    }
  } else if (moved?.socketDir && moved.socketDir !== path.dirname(file)) {
    rmSync(moved.socketDir, { recursive: true, force: true });
  }
  rmSync(aside, { force: true });
}

function ownership(dataDir: string, file: string, me: LockRecord): FolderOwnership {
  let socketDir = dataDir;
  if (Buffer.byteLength(path.join(dataDir, SOCKET_NAME)) > MAX_SOCKET_PATH)
    socketDir = mkdtempSync(path.join(tmpdir(), 'kino-')); // 0700
  let released = false;
  return {
    kind: 'owner',
    socketPath: path.join(socketDir, SOCKET_NAME),
    serving() {
      writeAtomically(dataDir, { ...me, socketDir }, (temp) => renameSync(temp, file));
    },
    release() {
      if (released) return;
      released = true;
      try {
        const record = read(file);
        if (record?.pid === me.pid && record.started === me.started) unlinkSync(file);
      } catch {
        /* already gone */
      }
      if (socketDir !== dataDir) rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
