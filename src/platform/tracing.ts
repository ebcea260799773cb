/**
 * OpenTelemetry tracing. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then `startTracing`
 * (called by bin/kino.js before the application is imported, so the instrumentations can patch
 * http, Fastify, pg and ioredis) exports spans over OTLP/HTTP.
 *
 * W3C trace context crosses process boundaries two ways: over HTTP by the http instrumentation,
 * and over the bus in message headers — the outbox stores the active `traceparent` with each
 * event (platform/context.ts) and a consumer runs its handler in a CONSUMER span whose parent is
 * that context, so a request and the events it caused form one trace.
 *
 * Only `@opentelemetry/api` is loaded eagerly; without a registered SDK its calls are no-ops. The
 * SDK and instrumentations are imported only when tracing starts.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
} from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig, type Config } from './config.js';

const TRACER = 'kinoservice';

export interface Tracing {
  /** Flushes buffered spans and stops the SDK. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** `service.name` of the spans (default OTEL_SERVICE_NAME, else derived from the command). */
  serviceName?: string;
  /** Test seam: span processors to use instead of the OTLP exporter. */
  spanProcessors?: SpanProcessor[];
  env?: Readonly<Record<string, string | undefined>>;
}

let active: Tracing | undefined;

/** `kino serve catalog auth` → `kino-catalog-auth`; `kino worker etl` → `kino-worker-etl`. */
export function serviceNameFor(argv: readonly string[]): string {
  const words = argv.filter((a) => !a.startsWith('-')).flatMap((a) => a.split(','));
  const [command, ...rest] = words;
  if (command === 'serve' && rest.length > 0) return `kino-${rest.join('-')}`;
  if (command === 'worker' && rest.length > 0) return `kino-worker-${rest.join('-')}`;
  return command ? `kino-${command}` : 'kino';
}

/**
 * Starts the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set (or span processors are given); returns
 * undefined when tracing stays off. Call once, before the application modules are imported.
 */
export async function startTracing(options: StartTracingOptions = {}): Promise<Tracing | undefined> {
  if (active) return active;
  const env = options.env ?? process.env;
  let config: Config;
  try {
    config = loadConfig(env);
  } catch {
    // A bad configuration is reported by the command itself; trace nothing.
    return undefined;
  }
  if (!config.otelEndpoint && !options.spanProcessors) return undefined;
  // Prometheus serves the metrics and pino the logs: the SDK exports traces only.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';

  const [sdkNode, traceBase, otlp, http, pg, ioredis, fastifyOtel] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@fastify/otel'),
  ]);
  const probes = /^\/(health|ready|metrics)(\?|$)/;
  const sdk = new sdkNode.NodeSDK({
    serviceName: config.otelServiceName ?? options.serviceName ?? serviceNameFor(process.argv.slice(2)),
    spanProcessors: options.spanProcessors ?? [
      new traceBase.BatchSpanProcessor(new otlp.OTLPTraceExporter()),
    ],
    instrumentations: [
      new http.HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => probes.test(request.url ?? ''),
      }),
      new fastifyOtel.FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (opts) => probes.test(opts.url),
      }),
      new pg.PgInstrumentation({ requireParentSpan: true }),
      new ioredis.IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  active = {
    async shutdown() {
      active = undefined;
      await sdk.shutdown();
    },
  };
  return active;
}

/** Flushes and stops tracing if it runs (graceful shutdown). */
export async function shutdownTracing(): Promise<void> {
  await active?.shutdown();
}

/** W3C trace headers (`traceparent`, `tracestate`) of the active span; empty when tracing is off. */
export function activeTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs `fn` in a CONSUMER span that continues the trace in `headers` (the producer's
 * `traceparent`), so spans of the handler — SQL included — belong to the producing request.
 */
export async function inConsumerSpan<T>(
  message: { readonly id: string; readonly type: string; readonly headers: Readonly<Record<string, string>> },
  group: string,
  fn: () => Promise<T>,
  attributes: Attributes = {},
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, message.headers);
  return trace.getTracer(TRACER).startActiveSpan(
    `process ${message.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.type,
        'messaging.message.id': message.id,
        'messaging.consumer.group.name': group,
        ...attributes,
      },
    },
    parent,
    async (span) => {
      try {
        return await fn();
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
