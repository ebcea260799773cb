/** HTTP routes of the ugc module: thin handlers over the services. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AnalyticsService } from './analytics.service.js';
import type { BookmarkService } from './bookmark.service.js';
import type { IngestService } from './ingest.service.js';
import type { ProgressService } from './progress.service.js';
import type { RatingService } from './rating.service.js';
import type { ReviewService } from './review.service.js';
import * as S from './ugc.schemas.js';
import { bearerSecurity } from '../../platform/http/openapi.js';
import { platformErrors } from '../../platform/errors.js';
import { catalogErrors } from '../catalog/index.js';
import { ugcErrors } from './ugc.errors.js';

export interface UgcServices {
  readonly ratings: RatingService;
  readonly reviews: ReviewService;
  readonly bookmarks: BookmarkService;
  readonly progress: ProgressService;
  readonly ingest: IngestService;
  readonly analytics: AnalyticsService;
}

const bearer = bearerSecurity;
const Empty = Type.Null({ description: 'No content' });

export function ugcRoutes(s: UgcServices, options: { ingestBodyLimit: number }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    // Ratings
    app.get(
      '/api/v1/films/:id/rating',
      {
        schema: {
          tags: ['ugc'],
          summary: "A film's average rating and the caller's score",
          params: S.FilmParams,
          'x-errors': [catalogErrors.FILM_NOT_FOUND, catalogErrors.FILM_ACCESS_DENIED],
          response: { 200: S.FilmRating },
        },
      },
      async (req) => s.ratings.get(req.principal, req.params.id),
    );
    app.put(
      '/api/v1/films/:id/rating',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Rate a film 1..10',
          security: bearer,
          params: S.FilmParams,
          body: S.RatingBody,
          'x-errors': [catalogErrors.FILM_NOT_FOUND, catalogErrors.FILM_ACCESS_DENIED],
          response: { 200: S.FilmRating },
        },
      },
      async (req) => s.ratings.set(req.principal, req.params.id, req.body.score),
    );
    app.delete(
      '/api/v1/films/:id/rating',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Withdraw your rating',
          security: bearer,
          params: S.FilmParams,
          'x-errors': [catalogErrors.FILM_NOT_FOUND, catalogErrors.FILM_ACCESS_DENIED],
          response: { 204: Empty },
        },
      },
      async (req, reply) => {
        await s.ratings.remove(req.principal, req.params.id);
        return reply.code(204).send(null);
      },
    );

    // Reviews
    app.post(
      '/api/v1/films/:id/reviews',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Review a film (once)',
          security: bearer,
          params: S.FilmParams,
          body: S.ReviewBody,
          'x-errors': [
            catalogErrors.FILM_NOT_FOUND,
            catalogErrors.FILM_ACCESS_DENIED,
            ugcErrors.REVIEW_EXISTS,
          ],
          response: { 201: S.Review },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await s.reviews.create(req.principal, req.params.id, req.body.text)),
    );
    app.get(
      '/api/v1/films/:id/reviews',
      {
        schema: {
          tags: ['ugc'],
          summary: "A film's reviews (X-Total-Count has the total)",
          params: S.FilmParams,
          querystring: S.ReviewQuery,
          'x-errors': [catalogErrors.FILM_NOT_FOUND, catalogErrors.FILM_ACCESS_DENIED],
          response: { 200: Type.Array(S.Review) },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const { items, total } = await s.reviews.list(
          req.principal,
          req.params.id,
          q.sort,
          q.page_number,
          q.page_size,
        );
        return reply.header('x-total-count', String(total)).send(items);
      },
    );
    app.patch(
      '/api/v1/reviews/:id',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Edit your review',
          security: bearer,
          params: S.ReviewParams,
          body: S.ReviewBody,
          'x-errors': [ugcErrors.REVIEW_NOT_FOUND, ugcErrors.NOT_REVIEW_AUTHOR],
          response: { 200: S.Review },
        },
      },
      async (req) => s.reviews.update(req.principal, req.params.id, req.body.text),
    );
    app.delete(
      '/api/v1/reviews/:id',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Delete a review (author or admin)',
          security: bearer,
          params: S.ReviewParams,
          'x-errors': [ugcErrors.REVIEW_NOT_FOUND, ugcErrors.NOT_REVIEW_AUTHOR],
          response: { 204: Empty },
        },
      },
      async (req, reply) => {
        await s.reviews.remove(req.principal, req.params.id);
        return reply.code(204).send(null);
      },
    );
    app.put(
      '/api/v1/reviews/:id/reaction',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Like or dislike a review',
          security: bearer,
          params: S.ReviewParams,
          body: S.ReactionBody,
          'x-errors': [
            ugcErrors.REVIEW_NOT_FOUND,
            catalogErrors.FILM_NOT_FOUND,
            catalogErrors.FILM_ACCESS_DENIED,
          ],
          response: { 200: S.Review },
        },
      },
      async (req) => s.reviews.react(req.principal, req.params.id, req.body.value),
    );
    app.delete(
      '/api/v1/reviews/:id/reaction',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Withdraw your reaction',
          security: bearer,
          params: S.ReviewParams,
          'x-errors': [ugcErrors.REVIEW_NOT_FOUND],
          response: { 204: Empty },
        },
      },
      async (req, reply) => {
        await s.reviews.unreact(req.principal, req.params.id);
        return reply.code(204).send(null);
      },
    );

    // Bookmarks
    app.put(
      '/api/v1/bookmarks/:id',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Bookmark a film (201 when new)',
          security: bearer,
          params: S.FilmParams,
          body: Type.Optional(S.BookmarkBody),
          'x-errors': [catalogErrors.FILM_NOT_FOUND, catalogErrors.FILM_ACCESS_DENIED],
          response: { 200: Empty, 201: Empty },
        },
      },
      async (req, reply) => {
        const added = await s.bookmarks.put(req.principal, req.params.id, req.body?.note ?? null);
        return reply.code(added ? 201 : 200).send(null);
      },
    );
    app.delete(
      '/api/v1/bookmarks/:id',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Remove a bookmark',
          security: bearer,
          params: S.FilmParams,
          response: { 204: Empty },
        },
      },
      async (req, reply) => {
        await s.bookmarks.remove(req.principal, req.params.id);
        return reply.code(204).send(null);
      },
    );
    app.get(
      '/api/v1/bookmarks',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Your bookmarks, newest first',
          security: bearer,
          querystring: S.PageQuery,
          response: { 200: Type.Array(S.Bookmark) },
        },
      },
      async (req, reply) => {
        const { items, total } = await s.bookmarks.list(
          req.principal,
          req.query.page_number,
          req.query.page_size,
        );
        return reply.header('x-total-count', String(total)).send(items);
      },
    );

    // Watch progress
    app.put(
      '/api/v1/progress/:id',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Report the playback position (last write wins)',
          security: bearer,
          params: S.FilmParams,
          body: S.ProgressBody,
          'x-errors': [
            ugcErrors.POSITION_BEYOND_DURATION,
            catalogErrors.FILM_NOT_FOUND,
            catalogErrors.FILM_ACCESS_DENIED,
          ],
          response: { 200: S.Progress },
        },
      },
      async (req) => s.progress.put(req.principal, req.params.id, req.body),
    );
    app.get(
      '/api/v1/progress/:id',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Your position in a film',
          security: bearer,
          params: S.FilmParams,
          'x-errors': [ugcErrors.PROGRESS_NOT_FOUND],
          response: { 200: S.Progress },
        },
      },
      async (req) => s.progress.get(req.principal, req.params.id),
    );
    app.get(
      '/api/v1/continue-watching',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Films started (5 %..90 %, at least 30 s) and not hidden',
          security: bearer,
          querystring: S.PageQuery,
          response: { 200: Type.Array(S.ContinueItem) },
        },
      },
      async (req) => s.progress.continueWatching(req.principal, req.query.page_number, req.query.page_size),
    );
    app.delete(
      '/api/v1/continue-watching/:id',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Hide a film from continue-watching (progress and history stay)',
          security: bearer,
          params: S.FilmParams,
          'x-errors': [ugcErrors.PROGRESS_NOT_FOUND],
          response: { 204: Empty },
        },
      },
      async (req, reply) => {
        await s.progress.hide(req.principal, req.params.id);
        return reply.code(204).send(null);
      },
    );
    app.get(
      '/api/v1/history',
      {
        schema: {
          tags: ['ugc'],
          summary: 'Films you watched past 90 %, newest first',
          security: bearer,
          querystring: S.PageQuery,
          response: { 200: Type.Array(S.HistoryItem) },
        },
      },
      async (req, reply) => {
        const { items, total } = await s.progress.history(
          req.principal,
          req.query.page_number,
          req.query.page_size,
        );
        return reply.header('x-total-count', String(total)).send(items);
      },
    );

    // Events
    app.post(
      '/api/v1/events',
      {
        bodyLimit: options.ingestBodyLimit,
        // Items with text the database cannot store are refused one by one (checkItem).
        config: { bodyCheckedPerItem: true },
        schema: {
          tags: ['ugc'],
          summary: `Send one event or up to ${S.MAX_EVENTS_PER_REQUEST}; invalid items are listed, the rest accepted`,
          description: 'Each item: ' + JSON.stringify(S.IncomingEvent),
          body: S.IngestBody,
          'x-errors': [ugcErrors.TOO_MANY_EVENTS, platformErrors.RATE_LIMITED],
          response: { 202: S.IngestResult },
        },
      },
      async (req, reply) => reply.code(202).send(await s.ingest.ingest(req.principal, req.body, req.ip)),
    );

    // Analytics
    app.get(
      '/api/v1/analytics/films/top',
      {
        schema: {
          tags: ['analytics'],
          summary: 'Top films by views, completions or rating over a period',
          security: bearer,
          querystring: S.TopQuery,
          'x-errors': [platformErrors.PERMISSION_DENIED],
          response: { 200: Type.Array(S.TopItem) },
        },
      },
      async (req) => {
        const q = req.query;
        return s.analytics.top(req.principal, q.metric, q.period, q.limit, q.min_votes);
      },
    );
    app.get(
      '/api/v1/analytics/films/:id',
      {
        schema: {
          tags: ['analytics'],
          summary: 'Views per day, completion rate and rating histogram of a film',
          security: bearer,
          params: S.FilmParams,
          querystring: S.FilmAnalyticsQuery,
          'x-errors': [platformErrors.PERMISSION_DENIED, catalogErrors.FILM_NOT_FOUND],
          response: { 200: S.FilmAnalytics },
        },
      },
      async (req) => s.analytics.film(req.principal, req.params.id, req.query.days),
    );
  };
}
