/**
 * Prometheus metrics live on their own listener (METRICS_HOST:METRICS_PORT), never on the API
 * port: a real `kino start` in another process, asked over HTTP as a caller and as a scraper would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKinoServer, type KinoServer } from '../helpers/server-process.js';

let server: KinoServer;

beforeAll(async () => {
  server = await startKinoServer();
}, 300_000);

afterAll(async () => {
  await server?.close();
}, 60_000);

describe('metrics listener', () => {
  it('the API port answers 404 problem+json for /metrics', async () => {
    for (const path of ['/metrics', '/metrics?name[]=nodejs_version_info', '/metrics/']) {
      const response = await fetch(`${server.base}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toContain('application/problem+json');
      const body = (await response.json()) as { code: string; status: number };
      expect(body, path).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    }
  });

  it('the metrics port serves Prometheus text with the kino_ metrics and the API request histogram', async () => {
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    const response = await fetch(server.metrics);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^# TYPE kino_outbox_backlog gauge$/m);
    expect(text).toMatch(/^kino_outbox_backlog\{[^}]*service="kino"[^}]*\} \d+$/m);
    expect(text).toMatch(/^kino_consumer_lag\{/m);
    expect(text).toMatch(/^kino_notifications_sockets\{[^}]*\} 0$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} [1-9]/m);
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    // Scrapes are not API requests: the histogram holds no /metrics route.
    expect(text).not.toMatch(/route="\/metrics"/);
  });

  it('the metrics port serves nothing else: the API stays on its own port', async () => {
    const origin = new URL(server.metrics).origin;
    for (const [method, path] of [
      ['GET', '/health'],
      ['GET', '/api/v1/genres'],
      ['GET', '/'],
      ['POST', '/metrics'],
    ] as const) {
      const response = await fetch(`${origin}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get('content-type'), path).toBe('application/problem+json');
      expect(await response.json(), path).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    }
    const head = await fetch(server.metrics, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
