/**
 * The Prometheus listener: `GET /metrics` on its own address (METRICS_HOST:METRICS_PORT), never on
 * the API port. Route latencies, the Node version and backlogs are for the operator's scraper, not
 * for whoever reaches the API; a private address keeps them so in every shape, with or without a
 * proxy in front (docs/adr/0083-metrics-listener.md).
 *
 * Node's own HTTP server is enough here: one route, no bodies, nothing to authenticate. Its
 * scrapes are not counted in the request histogram.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { Registry } from '../metrics.js';
import { platformErrors, type ErrorFactory } from '../errors.js';
import { problemOf } from './problem.js';

export interface MetricsListener {
  /** Where Prometheus scrapes, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** The port it listens on (the one the system chose when METRICS_PORT is 0). */
  readonly port: number;
  /** Stops listening and closes open scrape connections. Idempotent. */
  close(): Promise<void>;
}

export interface MetricsListenerOptions {
  readonly registry: Registry;
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
}

function sendProblem(res: ServerResponse, error: ErrorFactory, detail: string): void {
  const body = JSON.stringify(problemOf(error, { detail }));
  res.writeHead(error.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/** Starts listening; rejects with the listen error (EADDRINUSE, EACCES, …) when it cannot. */
export async function listenMetrics(options: MetricsListenerOptions): Promise<MetricsListener> {
  const { registry, logger } = options;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      sendProblem(res, platformErrors.ROUTE_NOT_FOUND, `No route ${req.method ?? ''} ${path ?? ''}.`);
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': Buffer.byteLength(text),
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics collection failed');
        sendProblem(res, platformErrors.INTERNAL_ERROR, 'The metrics could not be collected.');
      },
    );
  };
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'metrics listener failed'));
  const { port } = server.address() as AddressInfo;
  const shown = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/metrics`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
