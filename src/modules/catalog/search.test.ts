import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { switchLayout } from './search-layout.js';
import {
  buildPlan,
  editDistance,
  MAX_CORRECTIONS_PER_QUERY,
  MAX_TERMS,
  MAX_TYPO_WORDS,
  normaliseQuery,
  parseQuery,
  typoCandidates,
} from './search.js';

describe('normaliseQuery', () => {
  it('lower-cases, collapses whitespace and trims', () => {
    expect(normaliseQuery('  Star \t WARS\n')).toBe('star wars');
    expect(normaliseQuery('ЗВЁЗДНЫЕ  Войны')).toBe('звёздные войны');
  });
});

describe('parseQuery', () => {
  it('splits words on punctuation and marks the last one as a prefix', () => {
    expect(parseQuery('Star Wars: Episode').terms).toEqual([
      { word: 'star', prefix: false, negated: false },
      { word: 'wars', prefix: false, negated: false },
      { word: 'episode', prefix: true, negated: false },
    ]);
  });

  it('treats -word as an exclusion that is never a prefix', () => {
    expect(parseQuery('star -wars').terms).toEqual([
      { word: 'star', prefix: false, negated: false },
      { word: 'wars', prefix: false, negated: true },
    ]);
  });

  it('does not make a one-letter last word a prefix', () => {
    expect(parseQuery('star b').terms.at(-1)).toEqual({ word: 'b', prefix: false, negated: false });
  });

  it(`keeps at most ${MAX_TERMS} words`, () => {
    expect(parseQuery('a b c d e f g h i j k').terms).toHaveLength(MAX_TERMS);
  });

  it('yields no words for punctuation only', () => {
    expect(parseQuery(' ?! -- ').terms).toEqual([]);
  });
});

describe('typoCandidates', () => {
  it('picks positive words of five letters or more, once each, never numbers', () => {
    expect(typoCandidates(parseQuery('the matrix matrix -reloaded 12345 бонд бондиана'))).toEqual([
      'matrix',
      'бондиана',
    ]);
  });
});

describe('editDistance', () => {
  it.each([
    ['galaxy', 'galaxy', 0],
    ['galxy', 'galaxy', 1],
    ['lcuas', 'lucas', 1],
    ['lukas', 'lucas', 1],
    ['jrasic', 'jurassic', 2],
    ['сибирскй', 'сибирский', 1],
    ['abc', 'abcdef', 3],
  ])('%s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('buildPlan', () => {
  it('adds corrections one edit away for words the vocabulary lacks', () => {
    const query = parseQuery('jurasic park');
    const plan = buildPlan(query, new Map([['jurasic', ['jurassic', 'jurist', 'classic']]]));
    expect(plan).toEqual({
      words: ['jurasic', 'jurassic', 'park'],
      groups: [0, 0, 1],
      prefixes: [false, false, true],
      negated: [false, false, false],
      exact: 'jurasic park',
    });
  });

  it('leaves known words alone', () => {
    const plan = buildPlan(parseQuery('matrix'), new Map([['matrix', ['matrix', 'matrox']]]));
    expect(plan.words).toEqual(['matrix']);
  });
});

describe('switchLayout', () => {
  it('turns Latin keys into Russian letters', () => {
    expect(switchLayout('ghbdtn')).toBe('привет');
    expect(switchLayout('[ehfccbr')).toBe('хурассик');
    expect(switchLayout('Ghbdtn vbh')).toBe('Привет мир');
    expect(switchLayout(',tkst yjxb')).toBe('белые ночи');
  });

  it('turns Cyrillic letters into the Latin keys', () => {
    expect(switchLayout('Ыефк Цфкы')).toBe('Star Wars');
    expect(switchLayout('ьфекшч')).toBe('matrix');
  });

  it('returns null when no key changes', () => {
    expect(switchLayout('1984 2001')).toBeNull();
  });
});

describe('typo expansion is bounded per request', () => {
  // Eight misspelt words, each with a dozen vocabulary words one edit away: the costliest query.
  const words = ['galxyy', 'starrs', 'warss', 'empirre', 'strikess', 'backk', 'hopee', 'jediii'];
  const nearest = new Map(
    words.map((w) => [w, Array.from({ length: 12 }, (_, i) => `${w.slice(0, -1)}${'abcdefghijkl'[i]}`)]),
  );

  it(`looks up at most ${MAX_TYPO_WORDS} words and adds at most ${MAX_CORRECTIONS_PER_QUERY} corrections`, () => {
    const query = parseQuery(words.join(' '));
    expect(query.terms).toHaveLength(8);
    expect(typoCandidates(query)).toHaveLength(MAX_TYPO_WORDS);
    const plan = buildPlan(query, nearest);
    expect(plan.words.length - query.terms.length).toBe(MAX_CORRECTIONS_PER_QUERY);
    // Every query word is still there, in its own group.
    expect(new Set(plan.groups).size).toBe(8);
  });

  it('holds for any query and any vocabulary (property)', () => {
    const word = fc.stringMatching(/^[a-zа-я]{1,12}$/);
    let cases = 0;
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 12 }),
        fc.array(word, { maxLength: 40 }),
        (queryWords, vocabulary) => {
          cases++;
          const query = parseQuery(queryWords.join(' '));
          const candidates = typoCandidates(query);
          expect(candidates.length).toBeLessThanOrEqual(MAX_TYPO_WORDS);
          const plan = buildPlan(query, new Map(candidates.map((c) => [c, vocabulary])));
          expect(plan.words.length).toBeLessThanOrEqual(query.terms.length + MAX_CORRECTIONS_PER_QUERY);
        },
      ),
      { numRuns: 2000 },
    );
    console.info(`typo expansion property: ${cases} generated queries`);
  });
});
