/** Load generation on loopback with autocannon, reported the same way for every scenario. */
import autocannon from 'autocannon';

export interface LoadResult {
  readonly rps: number;
  /** Latency percentiles in ms, computed from every response (not autocannon's buckets). */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly seconds: number;
}

export interface RequestSpec {
  method?: 'GET' | 'POST' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** Requests cycled through by every connection (method, path, headers, body). */
  readonly requests?: readonly RequestSpec[];
  /** Or: the next request to send, chosen per request (e.g. a random film). */
  readonly next?: () => RequestSpec;
  /** Called with every response of `next` requests (e.g. to keep a rotated refresh token). */
  readonly onResponse?: (status: number, body: string) => void;
  readonly connections?: number;
  readonly seconds?: number;
  /** Stop after this many requests instead of a duration. */
  readonly amount?: number;
  readonly pipelining?: number;
}

const percentile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function load(base: string, options: LoadOptions): Promise<LoadResult> {
  const url = new URL(base);
  const times: number[] = [];
  let non2xx = 0;
  const requests: autocannon.Request[] = options.next
    ? [
        {
          setupRequest: (req) => {
            const r = options.next!();
            return {
              ...req,
              method: r.method ?? 'GET',
              path: r.path,
              headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...r.headers },
              ...(r.body ? { body: r.body } : {}),
            };
          },
          ...(options.onResponse
            ? { onResponse: (status: number, body: string) => options.onResponse!(status, body) }
            : {}),
        },
      ]
    : (options.requests ?? []).map((r) => ({
        method: r.method ?? 'GET',
        path: r.path,
        headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...r.headers },
        ...(r.body ? { body: r.body } : {}),
      }));
  const t0 = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.origin,
        connections: options.connections ?? 16,
        pipelining: options.pipelining ?? 1,
        ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 10 }),
        requests,
      },
      (error, done) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
    );
    instance.on('response', (_client, status: number, _bytes, responseTime: number) => {
      times.push(responseTime);
      if (status < 200 || status >= 300) non2xx++;
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return {
    rps: Math.round(times.length / seconds),
    p50: Number(percentile(times, 0.5).toFixed(1)),
    p95: Number(percentile(times, 0.95).toFixed(1)),
    p99: Number(percentile(times, 0.99).toFixed(1)),
    requests: times.length,
    errors: result.errors + result.timeouts,
    non2xx,
    seconds,
  };
}
