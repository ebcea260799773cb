/**
 * Serves the admin panel (web/dist, built by `npm install`/`npm run build`) at /admin. Files
 * under assets/ carry a content hash in their names and are cached for a year; index.html is
 * revalidated on every load so a new build is picked up at once. Any other path under /admin is
 * a client-side route and gets index.html.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { HttpApp } from '../../platform/http/app.js';
import { platformErrors } from '../../platform/errors.js';
import { adminErrors } from './admin.errors.js';

/** web/dist beside src/ (tsx) and dist/ (built): three folders up from this file either way. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export async function webRoutes(app: HttpApp, root: string = DEFAULT_WEB_ROOT): Promise<void> {
  if (!existsSync(`${root}/index.html`)) {
    app.get('/admin/*', { schema: { hide: true } }, () => {
      throw adminErrors.ADMIN_UI_NOT_BUILT();
    });
    app.get('/admin', { schema: { hide: true } }, (_request, reply) => reply.redirect('/admin/'));
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/admin/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders(reply, filePath) {
      reply.header('cache-control', /[/\\]assets[/\\]/.test(filePath) ? IMMUTABLE : REVALIDATE);
    },
  });

  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', REVALIDATE).sendFile('index.html', root, { cacheControl: false });

  // `/admin/` itself (and `/admin`, trailing slashes being ignored) is the static index route.
  app.get('/admin/*', { schema: { hide: true } }, (request, reply) => {
    // A missing hashed asset is a real 404, not a page of the app.
    if (request.url.startsWith('/admin/assets/'))
      throw platformErrors.ROUTE_NOT_FOUND({ detail: 'No such file.' });
    return sendIndex(reply);
  });
}
