/** The Prometheus listener: /metrics on its own port, nothing else there, a clear refusal when taken. */
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenMetrics, type MetricsListener } from '../../src/platform/http/metrics-listener.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';

const logger = createLogger(
  'warn',
  new Writable({
    write: (_chunk, _enc, done) => done(),
  }),
);
const metrics = createMetrics({ service: 'test' });
metrics.gauge('kino_test_backlog', 'A gauge read on each scrape.', () => 7);
let listener: MetricsListener;

beforeAll(async () => {
  listener = await listenMetrics({ registry: metrics.registry, host: '127.0.0.1', port: 0, logger });
});
afterAll(() => listener.close());

describe('metrics listener', () => {
  it('serves the registry as Prometheus text at /metrics on the port the system chose', async () => {
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}/metrics`);
    const response = await fetch(`${listener.url}?probe=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(text).toMatch(/^kino_test_backlog\{service="test"\} 7$/m);
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    // Its own scrapes are not API requests.
    expect(text).not.toMatch(/route="\/metrics"/);
  });

  it('answers every other path and method with 404 problem+json', async () => {
    const origin = new URL(listener.url).origin;
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/health'],
      ['GET', '/metrics/extra'],
      ['DELETE', '/metrics'],
      ['PUT', '/metrics'],
    ] as const) {
      const response = await fetch(`${origin}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    }
  });

  it('refuses to start on a port already taken, with the listen error', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(
        listenMetrics({ registry: metrics.registry, host: '127.0.0.1', port, logger }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE', port });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('closes, with open keep-alive connections, and stays closed', async () => {
    const other = await listenMetrics({ registry: metrics.registry, host: '127.0.0.1', port: 0, logger });
    expect((await fetch(other.url)).status).toBe(200);
    await other.close();
    await other.close();
    await expect(fetch(other.url)).rejects.toThrow();
  });
});
