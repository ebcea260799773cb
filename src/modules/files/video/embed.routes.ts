/** The embeddable player page and its assets (embed.page.ts); hidden from the API description. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { etagMatches } from '../files.http.js';
import { EMBED_CSS, EMBED_HTML, EMBED_JS } from './embed.page.js';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  readonly cacheControl: string;
}

const asset = (body: string | Buffer, type: string, cacheControl: string): Asset => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return {
    body: bytes,
    type,
    etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`,
    cacheControl,
  };
};

/** hls.js as its package ships it (the minified UMD build, which defines `window.Hls`). */
function hlsBundle(): Buffer {
  return readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
}

const FILM_PAGE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function embedRoutes(): FastifyPluginAsync {
  // Revalidated, not stored for long: a new release serves its own page and script at once.
  const revalidate = 'public, max-age=300, must-revalidate';
  const page = asset(EMBED_HTML, 'text/html; charset=utf-8', revalidate);
  const assets: Record<string, Asset> = {
    'player.js': asset(EMBED_JS, 'text/javascript; charset=utf-8', revalidate),
    'player.css': asset(EMBED_CSS, 'text/css; charset=utf-8', revalidate),
    'hls.min.js': asset(hlsBundle(), 'text/javascript; charset=utf-8', 'public, max-age=86400'),
  };
  const send = (request: FastifyRequest, reply: FastifyReply, file: Asset) => {
    reply.header('etag', file.etag).header('cache-control', file.cacheControl).type(file.type);
    if (etagMatches(request.headers['if-none-match'], file.etag)) return reply.code(304).send();
    return reply.send(file.body);
  };
  const notFound = (reply: FastifyReply) =>
    reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('Not found\n');

  return async (app) => {
    app.get<{ Params: { id: string } }>('/embed/:id', { schema: { hide: true } }, (request, reply) =>
      FILM_PAGE.test(request.params.id) ? send(request, reply, page) : notFound(reply),
    );
    app.get<{ Params: { name: string } }>(
      '/embed/assets/:name',
      { schema: { hide: true } },
      (request, reply) => {
        const file = Object.hasOwn(assets, request.params.name) ? assets[request.params.name] : undefined;
        return file ? send(request, reply, file) : notFound(reply);
      },
    );
  };
}
