/**
 * The admin module calls the content module's service (same process) for every read and
 * change; it never reads the content tables itself, so every edit gets the service's rules,
 * optimistic concurrency, change log and outbox events.
 */
export type {
  AccessLevel,
  Actor,
  ChangeLogEntry,
  ContentEntity as AuditEntity,
  ContentService,
  FilmListQuery,
  FilmRecord,
  GenreRecord,
  PersonRecord,
} from '../content/index.js';
/** What the content service answers, by code: an unknown film, genre or person, a stale version. */
export { contentErrors } from '../content/index.js';
