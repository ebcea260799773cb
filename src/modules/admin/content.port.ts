/**
 * The admin module calls the catalog module's content service (same process) for every read and
 * change; it never reads the content tables itself, so every edit gets the service's rules,
 * optimistic concurrency, change log and outbox events.
 */
export type {
  AccessLevel,
  Actor,
  CatalogModuleService,
  ChangeLogEntry,
  ContentEntity as AuditEntity,
  ContentService,
  FilmListQuery,
  FilmRecord,
  GenreRecord,
  PersonRecord,
} from '../catalog/index.js';
/** What the content service answers, by code: an unknown film, genre or person, a stale version. */
export { catalogErrors } from '../catalog/index.js';
