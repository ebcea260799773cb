/**
 * The shipped nginx routing (deploy/nginx/kinoservice.conf) run by the real nginx binary in front
 * of stub upstreams that answer with their own name: every public path reaches the right service,
 * request ids pass through, body limits hold per location, WebSocket upgrades pass, and a dead
 * replica is routed around. Skipped when nginx is not installed (`apt-get install nginx`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNginxConf, preparePrefix, SERVICES } from '../../scripts/nginx-conf.mjs';
import { eventually } from '../helpers/engines.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Stub {
  service: string;
  replica: number;
  server: Server;
  port: number;
}

async function startStub(service: string, replica: number): Promise<Stub> {
  const server = createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      // Package files answer with the service's cache policy: segments for a year, refusals never.
      if (req.url?.startsWith('/api/v1/hls/'))
        res.setHeader(
          'cache-control',
          req.url.includes('/refused/')
            ? 'no-store'
            : req.url.endsWith('.m3u8')
              ? 'public, max-age=5'
              : 'public, max-age=31536000, immutable',
        );
      if (req.url?.startsWith('/api/v1/hls/')) res.setHeader('accept-ranges', 'bytes');
      if (req.url?.includes('/refused/')) res.statusCode = 403;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-request-id', 'set-by-upstream');
      res.end(
        JSON.stringify({
          service,
          replica,
          url: req.url,
          method: req.method,
          size,
          headers: req.headers,
          // Big enough to be gzipped.
          padding: 'x'.repeat(2048),
        }),
      );
    });
  });
  server.on('upgrade', (req, socket) => {
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `X-Service: ${service}\r\n\r\n`,
    );
    socket.end();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { service, replica, server, port: (server.address() as AddressInfo).port };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { service: string; replica: number; url: string; size: number; headers: Record<string, string> };
}

function call(
  port: number,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: url, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: Answer['json'];
          try {
            json = JSON.parse(body) as Answer['json'];
          } catch {
            json = { service: '', replica: 0, url: '', size: 0, headers: {} };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on('error', reject);
    if (options.body) req.end(options.body);
    else req.end();
  });
}

interface Edge {
  stubs: Stub[];
  prefix: string;
  port: number;
  stop(): Promise<void>;
}

/** The real nginx with the shipped config in front of two stub replicas of every service. */
async function startEdge(): Promise<Edge> {
  const stubs: Stub[] = [];
  for (const service of SERVICES) {
    stubs.push(await startStub(service, 1), await startStub(service, 2));
  }
  const prefix = mkdtempSync(path.join(tmpdir(), 'kino-nginx-test-'));
  preparePrefix(prefix);
  const port = await freePort();
  const upstreams = Object.fromEntries(
    SERVICES.map((s) => [s, stubs.filter((x) => x.service === s).map((x) => `127.0.0.1:${x.port}`)]),
  );
  const conf = generateNginxConf({
    prefix,
    listen: `127.0.0.1:${port}`,
    upstreams,
  });
  writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const nginx = (...args: string[]) =>
    spawnSync(NGINX!, ['-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', 'nginx.conf', ...args]);
  execFileSync(NGINX!, ['-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', 'nginx.conf'], {
    stdio: 'pipe',
  });
  // nginx daemonises; wait until it answers.
  for (let i = 0; i < 50; i++) {
    try {
      if ((await call(port, 'GET', '/nginx-health')).status === 200) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    stubs,
    prefix,
    port,
    async stop() {
      if (existsSync(path.join(prefix, 'nginx.pid'))) nginx('-s', 'stop');
      await Promise.all(stubs.map((s) => new Promise((r) => s.server.close(r))));
      for (const s of stubs) s.server.closeAllConnections();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Stops the stub replicas of `service` (or one replica); nginx is left to find out. */
async function kill(edge: Edge, service: string, replica?: number): Promise<void> {
  for (const s of edge.stubs.filter((x) => x.service === service && (replica ?? x.replica) === x.replica)) {
    await new Promise((r) => s.server.close(r));
    s.server.closeAllConnections();
  }
}

describe.skipIf(!NGINX)('nginx edge config', () => {
  let edge: Edge;
  let prefix = '';
  let port = 0;

  beforeAll(async () => {
    edge = await startEdge();
    ({ prefix, port } = edge);
  });

  afterAll(async () => edge?.stop());

  const ROUTES: [string, string, string][] = [
    ['POST', '/api/v1/auth/login', 'auth'],
    ['GET', '/api/v1/users/me', 'auth'],
    ['GET', '/api/v1/users', 'auth'],
    ['GET', '/api/v1/roles/1', 'auth'],
    ['GET', '/api/v1/permissions', 'auth'],
    ['GET', '/.well-known/jwks.json', 'auth'],
    ['GET', '/api/v1/films?sort=-imdb_rating', 'catalog'],
    ['GET', '/api/v1/films/search?query=star', 'catalog'],
    ['GET', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d', 'catalog'],
    ['GET', '/api/v1/genres', 'catalog'],
    ['GET', '/api/v1/persons/search?query=lucas', 'catalog'],
    ['GET', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/rating', 'ugc'],
    ['PUT', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/rating', 'ugc'],
    ['GET', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/reviews?sort=-likes', 'ugc'],
    ['POST', '/api/v1/reviews/9/likes', 'ugc'],
    ['GET', '/api/v1/bookmarks', 'ugc'],
    ['PUT', '/api/v1/progress/3d825f60-9fff-4dfe-b294-1a45fa1e115d', 'ugc'],
    ['GET', '/api/v1/continue-watching', 'ugc'],
    ['GET', '/api/v1/history', 'ugc'],
    ['POST', '/api/v1/events', 'ugc'],
    ['GET', '/api/v1/analytics/top-films', 'ugc'],
    ['GET', '/api/v1/files/abc', 'files'],
    ['PUT', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/video', 'files'],
    ['GET', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/video', 'files'],
    ['DELETE', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/video', 'files'],
    ['PUT', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/video/subtitles/ru', 'files'],
    ['DELETE', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/video/subtitles/pt-BR', 'files'],
    ['GET', '/api/v1/films/3d825f60-9fff-4dfe-b294-1a45fa1e115d/playback', 'files'],
    ['GET', '/api/v1/hls/routing-check/master.m3u8', 'files'],
    ['GET', '/embed/3d825f60-9fff-4dfe-b294-1a45fa1e115d', 'files'],
    ['GET', '/embed/assets/hls.min.js', 'files'],
    ['POST', '/api/v1/uploads', 'files'],
    ['GET', '/api/v1/notifications', 'notifications'],
    ['POST', '/api/v1/admin/notifications/broadcasts', 'notifications'],
    ['GET', '/api/v1/admin/films', 'admin'],
    ['GET', '/admin', 'admin'],
    ['GET', '/admin/assets/app.js', 'admin'],
    ['GET', '/api/openapi.json', 'catalog'],
    ['GET', '/_health/auth', 'auth'],
    ['GET', '/_health/notifications', 'notifications'],
  ];

  it.each(ROUTES)('%s %s → %s', async (method, url, service) => {
    const answer = await call(port, method, url);
    expect(answer.status).toBe(200);
    expect(answer.json.service).toBe(service);
  });

  it('sends the upstream path unchanged and the forwarding headers', async () => {
    const answer = await call(port, 'GET', '/api/v1/films?page_size=10', {
      headers: { host: 'cinema.example.com' },
    });
    expect(answer.json.url).toBe('/api/v1/films?page_size=10');
    expect(answer.json.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(answer.json.headers['x-forwarded-proto']).toBe('http');
    expect(answer.json.headers['x-forwarded-host']).toBe('cinema.example.com');
    expect(answer.json.headers.host).toBe('cinema.example.com');
  });

  it('keeps a sane X-Request-Id and replaces a missing or malformed one', async () => {
    const kept = await call(port, 'GET', '/api/v1/genres', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.json.headers['x-request-id']).toBe('abc-123');
    expect(kept.headers['x-request-id']).toBe('abc-123');

    const fresh = await call(port, 'GET', '/api/v1/genres');
    expect(fresh.json.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.headers['x-request-id']).toBe(fresh.json.headers['x-request-id']);

    const bad = await call(port, 'GET', '/api/v1/genres', { headers: { 'x-request-id': 'a b<c>' } });
    expect(bad.json.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses bodies over 1 MB with 413 problem+json, takes 2 MB event batches and streams large uploads', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 1);
    const refused = await call(port, 'POST', '/api/v1/reviews', {
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(413);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(refused.body)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });

    // Event batches may reach 2 MB.
    const batch = Buffer.alloc(1536 * 1024, 1);
    const events = await call(port, 'POST', '/api/v1/events', {
      body: batch,
      headers: { 'content-type': 'application/json' },
    });
    expect(events.status).toBe(200);
    expect(events.json).toMatchObject({ service: 'ugc', size: batch.length });
    const tooMany = await call(port, 'POST', '/api/v1/events', {
      body: Buffer.alloc(3 * 1024 * 1024, 1),
      headers: { 'content-type': 'application/json' },
    });
    expect(tooMany.status).toBe(413);

    const upload = await call(port, 'PATCH', '/api/v1/uploads/abc', {
      body: big,
      headers: { 'content-type': 'application/offset+octet-stream' },
    });
    expect(upload.status).toBe(200);
    expect(upload.json).toMatchObject({ service: 'files', size: big.length });
  });

  it('caches package files by URI: a segment is fetched upstream once, then served from the cache', async () => {
    const segment = `/api/v1/hls/${Math.random().toString(36).slice(2)}/240p/seg_00001.m4s`;
    const first = await call(port, 'GET', segment);
    expect(first.status).toBe(200);
    expect(first.json.service).toBe('files');
    expect(first.headers['x-cache-status']).toBe('MISS');
    expect(first.headers['x-request-id']).toBeTruthy();
    const second = await call(port, 'GET', segment, { headers: { 'x-request-id': 'second-viewer' } });
    expect(second.headers['x-cache-status']).toBe('HIT');
    // The stored answer, not a new one (the first request's id is in the body).
    expect(second.body).toBe(first.body);
    expect(second.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // Byte ranges are cut from the cached copy.
    const range = await call(port, 'GET', segment, { headers: { range: 'bytes=0-9' } });
    expect(range.status).toBe(206);
    expect(range.body).toBe(first.body.slice(0, 10));

    // Refusals (no-store) always go upstream.
    const refused = `/api/v1/hls/${Math.random().toString(36).slice(2)}/refused/seg_00001.m4s`;
    expect((await call(port, 'GET', refused)).status).toBe(403);
    const again = await call(port, 'GET', refused);
    expect(again.status).toBe(403);
    expect(again.headers['x-cache-status']).not.toBe('HIT');
  });

  it('compresses JSON when the client accepts gzip', async () => {
    const answer = await call(port, 'GET', '/api/v1/films', { headers: { 'accept-encoding': 'gzip' } });
    expect(answer.headers['content-encoding']).toBe('gzip');
  });

  it('upgrades the notifications WebSocket path', async () => {
    const status = await new Promise<{ code: number; service: string }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/api/v1/notifications/ws',
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ code: res.statusCode ?? 0, service: String(res.headers['x-service']) });
      });
      req.on('response', (res) => resolve({ code: res.statusCode ?? 0, service: '' }));
      req.on('error', reject);
      req.end();
    });
    expect(status).toEqual({ code: 101, service: 'notifications' });
  });

  // The next two stop replicas, so each runs on an edge of its own: the shared one keeps every
  // replica for the other tests, in whatever order they run.
  it('routes around a dead replica: every GET still answers 200', async () => {
    const own = await startEdge();
    try {
      await kill(own, 'catalog', 1);
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => call(own.port, 'GET', '/api/v1/films')),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(new Set(answers.map((a) => a.json.replica))).toEqual(new Set([2]));
    } finally {
      await own.stop();
    }
  });

  it('answers 503 problem+json when no replica of a service is left', async () => {
    const own = await startEdge();
    try {
      await kill(own, 'admin');
      const answer = await call(own.port, 'GET', '/api/v1/admin/films');
      expect(answer.status).toBe(503);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.headers['x-request-id']).toBeTruthy();
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await own.stop();
    }
  });

  /** nginx writes a request's line in its log phase, after the response has left: waits for it. */
  const accessLogLine = (requestId: string) =>
    eventually(
      () =>
        readFileSync(path.join(prefix, 'access.log'), 'utf8')
          .split('\n')
          .find((l) => l.includes(requestId)),
      { timeoutMs: 10_000, what: `the access log line of request ${requestId}` },
    );

  it('writes JSON access log lines with the request id', async () => {
    await call(port, 'GET', '/api/v1/genres', { headers: { 'x-request-id': 'log-line-42' } });
    const line = await accessLogLine('log-line-42');
    const entry = JSON.parse(line!) as Record<string, unknown>;
    expect(entry).toMatchObject({ request_id: 'log-line-42', method: 'GET', status: 200 });
  });

  it('logs a signed playback path without its signature', async () => {
    const film = randomUUID();
    const job = randomUUID();
    const signature = 'Zx9-secret_SIGNATURE-value';
    const id = `hls-log-${randomUUID()}`;
    await call(port, 'GET', `/api/v1/hls/${film}.${job}.1900000000.${signature}/360p/seg_00003.m4s`, {
      headers: { 'x-request-id': id },
    });
    const line = await accessLogLine(id);
    expect(line).not.toContain(signature);
    expect((JSON.parse(line!) as { uri: string }).uri).toBe(
      `/api/v1/hls/${film}.${job}.1900000000.-/360p/seg_00003.m4s`,
    );
  });

  it('logs a signed file link without its signature', async () => {
    const file = randomUUID();
    const signature = 'Qq7_file-link-SIGNATURE';
    const id = `link-log-${randomUUID()}`;
    await call(port, 'GET', `/api/v1/files/${file}/content?expires=1900000000&signature=${signature}&x=1`, {
      headers: { 'x-request-id': id },
    });
    const line = await accessLogLine(id);
    expect(line).not.toContain(signature);
    expect((JSON.parse(line!) as { uri: string }).uri).toBe(
      `/api/v1/files/${file}/content?expires=1900000000&signature=-&x=1`,
    );
  });
});
