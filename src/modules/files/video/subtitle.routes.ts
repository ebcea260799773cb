/**
 * HTTP routes of a film's subtitle tracks (editors only). The plugin is encapsulated: its one
 * body parser (text/vtt, at most SUBTITLE_MAX_BYTES) applies to these routes alone.
 */
import type { FastifyPluginAsync } from 'fastify';
import { platformErrors } from '../../../platform/errors.js';
import type { HttpApp } from '../../../platform/http/app.js';
import { filesErrors } from '../files.errors.js';
import type { SubtitleService } from './subtitle.service.js';
import { decodeSubtitle, SUBTITLE_MAX_BYTES } from './subtitle.vtt.js';
import { editorErrors } from './video.routes.js';
import { SubtitleBody, SubtitleParams, SubtitleQuery, SubtitleSchema } from './video.schemas.js';

const tags = ['files'];
const errors = [...editorErrors, filesErrors.VIDEO_NOT_FOUND];

export function subtitleRoutes(service: SubtitleService): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify as unknown as HttpApp;
    // Only WebVTT here (anything else: 415), read whole up to the limit (beyond: 413), as UTF-8.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      'text/vtt',
      { parseAs: 'buffer', bodyLimit: SUBTITLE_MAX_BYTES },
      (_request, body, done) => {
        try {
          done(null, decodeSubtitle(body as Buffer));
        } catch (error) {
          done(error as Error, undefined);
        }
      },
    );

    app.put(
      '/api/v1/films/:id/video/subtitles/:lang',
      {
        schema: {
          tags,
          summary: "Add or replace the video's subtitle track in a language (a WebVTT body, at most 2 MB)",
          consumes: ['text/vtt'],
          params: SubtitleParams,
          querystring: SubtitleQuery,
          body: SubtitleBody,
          'x-errors': [
            ...errors,
            filesErrors.SUBTITLE_INVALID,
            platformErrors.BODY_TOO_LARGE,
            platformErrors.UNSUPPORTED_MEDIA_TYPE,
          ],
          response: { 200: SubtitleSchema },
        },
      },
      async (request) =>
        service.put({
          filmId: request.params.id,
          lang: request.params.lang,
          text: request.body,
          label: request.query.label,
          principal: request.principal,
        }),
    );

    app.delete(
      '/api/v1/films/:id/video/subtitles/:lang',
      {
        schema: {
          tags,
          summary: "Delete the video's subtitle track in a language",
          params: SubtitleParams,
          'x-errors': [...errors, filesErrors.SUBTITLE_NOT_FOUND],
        },
      },
      async (request, reply) => {
        await service.remove(request.params.id, request.params.lang, request.principal);
        return reply.code(204).send();
      },
    );
  };
}
