/**
 * Progress reporting for long commands (imports, rebuilds) on stderr: a bar when stderr is a
 * terminal, plain lines (at most one every 2 s, plus the last) when it is a file or a pipe.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the absolute amount done (and the total, when it became known). */
  update(done: number, total?: number): void;
  stop(): void;
}

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  total: number,
  unit = 'rows',
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update(done, newTotal) {
        if (newTotal !== undefined) bar.setTotal(newTotal);
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let current = 0;
  let max = total;
  const line = () => {
    const pct = max > 0 ? Math.floor((current / max) * 100) : 100;
    stream.write(`${label}: ${current}/${max} ${unit} (${pct}%)\n`);
  };
  return {
    update(done, newTotal) {
      current = done;
      if (newTotal !== undefined) max = newTotal;
      const now = Date.now();
      if (now - last >= 2000) {
        last = now;
        line();
      }
    },
    stop() {
      line();
    },
  };
}
