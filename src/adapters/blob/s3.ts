/**
 * Blob store on an S3 API (AWS, MinIO, Ceph). Uploads stream through lib-storage's multipart
 * `Upload` (one part in memory at a time; a failed upload is aborted, so nothing is left behind);
 * reads pass the byte range to the server; signed URLs are SigV4 presigned GETs.
 */
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertBlobKey,
  assertBlobPrefix,
  type BlobInfo,
  type BlobRead,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type SignOptions,
} from '../../ports/blob.js';

export interface S3BlobOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Path-style addressing (MinIO, s3rver, Ceph); default true. */
  readonly forcePathStyle?: boolean;
  /** Create the bucket when it does not exist (default true). */
  readonly createBucket?: boolean;
  /** Multipart part size in bytes (default 8 MiB, S3 minimum 5 MiB). */
  readonly partSize?: number;
}

const isNotFound = (e: unknown) =>
  e instanceof S3ServiceException &&
  (e.$metadata.httpStatusCode === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound');

/** Bytes `start..end` (inclusive) of `source`. */
function slice(source: Readable, start: number, end: number): Readable {
  async function* cut(): AsyncGenerator<Uint8Array> {
    let offset = 0;
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end + 1 - offset, chunk.length);
      if (to > from) yield chunk.subarray(from, to);
      offset += chunk.length;
      if (offset > end) break;
    }
  }
  return Readable.from(cut(), { objectMode: false });
}

export async function createS3BlobStore(options: S3BlobOptions): Promise<BlobStore> {
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle ?? true,
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
  });
  const Bucket = options.bucket;
  const partSize = Math.max(options.partSize ?? 8 * 1024 * 1024, 5 * 1024 * 1024);

  if (options.createBucket ?? true) {
    try {
      await client.send(new HeadBucketCommand({ Bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await client.send(new CreateBucketCommand({ Bucket }));
    }
  }

  return {
    engine: 's3',

    async put(key: string, body: Readable | AsyncIterable<Uint8Array>, putOptions?: PutOptions) {
      assertBlobKey(key);
      let size = 0;
      const source = body instanceof Readable ? body : Readable.from(body);
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const chunk of source as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          yield chunk;
        }
      }
      const counting = Readable.from(counted(), { objectMode: false });
      const upload = new Upload({
        client,
        params: {
          Bucket,
          Key: key,
          Body: counting,
          ...(putOptions?.contentType ? { ContentType: putOptions.contentType } : {}),
        },
        partSize,
        queueSize: 2,
        leavePartsOnError: false,
      });
      // Make sure a body that fails before its first part is full rejects the upload.
      const failed = new Promise<never>((_, reject) => counting.once('error', reject));
      failed.catch(() => undefined);
      try {
        await Promise.race([upload.done(), failed]);
      } catch (error) {
        await upload.abort().catch(() => undefined);
        counting.destroy();
        source.destroy();
        throw error;
      }
      return { size };
    },

    async get(key: string, range?: ByteRange): Promise<BlobRead | null> {
      assertBlobKey(key);
      try {
        const out = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
        const body = out.Body as Readable;
        const m = out.ContentRange ? /bytes (\d+)-(\d+)\/(\d+)/.exec(out.ContentRange) : null;
        if (m) {
          const [from, to, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
          const want = range
            ? { start: range.start, end: Math.min(range.end, total - 1) }
            : { start: from, end: to };
          // Some S3 emulators widen small ranges (bytes=0-0): cut the answer to what was asked.
          if (want.start === from && want.end === to) return { body, size: total, range: want };
          if (from > want.start || to < want.end) {
            body.destroy();
            throw new Error(`the S3 server answered bytes ${from}-${to} for ${want.start}-${want.end}`);
          }
          return { body: slice(body, want.start - from, want.end - from), size: total, range: want };
        }
        const total = Number(out.ContentLength ?? 0);
        if (!range) return { body, size: total, range: { start: 0, end: total - 1 } };
        // Some S3 emulators answer a range with the whole object: cut it here too.
        if (range.start >= total) {
          body.destroy();
          throw new RangeError(`range ${range.start}-${range.end} outside the blob`);
        }
        const end = Math.min(range.end, total - 1);
        return { body: slice(body, range.start, end), size: total, range: { start: range.start, end } };
      } catch (error) {
        if (isNotFound(error)) return null;
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 416)
          throw new RangeError(`range ${range?.start}-${range?.end} outside the blob`);
        throw error;
      }
    },

    async head(key: string): Promise<BlobInfo | null> {
      assertBlobKey(key);
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { key, size: Number(out.ContentLength ?? 0), modified: out.LastModified ?? new Date(0) };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    async delete(key: string) {
      assertBlobKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async *list(prefix: string) {
      assertBlobPrefix(prefix);
      let token: string | undefined;
      do {
        const out = await client.send(
          new ListObjectsV2Command({
            Bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of out.Contents ?? []) {
          if (o.Key) yield { key: o.Key, size: Number(o.Size ?? 0), modified: o.LastModified ?? new Date(0) };
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    },

    async signedUrl(key: string, sign: SignOptions) {
      assertBlobKey(key);
      return getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket,
          Key: key,
          ...(sign.contentDisposition ? { ResponseContentDisposition: sign.contentDisposition } : {}),
          ...(sign.contentType ? { ResponseContentType: sign.contentType } : {}),
        }),
        { expiresIn: Math.max(1, Math.floor(sign.expiresIn)) },
      );
    },

    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },

    async close() {
      client.destroy();
    },
  };
}
