/**
 * Talks to the Kinoservice API: keeps the token pair (sessionStorage, so closing the tab logs
 * out), adds the Bearer header, refreshes an expired access token once, and turns problem+json
 * errors into react-admin HttpErrors whose message is the server's `detail`.
 */
import { HttpError } from 'react-admin';

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

const KEY = 'kino.admin.tokens';

export const tokenStore = {
  get(): Tokens | null {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Tokens;
    } catch {
      return null;
    }
  },
  set(tokens: Tokens): void {
    sessionStorage.setItem(
      KEY,
      JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token }),
    );
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};

export interface Claims {
  user_id?: string;
  sub?: string;
  username?: string;
  permissions?: string[];
  roles?: string[];
  exp?: number;
}

/** The payload of a JWT, unverified: the server verifies; the UI only decides what to show. */
export function claimsOf(token: string | undefined): Claims {
  const part = token?.split('.')[1];
  if (!part) return {};
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Claims;
  } catch {
    return {};
  }
}

export interface Problem {
  status?: number;
  code?: string;
  detail?: string;
  title?: string;
  errors?: { field: string; message: string }[];
}

/** A problem+json body (or any text) as the HttpError react-admin shows: the server's `detail`. */
export function problemError(status: number, text: string, statusText = ''): HttpError {
  let body: Problem | undefined;
  try {
    body = JSON.parse(text) as Problem;
  } catch {
    body = undefined;
  }
  const message = body?.detail || body?.title || statusText || `HTTP ${status}`;
  return new HttpError(message, status, body);
}

async function toError(response: Response): Promise<HttpError> {
  return problemError(response.status, await response.text().catch(() => ''), response.statusText);
}

let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh token for a new pair; one call at a time for the whole app. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const tokens = tokenStore.get();
    if (!tokens?.refresh_token) return false;
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      });
      if (!response.ok) {
        tokenStore.clear();
        return false;
      }
      tokenStore.set((await response.json()) as Tokens);
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  json: T;
}

export async function api<T = unknown>(
  path: string,
  init: {
    method?: string;
    body?: unknown;
    /** Sent as it is, typed by its own `type` (a file), instead of a JSON `body`. */
    file?: Blob;
    headers?: Record<string, string>;
    auth?: boolean;
  } = {},
): Promise<ApiResponse<T>> {
  const send = () => {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (init.file) headers['content-type'] = init.file.type;
    else if (init.body !== undefined) headers['content-type'] = 'application/json';
    const token = tokenStore.get()?.access_token;
    if (token && init.auth !== false) headers.authorization = `Bearer ${token}`;
    return fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.file ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
  };
  let response = await send();
  if (response.status === 401 && init.auth !== false && tokenStore.get() && (await refresh())) {
    response = await send();
  }
  if (!response.ok) throw await toError(response);
  const text = response.status === 204 ? '' : await response.text();
  return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : null) as T };
}
