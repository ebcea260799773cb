/**
 * The blob port contract (ports/blob.ts), on the local-directory adapter and on the S3 adapter
 * against an S3-compatible server the test starts itself (s3rver, the S3 emulator available in
 * every environment this runs in; MinIO/AWS are exercised by the same adapter code).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/ports/blob.js';
import { createLocalBlobStore } from '../../src/adapters/blob/local.js';
import { createS3BlobStore } from '../../src/adapters/blob/s3.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { uniq } from '../helpers/engines.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** A body that yields `bytes` then fails, as a tripped size limit does. */
async function* failingAfter(bytes: Buffer, error: Error): AsyncGenerator<Uint8Array> {
  yield bytes;
  await new Promise((r) => setTimeout(r, 5));
  throw error;
}

const engines = ['local', 's3'] as const;

for (const engine of engines) {
  describe(`blob contract on ${engine}`, () => {
    let blob: BlobStore;
    let root: string;
    let s3: TestS3 | undefined;
    beforeAll(async () => {
      root = mkdtempSync(path.join(tmpdir(), 'kino-blob-'));
      if (engine === 'local') {
        blob = await createLocalBlobStore({ root });
      } else {
        s3 = await startTestS3();
        blob = await createS3BlobStore({
          endpoint: s3.endpoint,
          region: s3.region,
          bucket: uniq('kino-blob-'),
          accessKeyId: s3.accessKeyId,
          secretAccessKey: s3.secretAccessKey,
          partSize: 5 * 1024 * 1024,
        });
      }
    });
    afterAll(async () => {
      await blob?.close();
      await s3?.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('stores a stream and reads it back byte for byte', async () => {
      const data = randomBytes(300_000);
      const { size } = await blob.put('t/one', Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      expect(size).toBe(data.length);
      const read = await blob.get('t/one');
      expect(read).not.toBeNull();
      expect(read!.size).toBe(data.length);
      expect(read!.range).toEqual({ start: 0, end: data.length - 1 });
      expect((await readAll(read!.body)).equals(data)).toBe(true);
      expect((await blob.head('t/one'))?.size).toBe(data.length);
    });

    it('streams a multipart-sized body and keeps its sha256', async () => {
      const part = randomBytes(1024 * 1024);
      const expected = createHash('sha256');
      async function* body() {
        for (let i = 0; i < 12; i++) {
          expected.update(part);
          yield part;
        }
      }
      const { size } = await blob.put('t/big', body());
      expect(size).toBe(12 * part.length);
      const got = createHash('sha256');
      for await (const chunk of (await blob.get('t/big'))!.body) got.update(chunk as Buffer);
      expect(got.digest('hex')).toBe(expected.digest('hex'));
    });

    it('serves exact byte ranges', async () => {
      const data = randomBytes(10_000);
      await blob.put('t/range', Readable.from([data]));
      for (const [start, end] of [
        [0, 0],
        [10, 19],
        [9_000, 9_999],
        [5_000, 20_000],
      ] as const) {
        const read = (await blob.get('t/range', { start, end }))!;
        const last = Math.min(end, data.length - 1);
        expect(read.size).toBe(data.length);
        expect(read.range).toEqual({ start, end: last });
        expect((await readAll(read.body)).equals(data.subarray(start, last + 1))).toBe(true);
      }
    });

    it('returns null for a missing blob, and head is null too', async () => {
      expect(await blob.get('t/missing')).toBeNull();
      expect(await blob.get('t/missing', { start: 0, end: 10 })).toBeNull();
      expect(await blob.head('t/missing')).toBeNull();
    });

    it('replaces a blob atomically on a second put', async () => {
      await blob.put('t/replace', Readable.from([Buffer.from('first version')]));
      await blob.put('t/replace', Readable.from([Buffer.from('second')]));
      expect((await readAll((await blob.get('t/replace'))!.body)).toString()).toBe('second');
    });

    it('leaves nothing behind when the body fails mid-way', async () => {
      const boom = new Error('limit tripped');
      await expect(blob.put('t/failed', failingAfter(randomBytes(64 * 1024), boom))).rejects.toThrow(
        'limit tripped',
      );
      expect(await blob.head('t/failed')).toBeNull();
      const keys: string[] = [];
      for await (const info of blob.list('t/failed')) keys.push(info.key);
      expect(keys).toEqual([]);
      if (engine === 'local') expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    });

    it('deletes idempotently', async () => {
      await blob.put('t/del', Readable.from([Buffer.from('x')]));
      await blob.delete('t/del');
      expect(await blob.get('t/del')).toBeNull();
      await expect(blob.delete('t/del')).resolves.toBeUndefined();
      await expect(blob.delete('t/never-existed')).resolves.toBeUndefined();
    });

    it('lists by prefix', async () => {
      await blob.put('l/a/1', Readable.from([Buffer.from('1')]));
      await blob.put('l/a/2', Readable.from([Buffer.from('22')]));
      await blob.put('l/b/3', Readable.from([Buffer.from('333')]));
      await blob.put('l/ab', Readable.from([Buffer.from('4444')]));
      const list = async (prefix: string) => {
        const out: [string, number][] = [];
        for await (const info of blob.list(prefix)) {
          expect(info.modified).toBeInstanceOf(Date);
          out.push([info.key, info.size]);
        }
        return out.sort();
      };
      expect(await list('l/a/')).toEqual([
        ['l/a/1', 1],
        ['l/a/2', 2],
      ]);
      expect(await list('l/a')).toEqual([
        ['l/a/1', 1],
        ['l/a/2', 2],
        ['l/ab', 4],
      ]);
      expect((await list('l/')).length).toBe(4);
      expect(await list('nothing/')).toEqual([]);
    });

    it('refuses keys that could escape the store, before touching it', async () => {
      for (const key of ['../etc/passwd', 'a/../../b', '/abs', 'a//b', 'a/./b', '', 'sp ace', 'a\\b']) {
        await expect(blob.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(TypeError);
        await expect(blob.get(key)).rejects.toThrow(TypeError);
        await expect(blob.delete(key)).rejects.toThrow(TypeError);
      }
    });

    it(engine === 's3' ? 'signs a URL that serves the blob' : 'cannot sign: signedUrl is null', async () => {
      await blob.put('t/signed', Readable.from([Buffer.from('signed bytes')]));
      const url = await blob.signedUrl('t/signed', {
        expiresIn: 60,
        contentDisposition: 'attachment; filename="x.txt"',
      });
      if (engine === 'local') {
        expect(url).toBeNull();
        return;
      }
      expect(url).toMatch(/X-Amz-Signature=/);
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('signed bytes');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="x.txt"');
    });

    it('answers ping', async () => {
      await expect(blob.ping()).resolves.toBeUndefined();
    });
  });
}
