import type { TextCandidate } from '../vision/ctc.js';
import { editDistance } from '../util/edit-distance.js';
import { isEdgeStroke } from '../state/syntax.js';

export interface Vote {
  plate: string;
  confidence: number;
  charConfidences: number[];
}

interface Reading {
  plate: string;
  confidence: number;
  charConfidences: number[];
}

/** A plate keeps at least this many characters when a first or last one is voted away. */
const MIN_VOTED_CHARS = 4;

interface Tally {
  weight: number;
  confSum: number;
  n: number;
}

/**
 * Confidence-weighted voting per character over one vehicle's readings. Readings of the most
 * supported length vote position by position; a character's confidence is its share of the vote
 * times the mean confidence of the readings that chose it. One blurred frame cannot outvote five
 * sharp ones, and a character misread in one frame is fixed by the others.
 *
 * Readings one character shorter that lack the first or the last character also vote, for "no
 * character" there: a bolt or the plate frame's edge beside the characters is read as a stroke
 * (I, 1) in some frames and not at all in others, as the crop around the plate moves, while a
 * real character is read in every frame. Such an end stroke goes when no single reading of it
 * outweighs the frames that saw nothing there. Other end characters stay: a first character the
 * line's crop cut off in some frames is still a character.
 */
export function voteText(readings: Reading[]): Vote {
  const byLength = new Map<number, Reading[]>();
  for (const r of readings) byLength.set(r.plate.length, [...(byLength.get(r.plate.length) ?? []), r]);
  const weight = (rs: Reading[]) => rs.reduce((s, r) => s + r.confidence, 0);
  const [, group] = [...byLength.entries()].sort((a, b) => weight(b[1]) - weight(a[1]) || b[0] - a[0])[0]!;
  const length = group[0]!.plate.length;
  const tallies = Array.from({ length }, () => new Map<string, Tally>());
  for (const r of group)
    for (let i = 0; i < length; i++)
      add(tallies[i]!, r.plate[i]!, r.charConfidences[i] ?? r.confidence, r.confidence);
  if (length > MIN_VOTED_CHARS) {
    const voted = tallies.map((tally) => winner(tally).ch).join('');
    for (const r of byLength.get(length - 1) ?? []) {
      const end = missingEnd(r.plate, voted);
      if (end !== null) add(tallies[end]!, '', r.confidence, r.confidence);
    }
  }
  const chosen = tallies.map((tally) => winner(tally));
  if (length > MIN_VOTED_CHARS) {
    for (const end of [0, length - 1]) {
      const blank = tallies[end]!.get('');
      if (blank && isEdgeStroke(chosen[end]!.ch) && blank.weight > chosen[end]!.tally.weight) {
        chosen.splice(end, 1);
        break; // one end at most: the plate loses one character, never two
      }
    }
  }
  const plate = chosen.map((c) => c.ch).join('');
  const charConfidences = chosen.map((c) => c.confidence);
  const confidence = charConfidences.reduce((p, c) => p * c, 1) ** (1 / Math.max(1, plate.length));
  return { plate, confidence, charConfidences };
}

function add(tally: Map<string, Tally>, ch: string, conf: number, readingConf: number): void {
  const t = tally.get(ch) ?? { weight: 0, confSum: 0, n: 0 };
  t.weight += Math.max(conf, 1e-3) * Math.max(readingConf, 1e-3);
  t.confSum += conf;
  t.n++;
  tally.set(ch, t);
}

/** The most weighted character (never "no character"), its tally, and its confidence: its share
 * of every vote at that position, "no character" included, times its readings' mean confidence. */
function winner(tally: Map<string, Tally>): { ch: string; tally: Tally; confidence: number } {
  const total = [...tally.values()].reduce((s, t) => s + t.weight, 0);
  const [ch, t] = [...tally.entries()]
    .filter(([c]) => c !== '')
    .sort((a, b) => b[1].weight - a[1].weight)[0]!;
  return { ch, tally: t, confidence: (t.weight / total) * (t.confSum / t.n) };
}

/** Which end of `plate` a reading one character shorter leaves out (0 or last index), if either. */
function missingEnd(shorter: string, plate: string): number | null {
  const withoutFirst = editDistance(shorter, plate.slice(1));
  const withoutLast = editDistance(shorter, plate.slice(0, -1));
  if (Math.min(withoutFirst, withoutLast) > 1 || withoutFirst === withoutLast) return null;
  return withoutFirst < withoutLast ? 0 : plate.length - 1;
}

/** Merge the top-N candidates of every reading: the voted plate first, then by summed confidence. */
export function mergeCandidates(voted: Vote, lists: TextCandidate[][], n: number): TextCandidate[] {
  const sums = new Map<string, number>();
  for (const list of lists) for (const c of list) sums.set(c.text, (sums.get(c.text) ?? 0) + c.confidence);
  const total = lists.length || 1;
  const merged = [...sums.entries()]
    .filter(([text]) => text !== voted.plate)
    .map(([text, s]) => ({ text, confidence: s / total }))
    .sort((a, b) => b.confidence - a.confidence);
  return [{ text: voted.plate, confidence: voted.confidence }, ...merged].slice(0, n);
}
