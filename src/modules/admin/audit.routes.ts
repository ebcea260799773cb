/** The change log: who changed what and when, per object and across the catalogue. */
import { Type } from '@sinclair/typebox';
import type { HttpApp } from '../../platform/http/app.js';
import { AuditQuery, ChangeLogEntry, IdParams } from './admin.schemas.js';
import { defined, editor, editorErrors } from './admin.http.js';
import type { AuditEntity, ContentService } from './content.port.js';
import { bearerSecurity } from '../../platform/http/openapi.js';

const tags = ['admin'];
const security = bearerSecurity;

const ENTITY_PATHS: readonly [string, AuditEntity][] = [
  ['films', 'film'],
  ['genres', 'genre'],
  ['persons', 'person'],
];

export function auditRoutes(app: HttpApp, content: () => ContentService): void {
  app.get(
    '/api/v1/admin/audit',
    {
      schema: {
        'x-errors': editorErrors,
        tags,
        security,
        summary: 'Change log, newest first (total in X-Total-Count)',
        querystring: AuditQuery,
        response: { 200: Type.Array(ChangeLogEntry) },
      },
    },
    async (request, reply) => {
      editor(request);
      const page = await content().audit(defined(request.query));
      reply.header('x-total-count', String(page.total));
      return page.items;
    },
  );

  for (const [segment, entity] of ENTITY_PATHS) {
    app.get(
      `/api/v1/admin/${segment}/:id/history`,
      {
        schema: {
          'x-errors': editorErrors,
          tags,
          security,
          summary: `Every recorded change of one ${entity}`,
          params: IdParams,
          response: { 200: Type.Array(ChangeLogEntry) },
        },
      },
      async (request) => {
        editor(request);
        return content().history(entity, request.params.id);
      },
    );
  }
}
