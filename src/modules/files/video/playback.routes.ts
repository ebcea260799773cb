/** HTTP routes of playback: a film's signed package URL, and the package's files under it. */
import type { FastifyPluginAsync } from 'fastify';
import { platformErrors } from '../../../platform/errors.js';
import type { HttpApp } from '../../../platform/http/app.js';
import { catalogErrors } from '../../catalog/index.js';
import { filesErrors } from '../files.errors.js';
import { etagMatches, parseRange } from '../files.http.js';
import { cacheControlOf, contentTypeOf } from './playback.package.js';
import type { PlaybackService } from './playback.service.js';
import { FilmParams, HlsParams, PlaybackSchema, toPlaybackDto } from './video.schemas.js';

const tags = ['files'];

export function playbackRoutes(service: PlaybackService): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify as unknown as HttpApp;

    // Refusals are never cached: a fixed or renewed link must not meet a stored 403 or 404.
    app.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode >= 400) void reply.header('cache-control', 'no-store').removeHeader('etag');
      return payload;
    });

    app.get(
      '/api/v1/films/:id/playback',
      {
        schema: {
          tags,
          summary:
            "Play a film: a signed URL of its HLS package (master playlist), and the package's renditions",
          params: FilmParams,
          'x-errors': [
            platformErrors.AUTHENTICATION_REQUIRED,
            catalogErrors.FILM_ACCESS_DENIED,
            catalogErrors.FILM_NOT_FOUND,
            filesErrors.VIDEO_NOT_FOUND,
            filesErrors.VIDEO_NOT_READY,
          ],
          response: { 200: PlaybackSchema },
        },
      },
      async (request, reply) => {
        const playback = await service.playback(request.params.id, request.principal);
        // Signed for this caller's access: never stored by a shared cache.
        return reply.header('cache-control', 'private, no-store').send(toPlaybackDto(playback));
      },
    );

    app.get(
      '/api/v1/hls/:token/*',
      {
        schema: {
          tags,
          summary:
            'A file of a film package under a signed path (playlists, init segments, media segments): Range, ETag',
          params: HlsParams,
          'x-errors': [
            filesErrors.PLAYBACK_LINK_INVALID,
            filesErrors.PLAYBACK_LINK_EXPIRED,
            filesErrors.PLAYBACK_FILE_NOT_FOUND,
            filesErrors.RANGE_NOT_SATISFIABLE,
          ],
        },
      },
      async (request, reply) => {
        const { token, '*': name } = request.params;
        // The router decodes the path (`%2F` becomes `/`): serve only paths sent as the package
        // names them, so each file has one URL (one cache entry) and nothing encoded gets through.
        if (request.url.split('?')[0] !== `/api/v1/hls/${token}/${name}`)
          throw filesErrors.PLAYBACK_FILE_NOT_FOUND();
        const file = await service.file(token, name);
        const { size, etag } = file;
        reply
          .header('etag', etag)
          .header('accept-ranges', 'bytes')
          .header('cache-control', cacheControlOf(file.name))
          .header('content-type', contentTypeOf(file.name));
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
        const ifRange = request.headers['if-range'];
        const range =
          ifRange === undefined || ifRange === etag
            ? parseRange(request.headers.range, size)
            : ({ kind: 'full' } as const);
        if (range.kind === 'unsatisfiable')
          throw filesErrors.RANGE_NOT_SATISFIABLE({
            detail: `The file has ${size} bytes.`,
            headers: { 'content-range': `bytes */${size}` },
          });
        const read = await service.read(file, range.kind === 'partial' ? range.range : undefined);
        reply.header('content-length', String(Math.max(read.range.end - read.range.start + 1, 0)));
        if (range.kind === 'partial')
          reply.code(206).header('content-range', `bytes ${read.range.start}-${read.range.end}/${read.size}`);
        return reply.send(read.body);
      },
    );
  };
}
