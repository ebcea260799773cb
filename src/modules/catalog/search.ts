/**
 * Turning a search box text into what the read model's full-text index can answer: words, the
 * prefix on the last word, excluded words, and typo corrections from the catalogue's vocabulary.
 * The SQL side (catalog.search_tsquery) stems every word in Russian and English and matches the
 * plain form too, so nothing here knows about languages.
 */
import damerauLevenshtein from 'damerau-levenshtein';

/** Words after the first MAX_TERMS are ignored (a search box, not a document). */
export const MAX_TERMS = 8;
/** Words at least this long may carry one typo. */
export const TYPO_MIN_LENGTH = 5;
/** Corrections tried per misspelt word. */
export const MAX_CORRECTIONS = 3;
/**
 * Words looked up for corrections per query, and corrections added per query in all: each
 * lookup is a nearest-neighbour scan and each correction widens the full-text query, so a query
 * of eight misspelt words must not cost eight scans and 24 alternatives (OWASP API4:2023).
 */
export const MAX_TYPO_WORDS = 3;
export const MAX_CORRECTIONS_PER_QUERY = 6;

export interface SearchTerm {
  readonly word: string;
  /** Match words starting with this one (the last word, still being typed). */
  readonly prefix: boolean;
  /** `-word`: results must not contain it. */
  readonly negated: boolean;
}

export interface ParsedQuery {
  /** Lower-case, single-spaced text: the cache key and the exact-title comparison. */
  readonly normalised: string;
  readonly terms: readonly SearchTerm[];
}

/** Arrays for catalog.search_tsquery: words in one group are alternatives, groups are ANDed. */
export interface SearchPlan {
  readonly words: string[];
  readonly groups: number[];
  readonly prefixes: boolean[];
  readonly negated: boolean[];
  /** The normalised text, for the exact-title boost. */
  readonly exact: string;
}

export function normaliseQuery(raw: string): string {
  return raw.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

const length = (word: string) => [...word].length;

export function parseQuery(raw: string): ParsedQuery {
  const normalised = normaliseQuery(raw);
  const terms: { word: string; prefix: boolean; negated: boolean }[] = [];
  for (const token of normalised.split(' ')) {
    const negated = token.length > 1 && token.startsWith('-');
    for (const word of (negated ? token.slice(1) : token).split(/[^\p{L}\p{N}]+/u)) {
      if (word !== '' && terms.length < MAX_TERMS) terms.push({ word, prefix: false, negated });
    }
  }
  const last = terms.at(-1);
  if (last && !last.negated && length(last.word) >= 2) last.prefix = true;
  return { normalised, terms };
}

/** True when the query has at least one word a result must contain. */
export function hasPositiveTerm(query: ParsedQuery): boolean {
  return query.terms.some((t) => !t.negated);
}

/** Words worth looking up in the vocabulary for a typo correction (the first MAX_TYPO_WORDS). */
export function typoCandidates(query: ParsedQuery): string[] {
  const words = query.terms
    .filter((t) => !t.negated && length(t.word) >= TYPO_MIN_LENGTH && !/^\p{N}+$/u.test(t.word))
    .map((t) => t.word);
  return [...new Set(words)].slice(0, MAX_TYPO_WORDS);
}

/** Edits (insert, delete, substitute, swap neighbours) between two words: "galxy" → "galaxy" is 1. */
export function editDistance(a: string, b: string): number {
  return damerauLevenshtein(a, b).steps;
}

/**
 * The query as tsquery arrays. `nearest` maps a word to the closest vocabulary words (best
 * first); a word the vocabulary lacks gets the ones at most one edit away as alternatives.
 */
export function buildPlan(
  query: ParsedQuery,
  nearest: ReadonlyMap<string, readonly string[]> = new Map(),
): SearchPlan {
  const plan: SearchPlan = { words: [], groups: [], prefixes: [], negated: [], exact: query.normalised };
  let budget = MAX_CORRECTIONS_PER_QUERY;
  const add = (word: string, group: number, prefix: boolean, negated: boolean) => {
    plan.words.push(word);
    plan.groups.push(group);
    plan.prefixes.push(prefix);
    plan.negated.push(negated);
  };
  query.terms.forEach((term, group) => {
    add(term.word, group, term.prefix, term.negated);
    const candidates = nearest.get(term.word);
    if (term.negated || !candidates || candidates.includes(term.word)) return;
    const corrections = candidates
      .filter((c) => length(c) >= TYPO_MIN_LENGTH - 1 && editDistance(term.word, c) <= 1)
      .slice(0, Math.min(MAX_CORRECTIONS, budget));
    budget -= corrections.length;
    for (const correction of corrections) add(correction, group, false, false);
  });
  return plan;
}
