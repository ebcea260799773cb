/**
 * PostgreSQL COPY text format (what pg_dump writes between `COPY … FROM stdin;` and `\.`):
 * fields separated by tabs, `\N` for NULL, backslash escapes for special characters.
 *
 * Decoded as PostgreSQL decodes it: on bytes. An octal (`\303`) or hex (`\xA9`) escape is one
 * byte of the field's UTF-8, not a character, so `\303\251` is `é`; a field whose bytes are not
 * valid UTF-8, or that holds a NUL, is refused (PostgreSQL refuses the row) rather than repaired.
 */

export class CopyFieldError extends Error {}

const SIMPLE: Readonly<Record<number, number>> = {
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x76: 0x0b, // \v
};
const BACKSLASH = 0x5c;
const TAB = 0x09;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isOctal = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x37;
const hexValue = (b: number | undefined): number => {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
};

function decodeBytes(raw: Uint8Array): string | null {
  if (raw.length === 2 && raw[0] === BACKSLASH && raw[1] === 0x4e) return null; // \N
  let bytes: Uint8Array = raw;
  if (raw.includes(BACKSLASH)) {
    const out = new Uint8Array(raw.length);
    let n = 0;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c !== BACKSLASH || i === raw.length - 1) {
        out[n++] = c;
        continue;
      }
      const next = raw[i + 1]!;
      const simple = SIMPLE[next];
      if (simple !== undefined) {
        out[n++] = simple;
        i++;
      } else if (isOctal(next)) {
        let value = 0;
        let j = i + 1;
        while (j < raw.length && j < i + 4 && isOctal(raw[j])) value = value * 8 + (raw[j++]! - 0x30);
        out[n++] = value & 0xff;
        i = j - 1;
      } else if (next === 0x78 && hexValue(raw[i + 2]) >= 0) {
        let value = hexValue(raw[i + 2]);
        let j = i + 3;
        if (hexValue(raw[j]) >= 0) value = value * 16 + hexValue(raw[j++]);
        out[n++] = value;
        i = j - 1;
      } else {
        // Any other escaped byte stands for itself (`\\` included).
        out[n++] = next;
        i++;
      }
    }
    bytes = out.subarray(0, n);
  }
  if (bytes.includes(0)) throw new CopyFieldError('holds a NUL byte, which text cannot store');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new CopyFieldError('is not valid UTF-8');
  }
}

/** Decodes one field (bytes, or text taken as its UTF-8); `null` for `\N`. Throws CopyFieldError. */
export function decodeCopyField(raw: string | Uint8Array): string | null {
  return decodeBytes(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
}

/**
 * Splits a data line into its raw fields (no decoding yet: a tab inside a field is always
 * escaped, so raw tabs are separators).
 */
export function splitCopyLine(line: Uint8Array): Uint8Array[] {
  const fields: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const end = line.indexOf(TAB, start);
    if (end === -1) break;
    fields.push(line.subarray(start, end));
    start = end + 1;
  }
  fields.push(line.subarray(start));
  return fields;
}

/** Splits a data line into decoded fields; throws CopyFieldError naming the first bad field. */
export function parseCopyLine(line: string | Uint8Array): (string | null)[] {
  const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
  return splitCopyLine(bytes).map((field, i) => {
    try {
      return decodeBytes(field);
    } catch (error) {
      if (error instanceof CopyFieldError) throw new CopyFieldError(`field ${i + 1} ${error.message}`);
      throw error;
    }
  });
}

const COPY_HEAD = /^COPY\s+("?[\w]+"?)\.("?[\w]+"?)\s*\(([^)]*)\)\s+FROM\s+stdin;\s*$/i;

/** Parses `COPY schema.table (a, b) FROM stdin;` into its parts, or null. */
export function parseCopyHeader(line: string): { schema: string; table: string; columns: string[] } | null {
  const m = COPY_HEAD.exec(line);
  if (!m) return null;
  const unquote = (s: string) => s.trim().replace(/^"|"$/g, '');
  return {
    schema: unquote(m[1]!),
    table: unquote(m[2]!),
    columns: m[3]!.split(',').map(unquote),
  };
}
