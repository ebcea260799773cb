/**
 * Blob store on a local directory (the embedded engine). Objects live under `<root>/objects/<key>`;
 * writes go to `<root>/tmp/` first and are renamed into place, so a reader never sees half a blob
 * and a failed write leaves nothing under its key. Keys are checked by the port's rule, so no key
 * can reach outside the root.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertBlobKey,
  assertBlobPrefix,
  type BlobInfo,
  type BlobRead,
  type BlobStore,
  type ByteRange,
  type PutOptions,
} from '../../ports/blob.js';

export interface LocalBlobOptions {
  /** The directory that holds the store (created if missing). */
  readonly root: string;
}

const isMissing = (e: unknown) => (e as { code?: string }).code === 'ENOENT';

export async function createLocalBlobStore(options: LocalBlobOptions): Promise<BlobStore> {
  const root = path.resolve(options.root);
  const objects = path.join(root, 'objects');
  const tmp = path.join(root, 'tmp');
  await fs.mkdir(objects, { recursive: true });
  await fs.mkdir(tmp, { recursive: true });

  const pathOf = (key: string) => {
    assertBlobKey(key);
    const p = path.join(objects, ...key.split('/'));
    // Defence in depth: the key rule already forbids this.
    if (!p.startsWith(objects + path.sep)) throw new TypeError('blob key escapes the store');
    return p;
  };

  async function* walk(dir: string, rel: string): AsyncGenerator<BlobInfo> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    for (const entry of entries) {
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) yield* walk(full, key);
      else if (entry.isFile()) {
        let st;
        try {
          st = await fs.stat(full);
        } catch (e) {
          if (isMissing(e)) continue; // deleted while we walked
          throw e;
        }
        yield { key, size: st.size, modified: st.mtime };
      }
    }
  }

  return {
    engine: 'local',

    async put(key: string, body: Readable | AsyncIterable<Uint8Array>, _options?: PutOptions) {
      const target = pathOf(key);
      const temp = path.join(tmp, randomUUID());
      const out = createWriteStream(temp, { flags: 'wx', flush: true });
      try {
        await pipeline(body instanceof Readable ? body : Readable.from(body), out);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.rename(temp, target);
        return { size: out.bytesWritten };
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw error;
      }
    },

    async get(key: string, range?: ByteRange): Promise<BlobRead | null> {
      let handle;
      try {
        handle = await fs.open(pathOf(key), 'r');
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
      try {
        const { size } = await handle.stat();
        const start = range?.start ?? 0;
        const end = Math.min(range?.end ?? size - 1, size - 1);
        if (range && (start < 0 || start > end))
          throw new RangeError(`range ${start}-${range.end} outside 0-${size - 1}`);
        // An empty blob has no byte to read; a zero-length stream stands in for it.
        const body =
          size === 0 ? Readable.from([]) : handle.createReadStream({ start, end, autoClose: true });
        if (size === 0) await handle.close();
        return { body, size, range: { start, end: Math.max(end, start - 1) } };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async head(key: string): Promise<BlobInfo | null> {
      try {
        const st = await fs.stat(pathOf(key));
        return st.isFile() ? { key, size: st.size, modified: st.mtime } : null;
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    },

    async delete(key: string) {
      await fs.rm(pathOf(key), { force: true });
    },

    async *list(prefix: string) {
      assertBlobPrefix(prefix);
      // Walk only the deepest folder the prefix names completely.
      const slash = prefix.lastIndexOf('/');
      const base = slash === -1 ? '' : prefix.slice(0, slash);
      const dir = base ? path.join(objects, ...base.split('/')) : objects;
      for await (const info of walk(dir, base)) if (info.key.startsWith(prefix)) yield info;
    },

    async signedUrl() {
      return null;
    },

    async ping() {
      await fs.access(objects);
    },

    async close() {},
  };
}
