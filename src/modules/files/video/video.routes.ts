/** HTTP routes of a film's video: thin handlers over the video service (editors only). */
import type { FastifyPluginAsync } from 'fastify';
import { platformErrors } from '../../../platform/errors.js';
import type { HttpApp } from '../../../platform/http/app.js';
import { catalogErrors } from '../../catalog/index.js';
import { filesErrors } from '../files.errors.js';
import type { VideoService } from './video.service.js';
import { AttachVideoBody, FilmParams, toVideoDto, VideoSchema } from './video.schemas.js';

const tags = ['files'];
/** What every editor route of a film's video may answer. */
export const editorErrors = [
  platformErrors.AUTHENTICATION_REQUIRED,
  platformErrors.PERMISSION_DENIED,
  catalogErrors.FILM_NOT_FOUND,
];

export function videoRoutes(service: VideoService): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify as unknown as HttpApp;

    app.put(
      '/api/v1/films/:id/video',
      {
        schema: {
          tags,
          summary: "Set the film's video from an uploaded file: queues a job (202) that packages it as HLS",
          params: FilmParams,
          body: AttachVideoBody,
          'x-errors': [...editorErrors, filesErrors.FILE_NOT_FOUND, filesErrors.VIDEO_FILE_REQUIRED],
          response: { 202: VideoSchema },
        },
      },
      async (request, reply) => {
        const row = await service.attach(request.params.id, request.body.file_id, request.principal);
        return reply.code(202).send(toVideoDto(row));
      },
    );

    app.get(
      '/api/v1/films/:id/video',
      {
        schema: {
          tags,
          summary: "The film's video job: status, step, percent, ETA, error, renditions, storage",
          params: FilmParams,
          'x-errors': [...editorErrors, filesErrors.VIDEO_NOT_FOUND],
          response: { 200: VideoSchema },
        },
      },
      async (request) => toVideoDto(await service.get(request.params.id, request.principal)),
    );

    app.delete(
      '/api/v1/films/:id/video',
      {
        schema: {
          tags,
          summary: "Delete the film's video: the job and every rendition",
          params: FilmParams,
          'x-errors': [...editorErrors, filesErrors.VIDEO_NOT_FOUND],
        },
      },
      async (request, reply) => {
        await service.remove(request.params.id, request.principal);
        return reply.code(204).send();
      },
    );
  };
}
