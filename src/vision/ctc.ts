/** One character of a decoded plate with the alternatives the model also considered there. */
export interface DecodedChar {
  char: string;
  confidence: number;
  /** Next-best plate characters at the same step, best first. */
  alternatives: { char: string; confidence: number }[];
}

export const PLATE_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Greedy CTC decoding restricted to plate characters: at each time step only the blank and the
 * allowed classes compete, so a model with a large alphabet (punctuation, lower case, CJK) can
 * never emit a character that is not on a plate. A repeated class separated by a blank is a
 * repeated character ("AA"); an unbroken run is one character.
 */
export function ctcDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  offset: number,
  blank: number,
  allowed: readonly number[],
  symbols: readonly string[],
): DecodedChar[] {
  const out: DecodedChar[] = [];
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const row = offset + t * classes;
    let best = blank;
    let bestP = probs[row + blank]!;
    for (const c of allowed) {
      const p = probs[row + c]!;
      if (p > bestP) {
        best = c;
        bestP = p;
      }
    }
    if (best !== blank && best !== prev) {
      const alternatives = allowed
        .filter((c) => c !== best)
        .map((c) => ({ char: symbols[c]!, confidence: probs[row + c]! }))
        .sort((a, b) => b.confidence - a.confidence)
        .slice(0, 3);
      out.push({ char: symbols[best]!, confidence: bestP, alternatives });
    } else if (best !== blank && best === prev) {
      // Same character still being emitted: keep the most confident step's probability.
      const last = out[out.length - 1]!;
      if (bestP > last.confidence) last.confidence = bestP;
    }
    prev = best;
  }
  return out;
}

/** Softmax over each time step in place (for models that output logits). */
export function softmaxRows(data: Float32Array, steps: number, classes: number, offset: number): void {
  for (let t = 0; t < steps; t++) {
    const row = offset + t * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, data[row + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(data[row + c]! - max);
      data[row + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) data[row + c] = data[row + c]! / sum;
  }
}

export interface TextCandidate {
  text: string;
  confidence: number;
}

/**
 * The top-N readings of one decoded plate: the greedy reading plus readings that swap one or two
 * of its least certain characters for their alternatives, scored by the product of probabilities.
 */
export function topCandidates(chars: DecodedChar[], n: number): TextCandidate[] {
  const base = chars.reduce((p, c) => p * c.confidence, 1);
  const text = chars.map((c) => c.char).join('');
  const results: TextCandidate[] = [{ text, confidence: base }];
  const swaps: { pos: number; char: string; ratio: number }[] = [];
  chars.forEach((c, pos) => {
    for (const alt of c.alternatives) {
      if (alt.confidence > 0.01)
        swaps.push({ pos, char: alt.char, ratio: alt.confidence / Math.max(c.confidence, 1e-6) });
    }
  });
  swaps.sort((a, b) => b.ratio - a.ratio);
  const top = swaps.slice(0, 8);
  for (const s of top) results.push({ text: replaceAt(text, s.pos, s.char), confidence: base * s.ratio });
  for (let i = 0; i < top.length; i++) {
    for (let j = i + 1; j < top.length; j++) {
      const a = top[i]!;
      const b = top[j]!;
      if (a.pos === b.pos) continue;
      results.push({
        text: replaceAt(replaceAt(text, a.pos, a.char), b.pos, b.char),
        confidence: base * a.ratio * b.ratio,
      });
    }
  }
  const seen = new Set<string>();
  return results
    .sort((a, b) => b.confidence - a.confidence)
    .filter((r) => (seen.has(r.text) ? false : (seen.add(r.text), true)))
    .slice(0, n);
}

function replaceAt(s: string, pos: number, ch: string): string {
  return s.slice(0, pos) + ch + s.slice(pos + 1);
}

/**
 * Log probability that a CTC output spells `labels` (class indices), summed over every alignment
 * (the forward algorithm). Greedy decoding follows one alignment only; summing over all of them
 * gives a text's probability under a model whatever its step count or timing, so two models can
 * be compared on one text. `probs`: softmax rows, `steps` × `classes` from `offset`.
 */
export function sequenceLogProb(
  probs: Float32Array,
  steps: number,
  classes: number,
  offset: number,
  blank: number,
  labels: readonly number[],
): number {
  // Extended labels: a blank before, between and after the characters.
  const ext = [blank, ...labels.flatMap((l) => [l, blank])];
  const at = (t: number, s: number) => Math.log(Math.max(probs[offset + t * classes + ext[s]!]!, 1e-30));
  let alpha = ext.map((_, s) => (s < 2 ? at(0, s) : -Infinity));
  for (let t = 1; t < steps; t++) {
    alpha = ext.map((label, s) => {
      let sum = logAdd(alpha[s]!, s >= 1 ? alpha[s - 1]! : -Infinity);
      // A step may skip the blank between two characters, unless they are the same character.
      if (s >= 2 && label !== blank && label !== ext[s - 2]) sum = logAdd(sum, alpha[s - 2]!);
      return sum + at(t, s);
    });
  }
  const last = ext.length - 1;
  return logAdd(alpha[last]!, last >= 1 ? alpha[last - 1]! : -Infinity);
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}
