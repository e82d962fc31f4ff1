import { STATES, type StateInfo } from './states.js';

/** Evidence for one state from the words printed on a plate. */
export interface WordMatch {
  state: string;
  phrase: string;
  /** 1 - edit distance / phrase length, of the best-matching part of one line. */
  similarity: number;
  line: number;
  /** Where in the line (normalised, without spaces) the phrase matched. */
  start: number;
  end: number;
}

/** Upper-case letters and digits only: spacing and punctuation are what OCR gets wrong most. */
export function normaliseWords(text: string): string {
  return text
    .normalize('NFKD')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');
}

/** Glyphs that OCR of small printed words swaps for one another ("lowA" for IOWA). */
const LOOKALIKES = ['IL1JT', 'O0QDC', 'S5', 'B8', 'Z2', 'G6C', 'UV', 'MN', 'EF', 'PR'];
const CHEAP = 0.35;

export function substitutionCost(a: string, b: string): number {
  if (a === b) return 0;
  return LOOKALIKES.some((g) => g.includes(a) && g.includes(b)) ? CHEAP : 1;
}

/**
 * Approximate substring matching (Sellers): the smallest edit distance between `pattern` and
 * any substring of `text`, with where that substring ends and starts.
 */
export function fuzzyFind(pattern: string, text: string): { distance: number; start: number; end: number } {
  const m = pattern.length;
  const n = text.length;
  // prev[j] / cur[j]: distance of pattern[0..i) against a substring of text ending at j;
  // startPrev / startCur: where that substring starts.
  let prev = new Array<number>(n + 1).fill(0);
  let startPrev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1);
    const startCur = new Array<number>(n + 1);
    cur[0] = i;
    startCur[0] = 0;
    for (let j = 1; j <= n; j++) {
      const sub = prev[j - 1]! + substitutionCost(pattern[i - 1]!, text[j - 1]!);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      if (sub <= del && sub <= ins) {
        cur[j] = sub;
        startCur[j] = startPrev[j - 1]!;
      } else if (del <= ins) {
        cur[j] = del;
        startCur[j] = startPrev[j]!;
      } else {
        cur[j] = ins;
        startCur[j] = startCur[j - 1]!;
      }
    }
    prev = cur;
    startPrev = startCur;
  }
  let best = Infinity;
  let end = 0;
  for (let j = 0; j <= n; j++) {
    if (prev[j]! < best) {
      best = prev[j]!;
      end = j;
    }
  }
  return { distance: best, start: startPrev[end] ?? end, end };
}

interface Phrase {
  state: string;
  phrase: string;
  key: string;
  /** Characters that tell this phrase apart: the key without words that many plates share. */
  distinctive: number;
}

/** Words on many states' plates: "SILVER STATE" must not match "STAR STATE" on their strength. */
const COMMON_WORDS = ['STATE', 'THE', 'OF', 'COM', 'GOV', 'AND'];

function distinctiveLength(phrase: string): number {
  const words = phrase
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  const distinct = words.filter((w) => !COMMON_WORDS.includes(w)).join('').length;
  return Math.max(4, distinct);
}

function phrasesOf(states: readonly StateInfo[]): Phrase[] {
  const out: Phrase[] = [];
  for (const s of states) {
    for (const p of [s.name, ...s.words]) {
      const key = normaliseWords(p);
      if (key.length >= 4) out.push({ state: s.code, phrase: p, key, distinctive: distinctiveLength(p) });
    }
  }
  return out;
}

/**
 * Phrases shorter than this may differ only by one look-alike glyph: one real error in "OHIO" or
 * "IOWA" is too easy to make by chance.
 */
const EXACT_BELOW = 6;

/**
 * A longer phrase only wins over the shorter one it contains when its extra letters are mostly
 * read: at most this many errors per extra letter. "WASHINGTON 2007" must stay Washington, not
 * become "WASHINGTON DC" (the "20" a poor "DC"); "NEST VIRGINIA" is West Virginia.
 */
const EXTRA_ERRORS = 0.5;

/**
 * Every state phrase that matches part of a line well enough, best first. A phrase that is part
 * of another state's phrase matched at the same place ("KANSAS" in "ARKANSAS", "VIRGINIA" in
 * "WEST VIRGINIA") is dropped in favour of the longer one, when the longer one's extra letters
 * are there (`EXTRA_ERRORS`).
 */
export function matchStateWords(
  lines: readonly string[],
  minSimilarity = 0.6,
  states: readonly StateInfo[] = STATES,
): WordMatch[] {
  const phrases = phrasesOf(states);
  const found: (WordMatch & { key: string; distance: number })[] = [];
  lines.forEach((raw, line) => {
    const text = normaliseWords(raw);
    if (text.length < 3) return;
    for (const p of phrases) {
      // A line much shorter than the phrase cannot contain it.
      if (text.length < p.key.length * 0.6) continue;
      const { distance, start, end } = fuzzyFind(p.key, text);
      if (p.key.length < EXACT_BELOW && distance > CHEAP) continue;
      const similarity = 1 - distance / p.distinctive;
      if (similarity < minSimilarity) continue;
      found.push({ state: p.state, phrase: p.phrase, similarity, line, start, end, key: p.key, distance });
    }
  });
  const kept = found.filter(
    (m) =>
      !found.some(
        (o) =>
          o.state !== m.state &&
          o.line === m.line &&
          o.key.length > m.key.length &&
          o.key.includes(m.key) &&
          o.distance - m.distance <= EXTRA_ERRORS * (o.key.length - m.key.length) &&
          o.start <= m.end &&
          m.start <= o.end,
      ),
  );
  return kept
    .map(({ key: _key, distance: _distance, ...m }) => m)
    .sort((a, b) => b.similarity - a.similarity || b.phrase.length - a.phrase.length);
}
