/**
 * Uploads from the panel, with progress: a multipart POST /api/v1/files for posters and trailers,
 * and the resumable tus endpoint (/api/v1/uploads) for film videos, which retries and resumes
 * from the server's offset after a network error. Both send the current access token and
 * refresh it once on a 401, as `api()` does.
 */
import { HttpError } from 'react-admin';
import { Upload, type DetailedError } from 'tus-js-client';
import { problemError, refresh, tokenStore } from './http';

export type FileKind = 'poster' | 'trailer' | 'video' | 'other';

/** A stored file, as the files API answers. */
export interface StoredFile {
  id: string;
  filename: string;
  size: number;
  content_type: string;
  kind: FileKind;
  film_id: string | null;
  created_at: string;
}

/** Where a file's bytes are served (Range, ETag); posters and trailers need no token. */
export const contentUrl = (id: string) => `/api/v1/files/${encodeURIComponent(id)}/content`;

const bearer = (): string | undefined => {
  const token = tokenStore.get()?.access_token;
  return token ? `Bearer ${token}` : undefined;
};

function postOnce(
  file: File,
  fields: { kind: FileKind; film_id: string },
  onProgress: (fraction: number) => void,
): Promise<{ status: number; text: string; statusText: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/files');
    xhr.setRequestHeader('accept', 'application/json');
    const auth = bearer();
    if (auth) xhr.setRequestHeader('authorization', auth);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText, statusText: xhr.statusText });
    xhr.onerror = () => reject(new HttpError('The upload was interrupted (network error).', 0));
    xhr.onabort = () => reject(new HttpError('The upload was cancelled.', 0));
    // The server reads kind and film_id before the file part: keep this order.
    const form = new FormData();
    form.append('kind', fields.kind);
    form.append('film_id', fields.film_id);
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Uploads `file` as one multipart request; `onProgress` gets 0…1 as the bytes leave. */
export async function postFile(
  file: File,
  fields: { kind: FileKind; film_id: string },
  onProgress: (fraction: number) => void,
): Promise<StoredFile> {
  let answer = await postOnce(file, fields, onProgress);
  if (answer.status === 401 && (await refresh())) {
    onProgress(0);
    answer = await postOnce(file, fields, onProgress);
  }
  if (answer.status !== 201) throw problemError(answer.status, answer.text, answer.statusText);
  return JSON.parse(answer.text) as StoredFile;
}

export interface ResumableUpload {
  /** Starts, or resumes after a failure, from the offset the server has. */
  start(): void;
  /** Stops sending; the staged bytes stay on the server for a later resume. */
  abort(): Promise<void>;
}

/** Waits before each automatic retry (ms); then `onError` is called and `start()` resumes. */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000];
/** Bytes per PATCH: a lost connection costs at most one chunk. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * A resumable upload of a film's video through tus. An interrupted upload resumes where the
 * server stopped, also after a reload (the upload URL is kept in localStorage under a key of
 * the film and the file, and forgotten once done). `onSuccess` gets the stored file's id.
 */
export function videoUpload(
  file: File,
  filmId: string,
  handlers: {
    onProgress: (sent: number, total: number) => void;
    onSuccess: (fileId: string) => void;
    /** `network`: the connection failed (not a refusal), so `start()` may resume. */
    onError: (error: Error, network: boolean) => void;
  },
): ResumableUpload {
  let fileId: string | undefined;
  const upload = new Upload(file, {
    endpoint: new URL('/api/v1/uploads', window.location.origin).href,
    chunkSize: CHUNK_BYTES,
    retryDelays: RETRY_DELAYS,
    metadata: { filename: file.name, filetype: file.type, kind: 'video', film_id: filmId },
    // One film's upload is never resumed as another's: the film is part of the key.
    fingerprint: async (f: File) => ['kino-video', filmId, f.name, f.type, f.size, f.lastModified].join(':'),
    removeFingerprintOnSuccess: true,
    onBeforeRequest(request) {
      const auth = bearer();
      if (auth) request.setHeader('Authorization', auth);
    },
    async onAfterResponse(_request, response) {
      const id = response.getHeader('Kino-File-Id');
      if (id) fileId = id;
      if (response.getStatus() === 401) await refresh();
    },
    onShouldRetry(error: DetailedError) {
      const status = error.originalResponse?.getStatus() ?? 0;
      // Network errors, server errors, an expired token (refreshed above) and lock conflicts.
      return status === 0 || status === 401 || status === 409 || status === 423 || status >= 500;
    },
    onProgress: handlers.onProgress,
    onSuccess() {
      // The stored file takes the upload's id, which ends the upload URL.
      const id = fileId ?? upload.url?.split('/').pop();
      if (id) handlers.onSuccess(id);
      else handlers.onError(new Error('The server did not name the stored file.'), false);
    },
    onError(error) {
      const response = (error as DetailedError).originalResponse;
      const status = response?.getStatus() ?? 0;
      if (!response || status === 0 || status >= 500) handlers.onError(error, true);
      else handlers.onError(problemError(status, response.getBody()), false);
    },
  });
  let resumed = false;
  return {
    start() {
      if (resumed || upload.url) {
        upload.start();
        return;
      }
      resumed = true;
      void upload
        .findPreviousUploads()
        .then((previous) => {
          const last = previous[0];
          if (last) upload.resumeFromPreviousUpload(last);
        })
        .catch(() => undefined)
        .finally(() => upload.start());
    },
    abort: () => upload.abort(false),
  };
}
