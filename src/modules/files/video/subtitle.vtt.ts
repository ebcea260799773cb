/**
 * What an uploaded subtitle track must be: UTF-8 WebVTT that the W3C's validator (webvtt-parser)
 * reads without an error — the signature, the blank line after it, well-formed cue timings, each
 * cue ending after it starts and starting no earlier than the one before. Cue text markup is
 * not judged (players render it leniently). A refusal names the first line at fault.
 */
import webvtt from 'webvtt-parser';
import { filesErrors } from '../files.errors.js';

/** The largest track accepted, in bytes (a feature film's subtitles are 50–150 KB). */
export const SUBTITLE_MAX_BYTES = 2 * 1024 * 1024;

/** The shape of a BCP 47 tag (`en`, `pt-BR`, `zh-Hant-TW`, `es-419`); Intl then checks it. */
export const LANG_PATTERN = '^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$';
export const LANG_MAX_LENGTH = 35;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The body as text; SUBTITLE_INVALID naming the line of the first byte that is not UTF-8. */
export function decodeSubtitle(body: Buffer): string {
  try {
    return decoder.decode(body);
  } catch {
    const bad = firstInvalidUtf8(body);
    const line = bad === -1 ? 1 : countLines(body.subarray(0, bad));
    throw filesErrors.SUBTITLE_INVALID({ detail: `Line ${line}: the text is not UTF-8.` });
  }
}

/** Throws SUBTITLE_INVALID (`Line N: …`) unless `text` is valid WebVTT with at least one cue. */
export function checkSubtitle(text: string): void {
  const { cues, errors } = new webvtt.WebVTTParser().parse(text, 'metadata');
  const first = errors[0];
  if (first) {
    // A timing line the parser cannot read is taken for a cue identifier, and the line after it
    // is blamed: name the timing line itself.
    const previous = text.split(/\r\n|\r|\n/)[first.line - 2];
    if (first.message.startsWith('Cue identifier needs') && previous?.includes('->'))
      throw filesErrors.SUBTITLE_INVALID({
        detail: `Line ${first.line - 1}: the cue timing is not well-formed (start --> end, as 00:01:02.500).`,
      });
    throw filesErrors.SUBTITLE_INVALID({ detail: `Line ${first.line}: ${first.message}` });
  }
  if (cues.length === 0) throw filesErrors.SUBTITLE_INVALID({ detail: 'Line 1: the file has no cues.' });
}

/** The canonical spelling of a language tag (`EN-us` → `en-US`), or null when it is not one. */
export function canonicalLang(tag: string): string | null {
  if (tag.length > LANG_MAX_LENGTH || !new RegExp(LANG_PATTERN).test(tag)) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical && canonical.length <= LANG_MAX_LENGTH ? canonical : null;
  } catch {
    return null;
  }
}

/** The language's own name for itself (`de` → `Deutsch`, `pt-BR` → `Português (Brasil)`), else the tag. */
export function defaultLabel(lang: string): string {
  try {
    const name = new Intl.DisplayNames([lang], { type: 'language' }).of(lang);
    if (!name || name === lang) return lang;
    return name.charAt(0).toLocaleUpperCase(lang) + name.slice(1);
  } catch {
    return lang;
  }
}

function countLines(bytes: Buffer): number {
  let lines = 1;
  for (const byte of bytes) if (byte === 0x0a) lines++;
  return lines;
}

/** The offset of the first byte that breaks UTF-8, or -1. */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0) return i;
    const end = i + 1 + need;
    if (end > bytes.length) return i;
    // The decoder already refused the body: checking that continuation bytes exist finds where.
    if (need > 0 && !isWholeSequence(bytes.subarray(i, end))) return i;
    i = end;
  }
  return -1;
}

function isWholeSequence(seq: Buffer): boolean {
  try {
    decoder.decode(seq);
    return true;
  } catch {
    return false;
  }
}
