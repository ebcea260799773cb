/**
 * Workflows: which events become which messages. Each handler runs inside the consumer's
 * transaction (once per event id) and only writes rows: projections, digest items and
 * deliveries keyed by (event, user, channel). The delivery worker does the sending. Film events
 * reach the film projection (film.projection.ts), which starts the film-available workflow below.
 */
import type { SqlExecutor } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import type { EventMap, EventType, ReceivedEvent } from '../../platform/events.js';
import { createDeliveryRepository } from './delivery.repository.js';
import { createRecipientRepository } from './recipient.repository.js';

export const TRIGGER_TYPES = [
  'auth.user.registered',
  'auth.email_verification.requested',
  'auth.password_reset.requested',
  'auth.email.changed',
  'auth.email.restored',
  'auth.user.roles_changed',
  'auth.user.deleted',
  'auth.session.revoked',
  'ugc.review.liked',
  'ugc.bookmark.added',
  'ugc.bookmark.removed',
  'ugc.rating.set',
] as const satisfies readonly EventType[];
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/**
 * Consumer groups, each with one subject filter (NATS servers before 2.10 take only one) and
 * grouped so that events whose order matters share a group (bookmark added/removed, everything
 * about one user).
 */
export const TRIGGER_GROUPS: readonly { group: string; pattern: string }[] = [
  { group: 'notifications.auth', pattern: 'auth.>' },
  { group: 'notifications.review-likes', pattern: 'ugc.review.liked' },
  { group: 'notifications.bookmarks', pattern: 'ugc.bookmark.>' },
  { group: 'notifications.ratings', pattern: 'ugc.rating.set' },
];

export interface TriggerDeps {
  readonly clock: Clock;
  readonly baseUrl: string;
  readonly resetUrl: string;
  /** Closes live connections of ended sessions in this process. */
  readonly onSessionsRevoked: (sessionIds: readonly string[]) => void;
}

/** UTC hour bucket of `at`: `2026-01-01T10`. */
const hourBucket = (at: Date) => at.toISOString().slice(0, 13);

export function createTriggerHandler(deps: TriggerDeps) {
  const { clock } = deps;

  return async function handle(event: ReceivedEvent<TriggerType>, tx: SqlExecutor): Promise<void> {
    if (!(TRIGGER_TYPES as readonly string[]).includes(event.type)) return;
    const deliveries = createDeliveryRepository(tx);
    const recipients = createRecipientRepository(tx);
    const now = clock.now();
    const one = (userId: string, channel: string, category: string, template: string, data = {}) =>
      deliveries.enqueue([{ source: event.id, userId, channel, category, template, data, at: now }]);
    /** A security mail with a single-use link, to `to`: an address the event names, not the one on record. */
    const linkMail = (
      p: { userId: string; expiresAt: string },
      template: string,
      link: string,
      to: string,
      extra: Record<string, unknown> = {},
    ) => one(p.userId, 'email', 'security', template, { link, expires_at: p.expiresAt, ...extra, to });

    switch (event.type) {
      case 'auth.user.registered': {
        const p = (event as ReceivedEvent<'auth.user.registered'>).payload;
        await recipients.upsertRegistered(p);
        await one(p.userId, 'email', 'account', 'welcome');
        await one(p.userId, 'in_app', 'account', 'welcome');
        return;
      }
      case 'auth.email_verification.requested': {
        const p = (event as ReceivedEvent<'auth.email_verification.requested'>).payload;
        await recipients.touch({ userId: p.userId, login: p.login, email: p.email, locale: p.locale });
        // A page that confirms by a POST from its button: following the link spends nothing.
        const link = `${deps.baseUrl}/account/verify-email?token=${encodeURIComponent(p.token)}`;
        // To the address being verified, which may differ from the one on record.
        await linkMail(p, 'email_verification', link, p.email);
        return;
      }
      case 'auth.password_reset.requested': {
        const p = (event as ReceivedEvent<'auth.password_reset.requested'>).payload;
        await recipients.touch({ userId: p.userId, login: p.login, email: p.email, locale: p.locale });
        const sep = deps.resetUrl.includes('?') ? '&' : '?';
        const link = `${deps.resetUrl}${sep}token=${encodeURIComponent(p.token)}`;
        // To the address the link was issued for (a verified one), not whatever is on record.
        await linkMail(p, 'password_reset', link, p.email);
        return;
      }
      case 'auth.email.changed': {
        const p = (event as ReceivedEvent<'auth.email.changed'>).payload;
        await recipients.touch({ userId: p.userId, login: p.login, email: p.newEmail, locale: p.locale });
        const link = `${deps.baseUrl}/account/email-change?token=${encodeURIComponent(p.token)}`;
        // To the previous address: its owner learns of the change and can undo it.
        await linkMail(p, 'email_changed', link, p.oldEmail, { new_email: p.newEmail });
        return;
      }
      case 'auth.email.restored': {
        const p = (event as ReceivedEvent<'auth.email.restored'>).payload;
        await recipients.touch({ userId: p.userId, email: p.email });
        return;
      }
      case 'auth.user.roles_changed': {
        const p = (event as ReceivedEvent<'auth.user.roles_changed'>).payload;
        await recipients.setRoles(p.userId, p.roles);
        return;
      }
      case 'auth.user.deleted':
        await recipients.forget((event as ReceivedEvent<'auth.user.deleted'>).payload.userId);
        return;
      case 'auth.session.revoked':
        deps.onSessionsRevoked((event as ReceivedEvent<'auth.session.revoked'>).payload.sessionIds);
        return;
      case 'ugc.review.liked': {
        const p = (event as ReceivedEvent<'ugc.review.liked'>).payload;
        if (p.authorId === p.likerId) return;
        await recipients.touch({ userId: p.authorId });
        const filmTitle = await recipients.filmTitle(p.filmId);
        const data = { review_id: p.reviewId, film_id: p.filmId, film_title: filmTitle };
        await one(p.authorId, 'in_app', 'social', 'review_liked', data);
        // One email per author per clock hour, sent when the hour is over.
        const bucket = hourBucket(now);
        const digest = `digest:review_likes:${bucket}`;
        await deliveries.addDigestItem(digest, p.authorId, data);
        const hourEnd = new Date(Date.parse(`${bucket}:00:00Z`) + 3_600_000);
        await deliveries.enqueue([
          {
            source: digest,
            userId: p.authorId,
            channel: 'email',
            category: 'social',
            template: 'review_likes_digest',
            data: {},
            at: hourEnd,
          },
        ]);
        return;
      }
      case 'ugc.bookmark.added':
      case 'ugc.bookmark.removed': {
        const p = (event as ReceivedEvent<'ugc.bookmark.added'>).payload;
        await recipients.setBookmark(p.userId, p.filmId, event.type === 'ugc.bookmark.added');
        return;
      }
      case 'ugc.rating.set': {
        const p = (event as ReceivedEvent<'ugc.rating.set'>).payload;
        await recipients.setRating(p.userId, p.filmId, p.score);
        return;
      }
      default:
        // Other events under a subscribed prefix are not triggers.
        return;
    }
  };
}

/**
 * Film available: when a film became FREE (new, or its previous access was not FREE), every user
 * who bookmarked it or rated a film of one of its genres 8+ gets it in a digest at their next
 * 10:00 (delivery.repository.ts, enqueueFilmDigests).
 */
export async function queueFilmAvailable(
  { film, previous }: EventMap['content.film.upserted'],
  tx: SqlExecutor,
  now: Date,
): Promise<void> {
  if (film.access !== 'FREE' || previous?.access === 'FREE') return;
  await createDeliveryRepository(tx).enqueueFilmDigests(
    { id: film.id, title: film.title, genreIds: film.genre_ids },
    now,
  );
}
