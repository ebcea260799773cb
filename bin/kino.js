#!/usr/bin/env node
// The `kino` command: runs the compiled CLI (npm install builds it into dist/).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/runtime/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('kino: the build is missing (dist/). Run `npm install` or `npm run build` first.\n');
  process.exit(1);
}
// Tracing must patch http, Fastify, pg and ioredis before the application imports them.
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  const { register } = await import('node:module');
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import(new URL('../dist/platform/tracing.js', import.meta.url).href);
  await startTracing();
}
await import(cli.href);
