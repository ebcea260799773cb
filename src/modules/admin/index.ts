/**
 * The admin module: the editors' JSON API over the content module's service, and the
 * admin panel (a single-page app) at /admin. It owns no tables: every change goes through the
 * content service, which checks versions, writes the audit log and emits events in one
 * transaction.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HttpApp } from '../../platform/http/app.js';
import type { ModuleDefinition } from '../../platform/module.js';
import { adminErrors } from './admin.errors.js';
import { auditRoutes } from './audit.routes.js';
import type { ContentService } from './content.port.js';
import { filmRoutes } from './films.routes.js';
import { genreRoutes, personRoutes } from './taxonomy.routes.js';
import { webRoutes } from './web.routes.js';

export type { ContentService } from './content.port.js';

export interface AdminRoutesOptions {
  /** The content service, looked up per request so the module may be created before content. */
  content: () => ContentService;
  /** Folder with the built admin panel (default web/dist). */
  webRoot?: string;
}

/** The admin API and panel as one Fastify plugin. */
export function adminRoutes(options: AdminRoutesOptions): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify as unknown as HttpApp;
    filmRoutes(app, options.content);
    genreRoutes(app, options.content);
    personRoutes(app, options.content);
    auditRoutes(app, options.content);
    await webRoutes(app, options.webRoot);
  };
}

export const adminModule: ModuleDefinition = {
  name: 'admin',
  migrations: [],
  uses: ['content', 'auth'],
  async create(ctx) {
    const content = () => {
      const service = ctx.services.get('content');
      if (!service) throw adminErrors.CATALOG_NOT_IN_PROCESS();
      return service;
    };
    if (!ctx.services.get('content'))
      ctx.logger.warn('the content module is not in this process: the admin API will answer 503');
    return { routes: adminRoutes({ content }) };
  },
};
