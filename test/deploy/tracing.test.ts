/**
 * Tracing end to end in one process: an HTTP request that writes an event to the outbox, the
 * relay publishing it, and a consumer handling it form one trace — the request's server span over
 * HTTP (W3C traceparent from the caller kept), the consumer's span a child of it through the
 * message headers. Spans go to an in-memory exporter instead of OTLP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { activeTraceHeaders, startTracing, type Tracing } from '../../src/platform/tracing.js';
// Type-only imports are erased: the modules themselves load after tracing starts (below).
import type { HttpApp } from '../../src/platform/http/app.js';
import type { OutboxRelay } from '../../src/platform/outbox.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;

// Loaded after tracing starts, so the instrumentations patch http and Fastify first.
type Deps = {
  app: HttpApp;
  relay: OutboxRelay;
  close(): Promise<void>;
  handled: { id: string; traceparent: string | undefined; headersInHandler: Record<string, string> }[];
};
let deps: Deps;
let base = '';

beforeAll(async () => {
  tracing = await startTracing({
    serviceName: 'kino-test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    env: {},
  });
  const [
    { createHttpApp },
    { createMetrics },
    { createLogger },
    outbox,
    { consume },
    migrations,
    pglite,
    memoryBus,
    { refuseAllTokens },
  ] = await Promise.all([
    import('../../src/platform/http/app.js'),
    import('../../src/platform/metrics.js'),
    import('../../src/platform/logger.js'),
    import('../../src/platform/outbox.js'),
    import('../../src/platform/consumer.js'),
    import('../../src/platform/migrations.js'),
    import('../../src/adapters/sql/pglite.js'),
    import('../../src/adapters/bus/memory.js'),
    import('../../src/platform/security.js'),
    import('../../src/modules/ugc/ugc.events.js'),
  ]);
  const { event, emit } = { event: (await import('../../src/platform/events.js')).event, emit: outbox.emit };
  const logger = createLogger('silent');
  const sql = await pglite.createPgliteSql('memory://');
  await migrations.migrate(sql, [migrations.PLATFORM_MIGRATIONS], logger);
  const bus = memoryBus.createMemoryBus();
  const relay = outbox.createOutboxRelay({ sql, bus, logger });
  const handled: Deps['handled'] = [];
  const subscription = await consume({
    bus,
    sql,
    logger,
    group: 'test.tracing',
    types: ['ugc.bookmark.added'],
    handle: async (e, tx) => {
      await tx.query('SELECT 1');
      handled.push({ id: e.id, traceparent: e.headers.traceparent, headersInHandler: activeTraceHeaders() });
    },
  });
  const app = await createHttpApp({
    logger,
    metrics: createMetrics(),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    docs: false,
    https: false,
    version: 'test',
    tokens: refuseAllTokens,
    readiness: [],
    plugins: [
      async (instance) => {
        instance.post('/api/v1/test/bookmarks/:filmId', async (request, reply) => {
          const { filmId } = request.params as { filmId: string };
          await sql.transaction((tx) =>
            emit(tx, [event('ugc.bookmark.added', filmId, { userId: 'u1', filmId })]),
          );
          return reply.code(202).send({ ok: true });
        });
      },
    ],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  deps = {
    app,
    relay,
    handled,
    async close() {
      await app.close();
      await subscription.stop();
      await relay.stop();
      await bus.close();
      await sql.close();
    },
  };
});

afterAll(async () => {
  await deps?.close();
  await tracing?.shutdown();
});

const spans = () => exporter.getFinishedSpans();
const byTrace = (traceId: string) => spans().filter((s) => s.spanContext().traceId === traceId);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('tracing', () => {
  it('starts (tracing is on in this test process)', () => {
    expect(tracing).toBeDefined();
  });

  it('a request and the event it caused share one trace; the consumer span is a child of it', async () => {
    exporter.reset();
    deps.handled.length = 0;
    const response = await fetch(`${base}/api/v1/test/bookmarks/f1`, { method: 'POST' });
    expect(response.status).toBe(202);
    const server = spans().find((s) => s.kind === SpanKind.SERVER);
    expect(server).toBeDefined();
    const traceId = server!.spanContext().traceId;

    expect(await deps.relay.runOnce()).toBe(1);
    expect(deps.handled).toHaveLength(1);
    const [handled] = deps.handled;
    // The outbox stored the request's trace context in the message headers.
    expect(handled!.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));

    const consumer = spans().find((s) => s.kind === SpanKind.CONSUMER);
    expect(consumer).toBeDefined();
    expect(consumer!.name).toBe('process ugc.bookmark.added');
    expect(consumer!.spanContext().traceId).toBe(traceId);
    expect(consumer!.attributes['messaging.consumer.group.name']).toBe('test.tracing');
    // Its parent is a span of the request (the server span or one of its children).
    const requestSpanIds = byTrace(traceId)
      .filter((s) => s !== consumer)
      .map((s) => s.spanContext().spanId);
    expect(requestSpanIds).toContain(parentOf(consumer!));
    // Inside the handler the consumer span is the active one (events it emits continue the trace).
    expect(handled!.headersInHandler.traceparent).toContain(consumer!.spanContext().spanId);
  });

  it('continues the trace of a caller that sends traceparent', async () => {
    exporter.reset();
    deps.handled.length = 0;
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${base}/api/v1/test/bookmarks/f2`, {
      method: 'POST',
      headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(202);
    const server = spans().find((s) => s.kind === SpanKind.SERVER);
    expect(server?.spanContext().traceId).toBe(callerTrace);
    expect(parentOf(server!)).toBe('00f067aa0ba902b7');

    await deps.relay.runOnce();
    const consumer = spans().find((s) => s.kind === SpanKind.CONSUMER);
    expect(consumer?.spanContext().traceId).toBe(callerTrace);
  });

  it('does not trace health probes', async () => {
    exporter.reset();
    await fetch(`${base}/health`);
    expect(spans().filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(0);
  });
});
