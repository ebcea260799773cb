/**
 * PostgreSQL COPY text format (what pg_dump writes between `COPY … FROM stdin;` and `\.`):
 * fields separated by tabs, `\N` for NULL, backslash escapes for special characters.
 */

const SIMPLE: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** Decodes one field; `null` for `\N`. */
export function decodeCopyField(raw: string): string | null {
  if (raw === '\\N') return null;
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\' || i === raw.length - 1) {
      out += c;
      continue;
    }
    const next = raw[i + 1]!;
    if (next in SIMPLE) {
      out += SIMPLE[next];
      i++;
    } else if (next >= '0' && next <= '7') {
      const m = /^[0-7]{1,3}/.exec(raw.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(m, 8));
      i += m.length;
    } else if (next === 'x' && /^[0-9a-fA-F]/.test(raw[i + 2] ?? '')) {
      const m = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(i + 2))![0];
      out += String.fromCharCode(parseInt(m, 16));
      i += 1 + m.length;
    } else {
      // Any other escaped character stands for itself.
      out += next;
      i++;
    }
  }
  return out;
}

/** Splits a data line into decoded fields. */
export function parseCopyLine(line: string): (string | null)[] {
  return line.split('\t').map(decodeCopyField);
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
