/**
 * Film available → daily digest at 10:00 in each interested user's time zone: users who
 * bookmarked the film or rated a film of its genres 8+; not for films that were already free.
 * The module's copy of films (notify.film) is a projection: it follows every film event, keeps the
 * newest version, and is backfilled from the catalogue's film facts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilmSnapshot } from '../../src/modules/content/index.js';
import { FILMS_WORKER } from '../../src/modules/notifications/film.projection.js';
import { isProjection } from '../../src/platform/projection.js';
import { createTestKino } from '../helpers/kino.js';
import { registered, startNotifyKino, type NotifyKino } from './notifications.fixture.js';

const film = (over: Partial<FilmSnapshot> & { id: string }): FilmSnapshot => ({
  title: 'A film',
  description: null,
  creation_date: null,
  rating: null,
  type: 'movie',
  access: 'PAID',
  genre_ids: [],
  person_ids: [],
  version: 1,
  modified: '2026-03-01T00:00:00Z',
  ...over,
});

describe('notifications: films becoming available', () => {
  let n: NotifyKino;
  beforeAll(async () => {
    n = await startNotifyKino({ start: '2026-03-02T09:15:00Z' });
  });
  afterAll(async () => {
    await n?.close();
  });

  it('sends one daily digest at 10:00 local time to bookmarkers and fans of the genre', async () => {
    const drama = randomUUID();
    const comedy = randomUUID();
    const rated = randomUUID();
    const target = randomUUID();
    const second = randomUUID();
    const bookmarker = registered(); // Moscow
    const fan = registered(); // New York
    const lukewarm = registered();
    const other = registered();
    for (const u of [bookmarker, fan, lukewarm, other]) await n.emit('auth.user.registered', u.userId, u);
    await n.service.updatePreferences(bookmarker.userId, null, { time_zone: 'Europe/Moscow' });
    await n.service.updatePreferences(fan.userId, null, { time_zone: 'America/New_York' });
    await n.emit('content.film.upserted', rated, {
      film: film({ id: rated, title: 'Rated', access: 'FREE', genre_ids: [drama] }),
      previous: null,
    });
    await n.emit('content.film.upserted', target, {
      film: film({ id: target, title: 'Stalker', access: 'PAID', genre_ids: [drama, comedy] }),
      previous: null,
    });
    await n.emit('ugc.bookmark.added', bookmarker.userId, { userId: bookmarker.userId, filmId: target });
    await n.emit('ugc.bookmark.added', other.userId, { userId: other.userId, filmId: target });
    await n.emit('ugc.bookmark.removed', other.userId, { userId: other.userId, filmId: target });
    await n.emit('ugc.rating.set', fan.userId, {
      userId: fan.userId,
      filmId: rated,
      score: 9,
      previous: null,
    });
    await n.emit('ugc.rating.set', lukewarm.userId, {
      userId: lukewarm.userId,
      filmId: rated,
      score: 5,
      previous: null,
    });

    // 09:15 UTC = 12:15 in Moscow (10:00 has passed: tomorrow), 04:15 in New York (today).
    await n.emit('content.film.upserted', target, {
      film: film({ id: target, title: 'Stalker', access: 'FREE', genre_ids: [drama, comedy], version: 2 }),
      previous: { access: 'PAID', title: 'Stalker' },
    });
    // A second film the same day joins the same digest.
    await n.emit('content.film.upserted', second, {
      film: film({ id: second, title: 'Mirror', access: 'FREE', genre_ids: [drama] }),
      previous: null,
    });
    // Changing a film that was already free sends nothing new.
    await n.emit('content.film.upserted', rated, {
      film: film({ id: rated, title: 'Rated (restored)', access: 'FREE', genre_ids: [drama], version: 2 }),
      previous: { access: 'FREE', title: 'Rated' },
    });

    const due = await n.kino.kernel.engines.sql.query<{
      user_id: string;
      channel: string;
      next_attempt_at: Date;
    }>(
      `SELECT user_id, channel, next_attempt_at FROM notify.delivery WHERE template = 'films_digest' ORDER BY user_id, channel`,
    );
    const at = (userId: string) =>
      due.filter((d) => d.user_id === userId).map((d) => `${d.channel}@${d.next_attempt_at.toISOString()}`);
    expect(at(bookmarker.userId)).toEqual([
      'email@2026-03-03T07:00:00.000Z',
      'in_app@2026-03-03T07:00:00.000Z',
    ]);
    expect(at(fan.userId)).toEqual(['email@2026-03-02T15:00:00.000Z', 'in_app@2026-03-02T15:00:00.000Z']);
    expect(at(lukewarm.userId)).toEqual([]);
    expect(at(other.userId)).toEqual([]);

    const inbox = async (userId: string) =>
      n.kino.kernel.engines.sql.query<{ title: string; body: string }>(
        `SELECT title, body FROM notify.inbox WHERE user_id = $1 AND category = 'films'`,
        [userId],
      );
    n.clock.set('2026-03-02T14:59:00Z');
    await n.settle();
    expect(await inbox(fan.userId)).toHaveLength(0);
    n.clock.set('2026-03-02T15:00:00Z');
    await n.settle();
    const [fanDigest] = await inbox(fan.userId);
    expect(fanDigest!.title).toBe('2 films you may like are now free');
    expect(fanDigest!.body).toContain('Stalker');
    expect(fanDigest!.body).toContain('Mirror');
    expect(await inbox(bookmarker.userId)).toHaveLength(0);
    n.clock.set('2026-03-03T07:00:00Z');
    await n.settle();
    const [bmDigest] = await inbox(bookmarker.userId);
    // The bookmarker is not a fan of dramas: only the bookmarked film.
    expect(bmDigest!.title).toBe('Stalker is now free to watch');
  });

  it('keeps its copy of films from every film event: newer versions win, bulk changes apply, deletes remove', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const copy = async (id: string) =>
      (
        await n.kino.kernel.engines.sql.query<{ title: string; access: string; version: number }>(
          'SELECT title, access, version FROM notify.film WHERE id = $1',
          [id],
        )
      )[0];
    await n.emit('content.film.upserted', a, {
      film: film({ id: a, title: 'New', version: 2 }),
      previous: null,
    });
    await n.emit('content.film.upserted', a, {
      film: film({ id: a, title: 'Old', version: 1 }),
      previous: null,
    });
    expect(await copy(a)).toEqual({ title: 'New', access: 'PAID', version: 2 });
    await n.emit('content.film.upserted', b, { film: film({ id: b, title: 'B' }), previous: null });

    const facts = (id: string, version: number) => ({
      id,
      title: 'Bulk',
      rating: null,
      access: 'FREE' as const,
      genre_ids: [],
      version,
    });
    await n.emit('content.films.bulk_changed', 'bulk', {
      filmIds: [a, b],
      films: [facts(a, 2), facts(b, 3)],
    });
    expect(await copy(a)).toEqual({ title: 'New', access: 'PAID', version: 2 });
    expect(await copy(b)).toEqual({ title: 'Bulk', access: 'FREE', version: 3 });

    await n.emit('content.film.deleted', b, { filmId: b });
    expect(await copy(b)).toBeUndefined();
  });
});

describe('notifications: its copy of films backfilled from the catalogue', () => {
  it('fills notify.film with films it never heard of as events', async () => {
    // No workers: the content service's events stay in the outbox, so only the backfill can tell.
    const kino = await createTestKino({ modules: ['catalog', 'notifications'], workers: false });
    try {
      const content = kino.kernel.services.require('content');
      const created = await content.createFilm(
        { title: 'Seeded', description: null, rating: 7, access: 'FREE', genre_ids: [], persons: [] },
        { id: null, login: 'test' },
      );
      const projection = kino.kernel.instances.get('notifications')?.workers?.[FILMS_WORKER];
      if (!projection || !isProjection(projection)) throw new Error(`${FILMS_WORKER} is not a projection`);
      expect(await projection.backfill()).toMatchObject({ rows: 1, skipped: false });
      expect(
        await kino.kernel.engines.sql.query('SELECT id, title, access, version FROM notify.film'),
      ).toEqual([{ id: created.id, title: 'Seeded', access: 'FREE', version: created.version }]);
    } finally {
      await kino.close();
    }
  });
});
