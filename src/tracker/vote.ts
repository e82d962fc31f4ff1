import type { TextCandidate } from '../vision/ctc.js';

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

/**
 * Confidence-weighted voting per character over one vehicle's readings. Readings of the most
 * supported length vote position by position; a character's confidence is its share of the vote
 * times the mean confidence of the readings that chose it. One blurred frame cannot outvote five
 * sharp ones, and a character misread in one frame is fixed by the others.
 */
export function voteText(readings: Reading[]): Vote {
  const byLength = new Map<number, Reading[]>();
  for (const r of readings) byLength.set(r.plate.length, [...(byLength.get(r.plate.length) ?? []), r]);
  const weight = (rs: Reading[]) => rs.reduce((s, r) => s + r.confidence, 0);
  const [, group] = [...byLength.entries()].sort((a, b) => weight(b[1]) - weight(a[1]) || b[0] - a[0])[0]!;
  const length = group[0]!.plate.length;
  let plate = '';
  const charConfidences: number[] = [];
  for (let i = 0; i < length; i++) {
    const tally = new Map<string, { weight: number; confSum: number; n: number }>();
    let total = 0;
    for (const r of group) {
      const ch = r.plate[i]!;
      const conf = r.charConfidences[i] ?? r.confidence;
      const w = Math.max(conf, 1e-3) * Math.max(r.confidence, 1e-3);
      const t = tally.get(ch) ?? { weight: 0, confSum: 0, n: 0 };
      t.weight += w;
      t.confSum += conf;
      t.n++;
      tally.set(ch, t);
      total += w;
    }
    const [ch, t] = [...tally.entries()].sort((a, b) => b[1].weight - a[1].weight)[0]!;
    plate += ch;
    charConfidences.push((t.weight / total) * (t.confSum / t.n));
  }
  const confidence = charConfidences.reduce((p, c) => p * c, 1) ** (1 / Math.max(1, length));
  return { plate, confidence, charConfidences };
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
