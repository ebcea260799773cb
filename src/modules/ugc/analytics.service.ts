/** Film analytics for admins (CRUD_FILMS): top films and one film's views, completions and ratings. */
import type { Clock } from '../../platform/clock.js';
import { Permission, requirePermission, type Principal } from '../../platform/security.js';
import type { AnalyticsRepository } from './analytics.repository.js';
import type { FilmRepository } from './film.repository.js';
import { daysFrom, utcDay } from './partitions.js';
import { catalogErrors } from '../catalog/index.js';
import type { RatingRepository } from './rating.repository.js';

export type Metric = 'views' | 'completions' | 'rating';
export type Period = 'day' | 'week' | 'month';

/** A period is the last N UTC days, today included. */
export const PERIOD_DAYS: Record<Period, number> = { day: 1, week: 7, month: 30 };

const DAY_MS = 86_400_000;

export function createAnalyticsService(deps: {
  clock: Clock;
  analytics: AnalyticsRepository;
  films: FilmRepository;
  ratings: RatingRepository;
}) {
  const { clock, analytics, films, ratings } = deps;

  function firstDay(days: number): Date {
    const today = Date.parse(utcDay(clock.now()));
    return new Date(today - (days - 1) * DAY_MS);
  }

  return {
    async top(principal: Principal, metric: Metric, period: Period, limit: number, minVotes: number) {
      requirePermission(principal, Permission.crudFilms);
      const since = firstDay(PERIOD_DAYS[period]);
      if (metric === 'rating') return analytics.topByRating(since, limit, minVotes);
      return analytics.topByCounter(metric, utcDay(since), limit);
    },

    async film(principal: Principal, filmId: string, days: number) {
      requirePermission(principal, Permission.crudFilms);
      const film = await films.get(filmId);
      if (!film) throw catalogErrors.FILM_NOT_FOUND();
      const since = firstDay(days);
      const stored = new Map((await analytics.days(filmId, utcDay(since))).map((d) => [d.day, d]));
      const perDay = daysFrom(since, days).map((day) => ({
        day,
        views: stored.get(day)?.views ?? 0,
        completions: stored.get(day)?.completions ?? 0,
        anonymous_views: stored.get(day)?.anonymous_views ?? 0,
        anonymous_completions: stored.get(day)?.anonymous_completions ?? 0,
      }));
      const views = perDay.reduce((n, d) => n + d.views, 0);
      const completions = perDay.reduce((n, d) => n + d.completions, 0);
      const anonymousViews = perDay.reduce((n, d) => n + d.anonymous_views, 0);
      const anonymousCompletions = perDay.reduce((n, d) => n + d.anonymous_completions, 0);
      const summary = await ratings.summary(filmId);
      return {
        film_id: filmId,
        title: film.title,
        from: perDay[0]?.day ?? utcDay(since),
        to: perDay[perDay.length - 1]?.day ?? utcDay(since),
        views,
        completions,
        completion_rate: views === 0 ? null : Math.round((completions / views) * 10_000) / 10_000,
        anonymous_views: anonymousViews,
        anonymous_completions: anonymousCompletions,
        views_per_day: perDay,
        rating: {
          average: summary.votes === 0 ? null : summary.total / summary.votes,
          votes: summary.votes,
          histogram: summary.histogram.map((votes, i) => ({ score: i + 1, votes })),
        },
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
