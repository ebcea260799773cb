/** TypeBox schemas of the ugc HTTP API (validation, serialisation and OpenAPI from one source). */
import { Type } from '@sinclair/typebox';
import { pagingFields } from '../../platform/http/paging.js';

export const MAX_EVENTS_PER_REQUEST = 1000;
export const EVENT_TYPES = [
  'view_start',
  'view_progress',
  'view_complete',
  'click',
  'search',
  'quality_change',
] as const;

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

/** Every film route names the film's id `id`, whether or not `films` is in its path. */
export const FilmParams = Type.Object({ id: Type.String({ format: 'uuid', description: "the film's id" }) });
export const ReviewParams = Type.Object({ id: Uuid });

export const Page = pagingFields();
export const PageQuery = Type.Object(Page);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
  },
  { additionalProperties: true },
);

export const RatingBody = Type.Object({ score: Type.Integer({ minimum: 1, maximum: 10 }) });
export const FilmRating = Type.Object({
  film_id: Uuid,
  average: Type.Union([Type.Number(), Type.Null()]),
  votes: Type.Integer(),
  user_score: Type.Union([Type.Integer(), Type.Null()]),
});

export const ReviewText = Type.String({ minLength: 5, maxLength: 5000 });
export const ReviewBody = Type.Object({ text: ReviewText });
export const ReviewQuery = Type.Object({
  sort: Type.Union([Type.Literal('-created_at'), Type.Literal('-likes')], { default: '-created_at' }),
  ...Page,
});
export const Reaction = Type.Union([Type.Literal('like'), Type.Literal('dislike')]);
export const ReactionBody = Type.Object({ value: Reaction });
export const Review = Type.Object({
  id: Uuid,
  film_id: Uuid,
  author: Type.Object({
    id: Uuid,
    login: Type.String(),
    rating: Type.Union([Type.Integer(), Type.Null()], { description: "The author's score of the film." }),
  }),
  text: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
  likes: Type.Integer(),
  dislikes: Type.Integer(),
  my_reaction: Type.Union([Reaction, Type.Null()], { description: "The caller's reaction." }),
});

export const BookmarkBody = Type.Object({
  note: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
});
export const Bookmark = Type.Object({
  film_id: Uuid,
  title: Type.String(),
  rating: Type.Union([Type.Number(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  created_at: DateTime,
});

export const ProgressBody = Type.Object({
  position_s: Type.Number({ minimum: 0, maximum: 1_000_000 }),
  duration_s: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
});
export const Progress = Type.Object({
  film_id: Uuid,
  position_s: Type.Number(),
  duration_s: Type.Number(),
  percent: Type.Number(),
  completed: Type.Boolean({ description: 'The current watch passed 90 %.' }),
  in_continue_watching: Type.Boolean(),
  updated_at: DateTime,
});
export const ContinueItem = Type.Object({
  film_id: Uuid,
  title: Type.String(),
  position_s: Type.Number(),
  duration_s: Type.Number(),
  percent: Type.Number(),
  updated_at: DateTime,
});
export const HistoryItem = Type.Object({ film_id: Uuid, title: Type.String(), watched_at: DateTime });

/** One player or UI event as clients send it. */
export const IncomingEvent = Type.Object(
  {
    event_id: Type.Optional(Uuid),
    type: Type.Unsafe<(typeof EVENT_TYPES)[number]>({ type: 'string', enum: [...EVENT_TYPES] }),
    film_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    ts: DateTime,
    payload: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
/** Items are checked one by one by the service, so one bad item does not fail the request. */
export const IngestBody = Type.Union([
  Type.Array(Type.Unknown(), { maxItems: MAX_EVENTS_PER_REQUEST }),
  Type.Object({}, { additionalProperties: true }),
]);
export const IngestResult = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Array(
    Type.Object({
      index: Type.Integer(),
      errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    }),
  ),
});

export const Period = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
  default: 'week',
});
export const TopQuery = Type.Object({
  metric: Type.Union([Type.Literal('views'), Type.Literal('completions'), Type.Literal('rating')]),
  period: Period,
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  min_votes: Type.Integer({ minimum: 1, default: 1 }),
});
export const TopItem = Type.Object({
  film_id: Uuid,
  title: Type.Union([Type.String(), Type.Null()]),
  value: Type.Number(),
  votes: Type.Optional(Type.Integer()),
});
export const FilmAnalyticsQuery = Type.Object({
  days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }),
});
export const FilmAnalytics = Type.Object({
  film_id: Uuid,
  title: Type.String(),
  from: Type.String({ format: 'date' }),
  to: Type.String({ format: 'date' }),
  views: Type.Integer(),
  completions: Type.Integer(),
  completion_rate: Type.Union([Type.Number(), Type.Null()]),
  /** Views and completions sent without an account: counted apart, never in the figures above. */
  anonymous_views: Type.Integer(),
  anonymous_completions: Type.Integer(),
  views_per_day: Type.Array(
    Type.Object({
      day: Type.String({ format: 'date' }),
      views: Type.Integer(),
      completions: Type.Integer(),
      anonymous_views: Type.Integer(),
      anonymous_completions: Type.Integer(),
    }),
  ),
  rating: Type.Object({
    average: Type.Union([Type.Number(), Type.Null()]),
    votes: Type.Integer(),
    histogram: Type.Array(Type.Object({ score: Type.Integer(), votes: Type.Integer() })),
  }),
});
