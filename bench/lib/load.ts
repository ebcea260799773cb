/** Load generation on loopback with autocannon, reported the same way for every scenario. */
import autocannon from 'autocannon';

export interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
}

export interface LoadOptions {
  /** Requests cycled through by every connection (method, path, headers, body). */
  readonly requests: readonly { method?: 'GET' | 'POST' | 'PUT'; path: string; headers?: Record<string, string>; body?: string }[];
  readonly connections?: number;
  readonly seconds?: number;
  /** Stop after this many requests instead of a duration. */
  readonly amount?: number;
  readonly pipelining?: number;
}

export async function load(base: string, options: LoadOptions): Promise<LoadResult> {
  const url = new URL(base);
  const result = await autocannon({
    url: url.origin,
    connections: options.connections ?? 50,
    pipelining: options.pipelining ?? 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 10 }),
    requests: options.requests.map((r) => ({
      method: r.method ?? 'GET',
      path: r.path,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(r.body ? { body: r.body } : {}),
    })),
  });
  const latency = result.latency as unknown as Record<string, number>;
  return {
    rps: Math.round(result.requests.average),
    p50: latency.p50 ?? NaN,
    p95: latency.p97_5 !== undefined && latency.p95 === undefined ? latency.p97_5 : (latency.p95 ?? NaN),
    p99: latency.p99 ?? NaN,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
