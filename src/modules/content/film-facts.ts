/**
 * The film facts contract: what the content module tells other modules about every film, as
 * events (`content.film.*`, `content.films.bulk_changed`) and as a source their projections
 * backfill from. The source reads the content tables through content's own repository, so it
 * works wherever the database is reachable, also in a process that runs neither the content nor
 * the catalog module (`kino serve files`): see docs/adr/0005-film-facts-projections.md.
 */
import type { Sql } from '../../ports/sql.js';
import type { FactSource } from '../../platform/projection.js';
import type { FilmFacts } from './content.events.js';
import { createContentRepository } from './content.repository.js';

export function filmFactSource(sql: Sql): FactSource<FilmFacts> {
  const content = createContentRepository(sql);
  return {
    mark: () => content.filmFactsMark(),
    page: (after, limit) => content.filmFactsPage(after, limit),
  };
}
