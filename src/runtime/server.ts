/** Running a process until a signal: `kino start`, `kino serve`, `kino worker`. */
import type { Config, ModuleName } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { listenMetrics, type MetricsListener } from '../platform/http/metrics-listener.js';
import { shutdownTracing } from '../platform/tracing.js';
import { createKernel, type Kernel } from './kernel.js';

export interface RunOptions {
  config: Config;
  logger: Logger;
  modules: readonly ModuleName[];
  http: boolean;
  /** Mount module routes (default true); workers serve only /health and /ready. */
  routes?: boolean;
  workers: readonly string[];
  relay: boolean;
  migrate: boolean;
  /** All-in-one first-run setup and the human banner. */
  seed: boolean;
}

export async function run(options: RunOptions): Promise<Kernel> {
  const { config, logger } = options;
  const startedAt = Date.now();
  const kernel = await createKernel(options);
  const banner: string[] = [];
  if (options.seed) {
    const terminal = process.stderr.isTTY === true;
    for (const instance of kernel.instances.values())
      banner.push(...((await instance.seed?.({ terminal })) ?? []));
  }
  // Metrics first: once /ready answers on PORT, Prometheus can scrape too.
  let metrics: MetricsListener | undefined;
  try {
    if (config.metricsPort !== null)
      metrics = await listenMetrics({
        registry: kernel.metrics.registry,
        host: config.metricsHost,
        port: config.metricsPort,
        logger,
      });
  } catch (error) {
    await kernel.close();
    throw error;
  }
  await kernel.start();
  if (kernel.app) await kernel.app.listen({ host: config.host, port: config.port });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    Promise.all([metrics?.close(), kernel.close()])
      .then(() => shutdownTracing())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  const ms = Date.now() - startedAt;
  logger.info(
    {
      ms,
      modules: options.modules,
      http: options.http,
      workers: options.workers,
      ...(metrics ? { metrics: metrics.url } : {}),
    },
    'ready',
  );
  if (options.seed && kernel.app) {
    const address = kernel.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const base =
      config.publicUrl ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    const lines = [
      '',
      `Kinoservice is ready (${(ms / 1000).toFixed(1)} s).`,
      `  API       ${base}/api/v1/films`,
      `  API docs  ${base}/api/docs`,
      `  Admin     ${base}/admin`,
      `  Health    ${base}/health`,
      ...(metrics ? [`  Metrics   ${metrics.url}`] : []),
      `  Data      ${config.dataDir}`,
      ...banner.map((l) => `  ${l}`),
      'Press Ctrl-C to stop.',
      '',
    ];
    process.stderr.write(lines.join('\n') + '\n');
  }
  return kernel;
}
