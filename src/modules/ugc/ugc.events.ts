/** Events the ugc module publishes for other modules (notifications, analytics consumers). */
declare module '../../platform/events.js' {
  interface EventMap {
    'ugc.rating.set': { userId: string; filmId: string; score: number | null; previous: number | null };
    'ugc.review.created': { reviewId: string; filmId: string; authorId: string };
    'ugc.review.liked': { reviewId: string; filmId: string; authorId: string; likerId: string };
    'ugc.progress.completed': { userId: string; filmId: string; watchedAt: string };
    'ugc.bookmark.added': { userId: string; filmId: string };
    'ugc.bookmark.removed': { userId: string; filmId: string };
    /** A batch of raw view/click events accepted by the ingest endpoint, on their way to the sink. */
    'ugc.events.batch': { events: readonly UgcEventRecord[] };
  }
}

export interface UgcEventRecord {
  readonly event_id: string;
  readonly user_id: string | null;
  readonly type: string;
  readonly film_id: string | null;
  readonly ts: string;
  readonly payload: Record<string, unknown>;
}
