/**
 * Notifications: events → workflows → channels (email through the mail port, in-app inbox with
 * live WebSocket push), per-user preferences and quiet hours, digests, templates and campaigns.
 * See docs/modules/notifications.md.
 */
import type { Subscription } from '../../ports/bus.js';
import { MailError, type Mail } from '../../ports/mail.js';
import { consume } from '../../platform/consumer.js';
import type { ModuleDefinition } from '../../platform/module.js';
import { createWindowLimiter } from '../../platform/rate-limit.js';
import { createDeliveryRepository } from './delivery.repository.js';
import { createDeliveryWorker } from './delivery.worker.js';
import { createFilmProjection, FILMS_WORKER } from './film.projection.js';
import { createLiveHub } from './live.hub.js';
import { createNotificationsService, type NotificationsService } from './notifications.service.js';
import { notificationsRoutes } from './notifications.routes.js';
import { createTriggerHandler, TRIGGER_GROUPS, type TriggerType } from './notification.triggers.js';
import { createRecipientRepository } from './recipient.repository.js';
import { createSigner, loadSigningKey } from './signing.js';

export type { NotificationsService } from './notifications.service.js';
export { CATEGORIES, CHANNELS } from './notify.model.js';

const noMail: Mail = {
  engine: 'file',
  send: async () => {
    throw new MailError('no mail engine in this process', false);
  },
  ping: async () => undefined,
  close: async () => undefined,
};

/** The notifications module's public service: the service, and delivery of what is due now. */
export type NotificationsModuleService = NotificationsService & { deliverNow(): Promise<number> };

declare module '../../platform/module.js' {
  interface ServiceMap {
    notifications: NotificationsModuleService;
  }
}

export const notificationsModule: ModuleDefinition = {
  name: 'notifications',
  needs: ['mail'],
  migrations: [{ module: 'notify', schema: 'notify', dir: new URL('./migrations/notify/', import.meta.url) }],
  async create(ctx) {
    const { sql, clock, config, logger } = ctx;
    const mail = ctx.extras.mail ?? noMail;
    const signer = createSigner(loadSigningKey(config.notifySigningKey, config.dataDir));
    const deliveries = createDeliveryRepository(sql);
    const recipients = createRecipientRepository(sql);
    const outcomes = ctx.metrics.counter(
      'kino_notifications_deliveries_total',
      'Delivery attempts by channel and outcome (sent, skipped, dead, retry, deferred).',
      ['channel', 'outcome'] as const,
    );
    const hub = createLiveHub({
      recipients,
      logger,
      verifier: ctx.tokens,
      pollMs: config.notifyLivePollMs,
      maxPerUser: config.notifyWsPerUser,
    });
    const worker = createDeliveryWorker({
      sql,
      mail,
      clock,
      logger: logger.child({ worker: 'notifications' }),
      deliveries,
      recipients,
      signer,
      live: hub,
      baseUrl: config.baseUrl,
      maxAttempts: config.notifyMaxAttempts,
      pollMs: config.notifyPollMs,
      onOutcome: (channel, outcome) => outcomes.inc({ channel, outcome }),
    });
    ctx.metrics.gauge('kino_notifications_sockets', 'Open notification WebSockets in this process.', () =>
      hub.connections(),
    );
    ctx.metrics.gauge('kino_notifications_due', 'Notifications due now and not yet sent.', () =>
      deliveries.dueCount(clock.now()),
    );
    const kick = () => setTimeout(() => worker.kick(), 5).unref();
    const service: NotificationsService = createNotificationsService({
      sql,
      clock,
      deliveries,
      recipients,
      signer,
      baseUrl: config.baseUrl,
      kick,
    });
    const handle = createTriggerHandler({
      clock,
      baseUrl: config.baseUrl,
      resetUrl: config.notifyResetUrl ?? `${config.baseUrl}/account/reset-password`,
      onSessionsRevoked: (ids) => hub.closeSessions(ids),
    });
    let subscriptions: Subscription[] = [];

    return {
      service: Object.assign(service, {
        deliverNow: () => worker.drain(),
      }) satisfies NotificationsModuleService,
      routes: notificationsRoutes({
        service,
        hub,
        verifier: ctx.tokens,
        logger,
        limiter: createWindowLimiter({ cache: ctx.cache, clock, logger, enabled: config.rateLimit }),
        limits: { perIp: config.notifyWsPerIp, upgradesPerMinute: config.notifyWsUpgradesPerMinute },
      }),
      workers: {
        notifications: {
          async start() {
            for (const { group, pattern } of TRIGGER_GROUPS)
              subscriptions.push(
                await consume({
                  bus: ctx.bus,
                  sql,
                  logger,
                  group,
                  types: [pattern as TriggerType],
                  handle: async (event, tx) => {
                    await handle(event, tx);
                    kick();
                  },
                }),
              );
            worker.start();
          },
          async stop() {
            await Promise.all(subscriptions.map((sub) => sub.stop()));
            subscriptions = [];
            await worker.stop();
          },
        },
        [FILMS_WORKER]: createFilmProjection({
          bus: ctx.bus,
          sql,
          logger: logger.child({ worker: FILMS_WORKER }),
          clock,
        }),
      },
      async close() {
        hub.close();
      },
    };
  },
};
