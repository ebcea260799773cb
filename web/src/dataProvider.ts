/**
 * Maps react-admin's data calls onto the Kinoservice API:
 * films/genres/persons/audit → /api/v1/admin/…, users → /api/v1/users, roles → /api/v1/roles.
 * Lists are JSON arrays with the total in X-Total-Count; edits send the version they started
 * from, so a concurrent change answers 409 instead of being overwritten.
 */
import type { DataProvider, GetListParams, Identifier } from 'react-admin';
import { SORT_COLUMNS } from '../../src/modules/content/content.sorts';
import { api } from './http';

const CONTENT = new Set(['films', 'genres', 'persons']);
/** The columns the API sorts each list by: the server's own list, not a copy. */
const SORTS: Record<string, readonly string[]> = SORT_COLUMNS;

export type Entity = 'film' | 'genre' | 'person';

export interface ChangeLogEntry {
  id: number;
  entity: string;
  entity_id: string;
  action: 'create' | 'update' | 'delete';
  actor_id: string | null;
  actor_login: string | null;
  at: string;
  diff: Record<string, { before: unknown; after: unknown }>;
}

export interface Session {
  id: string;
  user_agent?: string | null;
  ip?: string | null;
  created_at?: string;
  last_used_at?: string;
  [key: string]: unknown;
}

function base(resource: string): string {
  if (CONTENT.has(resource)) return `/api/v1/admin/${resource}`;
  if (resource === 'audit') return '/api/v1/admin/audit';
  if (resource === 'users') return '/api/v1/users';
  if (resource === 'roles') return '/api/v1/roles';
  throw new Error(`Unknown resource ${resource}`);
}

function qs(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) search.append(key, String(v));
    else search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A film as the forms edit it: genre ids and person links next to the display lists. */
// Records are whatever the API sends; react-admin's generic record type is satisfied by `any`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Rec = any;

function fromApi(resource: string, record: Record<string, unknown>): Rec {
  if (resource === 'films') {
    const genres = (record.genres as { id: string }[] | undefined) ?? [];
    const persons = (record.persons as { id: string; role: string }[] | undefined) ?? [];
    return {
      ...record,
      genre_ids: genres.map((g) => g.id),
      person_links: persons.map((p) => ({ person_id: p.id, role: p.role })),
    };
  }
  if (resource === 'roles') return { ...record, id: record.code as string };
  return record;
}

function toApi(resource: string, data: Record<string, unknown>): Record<string, unknown> {
  if (resource === 'films') {
    const links = (data.person_links as { person_id?: string; role?: string }[] | undefined) ?? undefined;
    const body: Record<string, unknown> = {
      title: data.title,
      description: data.description === '' ? null : (data.description ?? null),
      creation_date: data.creation_date ? String(data.creation_date).slice(0, 10) : null,
      rating: data.rating === '' || data.rating === undefined ? null : data.rating,
      type: data.type,
      access: data.access,
      genre_ids: data.genre_ids ?? [],
    };
    if (links) {
      const seen = new Set<string>();
      body.persons = links
        .filter((l) => l.person_id && l.role)
        .filter((l) => {
          const key = `${l.person_id}:${l.role}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
    }
    return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  }
  if (resource === 'genres')
    return { name: data.name, description: data.description === '' ? null : (data.description ?? null) };
  if (resource === 'persons') return { full_name: data.full_name };
  if (resource === 'roles')
    return { code: data.code, description: data.description ?? '', permissions: data.permissions ?? [] };
  return data;
}

function listQuery(resource: string, params: GetListParams): Record<string, unknown> {
  const { page = 1, perPage = 25 } = params.pagination ?? {};
  const query: Record<string, unknown> = { page_number: page, page_size: Math.min(perPage, 100) };
  const filter = { ...(params.filter as Record<string, unknown>) };
  if (resource === 'users') {
    query.query = filter.q;
    return query;
  }
  const sort = params.sort;
  if (sort && SORTS[resource]?.includes(sort.field))
    query.sort = sort.order === 'DESC' ? `-${sort.field}` : sort.field;
  Object.assign(query, filter);
  return query;
}

async function list(resource: string, params: GetListParams): Promise<{ data: Rec[]; total: number }> {
  if (resource === 'roles') {
    // Few roles: the API returns them all, the page is cut here.
    const { json } = await api<Record<string, unknown>[]>(base(resource));
    const q = String((params.filter as { q?: string }).q ?? '').toLowerCase();
    const all: Rec[] = json
      .map((r) => fromApi(resource, r))
      .filter((r: Rec) => !q || String(r.code).toLowerCase().includes(q));
    const { page = 1, perPage = 25 } = params.pagination ?? {};
    return { data: all.slice((page - 1) * perPage, page * perPage), total: all.length };
  }
  const { json, headers } = await api<unknown>(`${base(resource)}${qs(listQuery(resource, params))}`);
  const page = Array.isArray(json)
    ? { items: json as Record<string, unknown>[], total: Number(headers.get('x-total-count') ?? json.length) }
    : (json as { items: Record<string, unknown>[]; total: number });
  return { data: page.items.map((r) => fromApi(resource, r)), total: page.total };
}

async function one(resource: string, id: Identifier): Promise<Rec> {
  const { json } = await api<Record<string, unknown>>(`${base(resource)}/${encodeURIComponent(String(id))}`);
  return fromApi(resource, json);
}

export const dataProvider = {
  getList: (resource: string, params: GetListParams) => list(resource, params),
  async getOne(resource: string, { id }: { id: Identifier }) {
    return { data: await one(resource, id) };
  },
  async getMany(resource: string, { ids }: { ids: Identifier[] }) {
    const data = await Promise.all(ids.map((id) => one(resource, id).catch(() => null)));
    return { data: data.filter((r) => r !== null) as Rec[] };
  },
  async getManyReference() {
    return { data: [], total: 0 };
  },
  async create(resource: string, { data }: { data: Record<string, unknown> }) {
    const { json } = await api<Record<string, unknown>>(base(resource), {
      method: 'POST',
      body: toApi(resource, data),
    });
    return { data: fromApi(resource, json) };
  },
  async update(
    resource: string,
    {
      id,
      data,
      previousData,
    }: { id: Identifier; data: Record<string, unknown>; previousData: Record<string, unknown> },
  ) {
    const url = `${base(resource)}/${encodeURIComponent(String(id))}`;
    if (resource === 'roles') {
      const { json } = await api<Record<string, unknown>>(url, {
        method: 'PUT',
        body: toApi(resource, data),
      });
      return { data: fromApi(resource, json) };
    }
    const body = { ...toApi(resource, data), version: previousData?.version ?? data.version };
    const { json } = await api<Record<string, unknown>>(url, { method: 'PATCH', body });
    return { data: fromApi(resource, json) };
  },
  async updateMany(resource: string, { ids, data }: { ids: Identifier[]; data: { access?: string } }) {
    if (resource !== 'films' || !data.access)
      throw new Error('Only the access level of films changes in bulk.');
    await api('/api/v1/admin/films/bulk', {
      method: 'POST',
      body: { ids, action: 'set_access', access: data.access },
    });
    return { data: ids };
  },
  async delete(
    resource: string,
    { id, previousData }: { id: Identifier; previousData?: Record<string, unknown> },
  ) {
    const version = CONTENT.has(resource) ? previousData?.version : undefined;
    await api(`${base(resource)}/${encodeURIComponent(String(id))}${qs({ version })}`, { method: 'DELETE' });
    return { data: (previousData ?? { id }) as Rec };
  },
  async deleteMany(resource: string, { ids }: { ids: Identifier[] }) {
    if (resource === 'films') {
      await api('/api/v1/admin/films/bulk', { method: 'POST', body: { ids, action: 'delete' } });
      return { data: ids };
    }
    for (const id of ids)
      await api(`${base(resource)}/${encodeURIComponent(String(id))}`, { method: 'DELETE' });
    return { data: ids };
  },

  // Calls beyond CRUD, used by the history tab and the users page.
  async history(entity: Entity, id: Identifier): Promise<ChangeLogEntry[]> {
    const { json } = await api<ChangeLogEntry[]>(
      `/api/v1/admin/${entity}s/${encodeURIComponent(String(id))}/history`,
    );
    return json;
  },
  async userSessions(userId: Identifier): Promise<Session[]> {
    const { json } = await api<Session[] | { items: Session[] }>(
      `/api/v1/users/${encodeURIComponent(String(userId))}/sessions`,
    );
    return Array.isArray(json) ? json : json.items;
  },
  async endUserSessions(userId: Identifier): Promise<void> {
    await api(`/api/v1/users/${encodeURIComponent(String(userId))}/sessions`, { method: 'DELETE' });
  },
  async assignRole(userId: Identifier, code: string): Promise<void> {
    await api(`/api/v1/users/${encodeURIComponent(String(userId))}/roles/${encodeURIComponent(code)}`, {
      method: 'POST',
    });
  },
  async revokeRole(userId: Identifier, code: string): Promise<void> {
    await api(`/api/v1/users/${encodeURIComponent(String(userId))}/roles/${encodeURIComponent(code)}`, {
      method: 'DELETE',
    });
  },
  async permissions(): Promise<{ code: string; description?: string }[]> {
    const { json } = await api<(string | { code: string; description?: string })[]>('/api/v1/permissions');
    return json.map((p) => (typeof p === 'string' ? { code: p } : p));
  },
} satisfies DataProvider & Record<string, unknown>;

export type KinoDataProvider = typeof dataProvider;
