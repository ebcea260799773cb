/**
 * Request-scoped context carried through async calls: the request id and trace headers that
 * outbox events inherit, so a consumer's log lines name the request that caused them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { activeTraceHeaders } from './tracing.js';

export interface RequestContext {
  readonly requestId: string;
  readonly traceparent?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function enterContext(context: RequestContext): void {
  storage.enterWith(context);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Headers to propagate with events produced now: the request id, and the trace context — the
 * active span's when tracing runs, else the `traceparent` the caller sent.
 */
export function currentHeaders(): Record<string, string> {
  const ctx = storage.getStore();
  const headers: Record<string, string> = {};
  if (ctx) {
    headers['x-request-id'] = ctx.requestId;
    if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  }
  return Object.assign(headers, activeTraceHeaders());
}
