/**
 * Runs ffmpeg and ffprobe: spawn with an argument array (never a shell, so no file name is ever
 * parsed as a command), stderr kept short for the error reason, stdout either collected or handed
 * over line by line (ffmpeg's `-progress pipe:1`), and an AbortSignal that kills the process.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ToolRun {
  /** Exit code; `null` when a signal ended the process. */
  readonly code: number | null;
  /** stdout, unless `onLine` took it. */
  readonly stdout: string;
  /** The last 16 KiB of stderr. */
  readonly stderr: string;
}

export interface ToolRunOptions {
  readonly cwd?: string;
  /** Aborting kills the process (SIGKILL) and rejects with the signal's reason once it has exited. */
  readonly signal?: AbortSignal;
  /** Receives stdout line by line instead of collecting it. */
  readonly onLine?: (line: string) => void;
}

const STDERR_KEPT = 16 * 1024;

/** Resolves when the process exits, whatever its code; rejects only on abort or a failed spawn. */
export function runTool(
  bin: string,
  args: readonly string[],
  options: ToolRunOptions = {},
): Promise<ToolRun> {
  const { signal, onLine } = options;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<ToolRun>((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let spawnError: Error | undefined;
    if (onLine) createInterface({ input: child.stdout }).on('line', onLine);
    else child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    const kill = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (error) => {
      spawnError = error;
      // A binary that could not start never emits 'close' on every Node line: settle here.
      if (child.pid === undefined) {
        signal?.removeEventListener('abort', kill);
        reject(error);
      }
    });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', kill);
      if (signal?.aborted) reject(signal.reason as Error);
      else if (spawnError) reject(spawnError);
      else resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The readable part of ffmpeg's error output: lines without their `[demuxer @ 0x…]` and file name
 * prefixes, repeated lines once, joined with "; ".
 */
export function errorReason(stderr: string, fallback: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) =>
      line
        .replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '')
        .replace(/^(?:file:)?\/\S*?:\s+/, '')
        .trim(),
    )
    .filter(Boolean);
  const unique = [...new Set(lines)].slice(-4);
  return unique.length > 0 ? unique.join('; ') : fallback;
}
