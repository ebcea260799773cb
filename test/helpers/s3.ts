/**
 * An S3-compatible server for tests: s3rver (an S3 API emulator in Node) on a random port with
 * its data in a temp folder. Used by the blob contract, the files end-to-end tests and the
 * distributed harness.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  close(): Promise<void>;
}

/** Starts s3rver on `port` (default: any free one). */
export async function startTestS3(options: { port?: number } = {}): Promise<TestS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'kino-s3-'));
  const server = new S3rver({ port: options.port ?? 0, address: '127.0.0.1', silent: true, directory });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    // s3rver's built-in credentials.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
