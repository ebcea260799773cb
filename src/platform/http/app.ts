/**
 * The HTTP kernel every service shares: Fastify with TypeBox schemas, problem+json errors,
 * request ids in every log line, security headers, the request histogram, health and readiness,
 * OpenAPI. Modules add their routes as plugins; server start-up and signals live in runtime/.
 * Prometheus reads the metrics from a listener of their own (metrics-listener.ts), never here.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import helmet from 'helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { redactUrl, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { runWithContext } from '../context.js';
import { platformErrors } from '../errors.js';
import { ANONYMOUS, principalFromHeader, type Principal, type TokenVerifier } from '../security.js';
import { problemOf, sendProblem, toProblem } from './problem.js';
import { completeDocument, securitySchemes } from './openapi.js';
import { docsContentSecurityPolicy } from './docs-csp.js';
import { guardInput } from './input-guard.js';

export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; resolved from the Authorization header before the handler runs. */
    principal: Principal;
  }
}

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
  /**
   * False for engines the service degrades without (cache and rate limits fail open, the outbox
   * holds events while the bus is down): their failure shows in the body as `degraded` but keeps
   * /ready at 200, so a load balancer does not take every replica out at once. Default true.
   */
  readonly required?: boolean;
}

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  bodyLimit: number;
  trustProxy: boolean;
  docs: boolean;
  /** The public URL is https: send HSTS. */
  https: boolean;
  version: string;
  /** Engines /ready pings. */
  readiness: readonly ReadinessCheck[];
  /** Route plugins, each already prefixed by its module. */
  plugins: readonly FastifyPluginAsync[];
  /** Checks the bearer token of every request that carries one (the process's verifier). */
  tokens: TokenVerifier;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The headers a header-setting middleware (helmet) sets when nothing varies per request. */
function staticHeaders(
  middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  let finished = false;
  middleware({} as IncomingMessage, res as unknown as ServerResponse, (error) => {
    if (error) throw error instanceof Error ? error : new Error('security headers: the middleware failed');
    finished = true;
  });
  if (!finished) throw new Error('security headers: the middleware did not finish synchronously');
  return headers;
}

export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const { logger, metrics } = options;
  const logsRequests = logger.isLevelEnabled('info');
  // Security headers: helmet's headers depend only on these options, so they are computed once
  // and set on each reply with the request id. (The Fastify plugin rebuilt the middleware,
  // parsing the CSP directives again, on every request: a tenth of a cached read's CPU.)
  const securityHeaders = staticHeaders(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'blob:', 'https:'],
          styleSrc: ["'self'", "'unsafe-inline'"],
          scriptSrc: ["'self'"],
          connectSrc: ["'self'", 'ws:', 'wss:'],
          fontSrc: ["'self'", 'data:'],
          mediaSrc: ["'self'", 'blob:'],
          // Plain-HTTP installs (a laptop, behind a TLS-terminating proxy) must keep working.
          upgradeInsecureRequests: null,
        },
      },
      strictTransportSecurity: options.https,
      crossOriginResourcePolicy: { policy: 'same-site' },
    }),
  );

  const app = Fastify({
    loggerInstance: logger,
    // One access-log line per request is written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy,
    return503OnClosing: true,
    ajv: {
      customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false },
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors raised before routing (a path that is not valid UTF-8 once decoded, a path parameter
    // over maxParamLength) are answered as problem+json too, not as Fastify's own JSON.
    frameworkErrors: (error, request, reply) => {
      const { problem: p, headers } = toProblem(error);
      reply.headers(securityHeaders).header('x-request-id', request.id);
      void sendProblem(reply, { ...p, instance: request.url }, headers);
    },
    // Requests Node's parser refuses before Fastify sees them (headers over 16 KB, a malformed
    // request line) are answered as problem+json too.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const refusal =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? platformErrors.HEADERS_TOO_LARGE
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? platformErrors.REQUEST_TIMEOUT
            : platformErrors.BAD_REQUEST;
      const { status } = refusal;
      const body = JSON.stringify(problemOf(refusal));
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
          `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp;

  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
    request.principal = ANONYMOUS;
    const traceparent = request.headers.traceparent;
    runWithContext(
      { requestId: request.id, ...(typeof traceparent === 'string' ? { traceparent } : {}) },
      done,
    );
  });

  // NUL, unpaired surrogates and non-finite or imprecise numbers never reach a handler.
  app.addHook('preHandler', guardInput);

  // A present but invalid token is refused here, before any route can treat it as anonymous.
  app.addHook('preHandler', (request, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined) return done(); // anonymous, set on request
    principalFromHeader(header, options.tokens).then((principal) => {
      request.principal = principal;
      done();
    }, done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      seconds,
    );
    if (logsRequests)
      request.log.info(
        {
          method: request.method,
          url: redactUrl(request.url),
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const { problem: p, headers, log } = toProblem(error);
    if (log === 'error') request.log.error({ err: error }, 'request failed');
    else request.log[log]({ code: p.code, status: p.status, detail: p.detail }, 'request refused');
    return sendProblem(reply, { ...p, instance: redactUrl(request.url) }, headers);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemOf(platformErrors.ROUTE_NOT_FOUND, {
        detail: `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`,
        instance: request.url,
      }),
    ),
  );

  if (options.docs) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Kinoservice API',
          version: options.version,
          description: 'The back end of an online cinema.',
        },
        components: { securitySchemes },
      },
      transformObject: (documentObject) =>
        'openapiObject' in documentObject
          ? completeDocument(documentObject.openapiObject)
          : documentObject.swaggerObject,
    });
    await app.register(swaggerUi, {
      routePrefix: '/api/docs',
      staticCSP: docsContentSecurityPolicy(),
      // The token a reader gives to Authorize survives a reload of the page.
      uiConfig: { deepLinking: true, persistAuthorization: true },
    });
    app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const results = await Promise.all(
      options.readiness.map(async (r) => {
        try {
          await withTimeout(r.check(), 2_000);
          return [r.name, 'ok'] as const;
        } catch (error) {
          return [r.name, error instanceof Error ? error.message : 'failed'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const failed = options.readiness.filter((_, i) => results[i]![1] !== 'ok');
    const ready = failed.every((r) => r.required === false);
    const status = !ready ? 'unavailable' : failed.length > 0 ? 'degraded' : 'ready';
    return reply.code(ready ? 200 : 503).send({ status, checks });
  });

  for (const plugin of options.plugins) await app.register(plugin);
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
