/** HTTP and WebSocket routes of the notifications module (thin: validate, authorise, call, map). */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { HttpApp } from '../../platform/http/app.js';
import { Permission, requirePermission, requireUser, type TokenVerifier } from '../../platform/security.js';
import type { Logger } from '../../platform/logger.js';
import { notificationsErrors } from './notifications.errors.js';
import { platformErrors } from '../../platform/errors.js';
import type { WindowLimiter } from '../../platform/rate-limit.js';
import { CloseCode, toView, type LiveHub } from './live.hub.js';
import { openLiveSession } from './live.session.js';
import type { NotificationsService } from './notifications.service.js';
import type { DeliveryRow } from './notify.model.js';
import type { TemplateRow } from './delivery.repository.js';
import { escapeHtml } from './template.renderer.js';
import * as S from './notifications.schemas.js';

export interface RouteDeps {
  readonly service: NotificationsService;
  readonly hub: LiveHub;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  /** How long a socket may stay silent before sending its token. */
  readonly authTimeoutMs?: number;
  readonly limiter: WindowLimiter;
  /** NOTIFY_WS_PER_IP and NOTIFY_WS_UPGRADES_PER_MINUTE. */
  readonly limits: { readonly perIp: number; readonly upgradesPerMinute: number };
}

/** The token given with the upgrade request (query or Authorization header), if any. */
function tokenOf(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown>;
  if (typeof query.access_token === 'string' && query.access_token !== '') return query.access_token;
  if (request.principal.kind === 'user' && typeof request.headers.authorization === 'string')
    return request.headers.authorization.replace(/^Bearer\s+/i, '');
  return undefined;
}

/** Campaigns, templates and dead letters shape what every user receives: an admin power. */
export const ADMIN_PERMISSION = Permission.crudRole;

const templateView = (t: TemplateRow) => ({ ...t, updated_at: t.updated_at.toISOString() });
const deadView = (d: DeliveryRow) => ({
  id: d.id,
  user_id: d.user_id,
  channel: d.channel,
  category: d.category,
  template: d.template,
  source: d.source,
  campaign_id: d.campaign_id,
  attempts: d.attempts,
  last_error: d.last_error,
  created_at: d.created_at.toISOString(),
  failed_at: d.finished_at ? d.finished_at.toISOString() : null,
});

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

export function notificationsRoutes(deps: RouteDeps): FastifyPluginAsync {
  const { service, hub, limits } = deps;
  const upgradeBudget = { bucket: 'notify:ws', limit: limits.upgradesPerMinute, windowSeconds: 60 };
  // Open sockets per client address in this process.
  const perIp = new Map<string, number>();
  return async (instance) => {
    const app = instance as unknown as HttpApp;
    await app.register(websocket, { options: { maxPayload: 8 * 1024 } });
    // RFC 8058 one-click unsubscribe posts a form body.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const tags = ['notifications'];
    const admin = ['notifications (admin)'];

    app.get(
      '/api/v1/notifications',
      {
        schema: {
          'x-errors': [platformErrors.AUTHENTICATION_REQUIRED],
          tags,
          querystring: S.InboxQuery,
          response: { 200: { type: 'array', items: S.Notification } },
        },
      },
      async (request, reply) => {
        requireUser(request.principal);
        const { rows, total } = await service.list(request.principal.userId, request.query);
        reply.header('x-total-count', String(total));
        return rows.map(toView);
      },
    );

    app.post(
      '/api/v1/notifications/:id/read',
      {
        schema: {
          'x-errors': [platformErrors.AUTHENTICATION_REQUIRED, notificationsErrors.NOTIFICATION_NOT_FOUND],
          tags,
          params: S.IdParams,
        },
      },
      async (request, reply) => {
        requireUser(request.principal);
        await service.markRead(request.principal.userId, request.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      '/api/v1/notifications/read-all',
      { schema: { 'x-errors': [platformErrors.AUTHENTICATION_REQUIRED], tags } },
      async (request, reply) => {
        requireUser(request.principal);
        await service.markAllRead(request.principal.userId);
        return reply.code(204).send();
      },
    );

    app.get(
      '/api/v1/notifications/preferences',
      {
        schema: {
          'x-errors': [platformErrors.AUTHENTICATION_REQUIRED],
          tags,
          response: { 200: S.PreferencesBody },
        },
      },
      async (request) => {
        requireUser(request.principal);
        return service.preferences(request.principal.userId);
      },
    );

    app.put(
      '/api/v1/notifications/preferences',
      {
        schema: {
          'x-errors': [
            platformErrors.AUTHENTICATION_REQUIRED,
            notificationsErrors.TIME_ZONE_UNKNOWN,
            notificationsErrors.CATEGORY_UNKNOWN,
            notificationsErrors.CATEGORY_REQUIRED,
          ],
          tags,
          body: S.PreferencesPatch,
          response: { 200: S.PreferencesBody },
        },
      },
      async (request) => {
        requireUser(request.principal);
        return service.updatePreferences(request.principal.userId, request.principal.login, request.body);
      },
    );

    // A mail scanner may open links: GET only shows a confirmation form, POST unsubscribes.
    app.get(
      '/api/v1/notifications/unsubscribe',
      { schema: { tags, querystring: S.UnsubscribeQuery } },
      async (request, reply) => {
        const action = `/api/v1/notifications/unsubscribe?token=${encodeURIComponent(request.query.token)}`;
        return reply
          .type('text/html; charset=utf-8')
          .send(
            page(
              'Unsubscribe',
              `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Stop these emails</button></form>`,
            ),
          );
      },
    );

    app.post(
      '/api/v1/notifications/unsubscribe',
      {
        schema: {
          'x-errors': [notificationsErrors.UNSUBSCRIBE_TOKEN_INVALID],
          tags,
          querystring: S.UnsubscribeQuery,
        },
      },
      async (request, reply) => {
        const { category } = await service.unsubscribe(request.query.token);
        const what = category === 'all' ? 'optional emails' : `“${category}” emails`;
        return reply
          .type('text/html; charset=utf-8')
          .send(page('Unsubscribed', `<p>You will no longer receive ${escapeHtml(what)}.</p>`));
      },
    );

    app.get(
      '/api/v1/notifications/ws',
      {
        websocket: true,
        schema: { tags, hide: true },
        // The query is parsed already; keep the token out of the request log line.
        onRequest: (request, _reply, done) => {
          if (request.raw.url?.includes('access_token='))
            request.raw.url = request.raw.url.replace(/([?&]access_token=)[^&]*/g, '$1[redacted]');
          done();
        },
        // Refused before the upgrade (plain HTTP 429): too many attempts, or sockets, from this address.
        preHandler: async (request) => {
          await deps.limiter.hit(upgradeBudget, request.ip);
          if ((perIp.get(request.ip) ?? 0) >= limits.perIp)
            throw notificationsErrors.TOO_MANY_SOCKETS({ retryAfterSeconds: 60 });
        },
      },
      (socket, request) => {
        const ip = request.ip;
        const open = (perIp.get(ip) ?? 0) + 1;
        perIp.set(ip, open);
        const session = openLiveSession(
          {
            hub,
            verify: (token) => deps.verifier.verify(token),
            unread: (userId) => service.unreadCount(userId),
            logger: deps.logger,
            authTimeoutMs: deps.authTimeoutMs ?? 10_000,
          },
          socket,
          open > limits.perIp ? undefined : tokenOf(request),
        );
        socket.on('close', () => {
          const left = (perIp.get(ip) ?? 1) - 1;
          if (left > 0) perIp.set(ip, left);
          else perIp.delete(ip);
          session.closed();
        });
        // Checked before the upgrade too; this catches upgrades that raced past that check.
        if (open > limits.perIp) {
          socket.close(CloseCode.tooMany, 'too many sockets from this address');
          return;
        }
        socket.on('message', (raw: Buffer) => session.message(raw.toString()));
      },
    );

    // Admin API.
    const adminOnly = (request: { principal: Parameters<typeof requirePermission>[0] }) =>
      requirePermission(request.principal, ADMIN_PERMISSION);
    /** What every admin route may answer besides its own codes (see `adminOnly`). */
    const adminErrors = [platformErrors.AUTHENTICATION_REQUIRED, platformErrors.PERMISSION_DENIED];

    app.get(
      '/api/v1/admin/notifications/templates',
      {
        schema: {
          'x-errors': adminErrors,
          tags: admin,
          response: { 200: { type: 'array', items: S.Template } },
        },
      },
      async (request) => {
        adminOnly(request);
        return (await service.templates()).map(templateView);
      },
    );
    app.get(
      '/api/v1/admin/notifications/templates/:key/:locale',
      {
        schema: {
          'x-errors': [...adminErrors, notificationsErrors.TEMPLATE_NOT_FOUND],
          tags: admin,
          params: S.TemplateKeyParams,
          response: { 200: S.Template },
        },
      },
      async (request) => {
        adminOnly(request);
        return templateView(await service.template(request.params.key, request.params.locale));
      },
    );
    app.put(
      '/api/v1/admin/notifications/templates/:key/:locale',
      {
        schema: {
          'x-errors': [
            ...adminErrors,
            notificationsErrors.CATEGORY_UNKNOWN,
            notificationsErrors.TEMPLATE_INVALID,
          ],
          tags: admin,
          params: S.TemplateKeyParams,
          body: S.TemplateBody,
          response: { 200: S.Template, 201: S.Template },
        },
      },
      async (request, reply) => {
        adminOnly(request);
        const { row, created } = await service.putTemplate({ ...request.params, ...request.body });
        return reply.code(created ? 201 : 200).send(templateView(row));
      },
    );
    app.delete(
      '/api/v1/admin/notifications/templates/:key/:locale',
      {
        schema: {
          'x-errors': [
            ...adminErrors,
            notificationsErrors.TEMPLATE_NOT_FOUND,
            notificationsErrors.TEMPLATE_BUILTIN,
          ],
          tags: admin,
          params: S.TemplateKeyParams,
        },
      },
      async (request, reply) => {
        adminOnly(request);
        await service.deleteTemplate(request.params.key, request.params.locale);
        return reply.code(204).send();
      },
    );
    app.post(
      '/api/v1/admin/notifications/templates/:key/:locale/preview',
      {
        schema: {
          'x-errors': [
            ...adminErrors,
            notificationsErrors.TEMPLATE_NOT_FOUND,
            notificationsErrors.TEMPLATE_INVALID,
            notificationsErrors.TEMPLATE_RENDER_FAILED,
          ],
          tags: admin,
          params: S.TemplateKeyParams,
          body: S.PreviewBody,
          response: { 200: S.Preview },
        },
      },
      async (request) => {
        adminOnly(request);
        return service.preview(request.params.key, request.params.locale, request.body ?? {});
      },
    );

    app.post(
      '/api/v1/admin/notifications/campaigns',
      {
        schema: {
          'x-errors': [
            ...adminErrors,
            notificationsErrors.TEMPLATE_NOT_FOUND,
            notificationsErrors.CATEGORY_NOT_ALLOWED,
            notificationsErrors.AUDIENCE_INVALID,
            notificationsErrors.SEND_AT_INVALID,
          ],
          tags: admin,
          body: S.CampaignBody,
          response: { 201: S.Campaign },
        },
      },
      async (request, reply) => {
        adminOnly(request);
        const created = await service.createCampaign(request.body, request.principal.userId);
        return reply
          .code(201)
          .header('location', `/api/v1/admin/notifications/campaigns/${created.id}`)
          .send(created);
      },
    );
    app.get(
      '/api/v1/admin/notifications/campaigns',
      {
        schema: {
          'x-errors': adminErrors,
          tags: admin,
          querystring: S.PageQuery,
          response: { 200: { type: 'array', items: S.Campaign } },
        },
      },
      async (request, reply) => {
        adminOnly(request);
        const { rows, total } = await service.campaigns(request.query);
        reply.header('x-total-count', String(total));
        return rows;
      },
    );
    app.get(
      '/api/v1/admin/notifications/campaigns/:id',
      {
        schema: {
          'x-errors': [...adminErrors, notificationsErrors.CAMPAIGN_NOT_FOUND],
          tags: admin,
          params: S.IdParams,
          response: { 200: S.Campaign },
        },
      },
      async (request) => {
        adminOnly(request);
        return service.campaign(request.params.id);
      },
    );
    app.post(
      '/api/v1/admin/notifications/campaigns/:id/cancel',
      {
        schema: {
          'x-errors': [
            ...adminErrors,
            notificationsErrors.CAMPAIGN_NOT_FOUND,
            notificationsErrors.CAMPAIGN_NOT_CANCELLABLE,
          ],
          tags: admin,
          params: S.IdParams,
          response: { 200: S.Campaign },
        },
      },
      async (request) => {
        adminOnly(request);
        return service.cancelCampaign(request.params.id);
      },
    );

    app.get(
      '/api/v1/admin/notifications/dead-letters',
      {
        schema: {
          'x-errors': adminErrors,
          tags: admin,
          querystring: S.PageQuery,
          response: { 200: { type: 'array', items: S.DeadLetter } },
        },
      },
      async (request, reply) => {
        adminOnly(request);
        const { rows, total } = await service.deadLetters(request.query);
        reply.header('x-total-count', String(total));
        return rows.map(deadView);
      },
    );
    app.post(
      '/api/v1/admin/notifications/dead-letters/:id/retry',
      {
        schema: {
          'x-errors': [...adminErrors, notificationsErrors.DEAD_LETTER_NOT_FOUND],
          tags: admin,
          params: S.IdParams,
        },
      },
      async (request, reply) => {
        adminOnly(request);
        await service.retryDeadLetter(request.params.id);
        return reply.code(202).send();
      },
    );
  };
}
