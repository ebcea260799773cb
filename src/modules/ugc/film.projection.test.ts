/** ugc's film projection on a real database and bus: versions, deletes and bulk changes. */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../ports/bus.js';
import type { Sql } from '../../ports/sql.js';
import { createLogger } from '../../platform/logger.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../platform/migrations.js';
import type { Worker } from '../../platform/module.js';
import type { FilmSnapshot } from '../content/index.js';
import { createTestBus, createTestSql, eventually, type TestSql } from '../../../test/helpers/engines.js';
import { ugcModule } from './index.js';
import { createFilmProjection } from './film.projection.js';

const logger = createLogger('silent');

function snapshot(id: string, over: Partial<FilmSnapshot> = {}): FilmSnapshot {
  return {
    id,
    title: 'A film',
    description: null,
    creation_date: null,
    rating: 7,
    type: 'movie',
    access: 'FREE',
    genre_ids: [],
    person_ids: [],
    version: 1,
    modified: new Date().toISOString(),
    ...over,
  };
}

describe('ugc film projection', () => {
  let t: TestSql;
  let sql: Sql;
  let bus: Bus;
  let worker: Worker | undefined;

  const send = (type: string, key: string, payload: unknown) =>
    bus.publish([
      { id: randomUUID(), type, key, payload, occurredAt: new Date().toISOString(), headers: {} },
    ]);
  const film = async (id: string) =>
    (
      await sql.query<{ title: string; access: string; version: number; stale: boolean }>(
        'SELECT title, access, version, stale FROM ugc.film WHERE id = $1',
        [id],
      )
    )[0];

  beforeEach(async () => {
    t = await createTestSql();
    sql = t.sql;
    await migrate(sql, [PLATFORM_MIGRATIONS, ...ugcModule.migrations]);
    bus = await createTestBus();
    worker = createFilmProjection({ bus, sql, logger });
    await worker.start();
  });
  afterEach(async () => {
    await worker?.stop();
    await bus.close();
    await t.close();
  });

  it('applies newer versions, ignores older ones, and deletes', async () => {
    const id = randomUUID();
    await send('content.film.upserted', id, {
      film: snapshot(id, { version: 2, title: 'New' }),
      previous: null,
    });
    await send('content.film.upserted', id, {
      film: snapshot(id, { version: 1, title: 'Old' }),
      previous: null,
    });
    await send('content.genre.upserted', id, { genre: { id: randomUUID(), name: 'x', description: null } });
    await eventually(async () => (await film(id))?.title === 'New');
    await send('content.film.upserted', id, {
      film: snapshot(id, { version: 3, title: 'Newer', access: 'PAID' }),
      previous: null,
    });
    await eventually(async () => (await film(id))?.version === 3);
    expect(await film(id)).toMatchObject({ title: 'Newer', access: 'PAID' });
    await send('content.film.deleted', id, { filmId: id });
    await eventually(async () => (await film(id)) === undefined);
  });

  it('applies bulk changes from the facts they carry, keeping newer copies', async () => {
    const a = randomUUID();
    const b = randomUUID();
    for (const id of [a, b]) await send('content.film.upserted', id, { film: snapshot(id), previous: null });
    await eventually(async () => (await film(b)) !== undefined);
    await send('content.film.upserted', b, {
      film: snapshot(b, { version: 5, title: 'Edited' }),
      previous: null,
    });
    await eventually(async () => (await film(b))?.version === 5);
    const facts = (id: string, version: number) => ({
      id,
      title: 'Bulk',
      rating: 8,
      access: 'PAID' as const,
      genre_ids: [],
      version,
    });
    await send('content.films.bulk_changed', 'bulk', { filmIds: [a, b], films: [facts(a, 2), facts(b, 3)] });
    await eventually(async () => (await film(a))?.version === 2);
    expect(await film(a)).toMatchObject({ title: 'Bulk', access: 'PAID' });
    expect(await film(b)).toMatchObject({ title: 'Edited', access: 'FREE', version: 5 });
  });
});
