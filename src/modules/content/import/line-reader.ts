/**
 * Lines of an import file as raw bytes, with the importers' caps enforced while reading: a line
 * longer than `maxLineBytes` or a file longer than `maxFileBytes` stops the read at once, so
 * memory stays at about one line whatever the input (readline would grow one string until V8
 * gives up). Bytes, not text: the formats decide how to decode (COPY escapes are bytes, and
 * invalid UTF-8 must be refused, not silently replaced).
 */
import { createReadStream } from 'node:fs';
import { ImportAborted, type ImportLimits } from './importer.js';

export interface RawLine {
  /** 1-based line number. */
  readonly lineNo: number;
  /** The line without its `\n` (or `\r\n`). */
  readonly bytes: Buffer;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

export async function* readLines(
  file: string,
  limits: Pick<ImportLimits, 'maxLineBytes' | 'maxFileBytes'>,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<RawLine> {
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  let bytesRead = 0;
  const tooLong = () =>
    new ImportAborted(
      `line ${lineNo + 1} of ${file} is longer than ${limits.maxLineBytes} bytes (the line limit)`,
    );
  const take = (tail: Buffer): RawLine => {
    let bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    if (bytes.length > limits.maxLineBytes) throw tooLong();
    lineNo++;
    return { lineNo, bytes };
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytesRead += chunk.length;
      if (bytesRead > limits.maxFileBytes)
        throw new ImportAborted(`${file} is larger than ${limits.maxFileBytes} bytes (the size limit)`);
      let start = 0;
      for (;;) {
        const end = chunk.indexOf(NEWLINE, start);
        if (end === -1) break;
        if (pendingBytes + (end - start) > limits.maxLineBytes + 1) throw tooLong();
        yield take(chunk.subarray(start, end));
        start = end + 1;
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0) {
        pendingBytes += rest.length;
        // +1: a `\r` before the newline is not part of the line.
        if (pendingBytes > limits.maxLineBytes + 1) throw tooLong();
        // A copy: the stream reuses nothing, but a subarray would pin the whole 64 kB chunk.
        pending.push(Buffer.from(rest));
      }
      onBytes?.(bytesRead);
    }
    if (pendingBytes > 0) yield take(Buffer.alloc(0));
  } finally {
    stream.destroy();
  }
}
