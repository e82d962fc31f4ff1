import { describe, expect, it } from 'vitest';
import { sequenceLogProb } from '../src/vision/ctc.js';

// Class 0 is the CTC blank; classes 1..3 stand for "A", "B", "C".
const BLANK = 0;

/** Every path of `steps` classes, and the text each collapses to (runs merged, blanks dropped). */
function* paths(steps: number, classes: number): Generator<number[]> {
  if (steps === 0) {
    yield [];
    return;
  }
  for (const rest of paths(steps - 1, classes)) for (let c = 0; c < classes; c++) yield [c, ...rest];
}

function collapse(path: number[]): string {
  return path
    .filter((c, t) => c !== BLANK && c !== path[t - 1])
    .map((c) => ' ABC'[c])
    .join('');
}

/** The text's probability by brute force: the sum over every path that spells it. */
function bruteForce(probs: Float32Array, steps: number, classes: number, text: string): number {
  let sum = 0;
  for (const path of paths(steps, classes)) {
    if (collapse(path) !== text) continue;
    sum += path.reduce((p, c, t) => p * probs[t * classes + c]!, 1);
  }
  return sum;
}

function randomSoftmax(steps: number, classes: number, seed: number): Float32Array {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4;
  const out = new Float32Array(steps * classes);
  for (let t = 0; t < steps; t++) {
    const row = Array.from({ length: classes }, () => Math.exp(next()));
    const total = row.reduce((a, b) => a + b);
    row.forEach((v, c) => (out[t * classes + c] = v / total));
  }
  return out;
}

describe('sequenceLogProb', () => {
  it('equals the sum over every alignment, repeated characters included', () => {
    const steps = 6;
    const classes = 4;
    for (const seed of [1, 7, 42]) {
      const probs = randomSoftmax(steps, classes, seed);
      for (const text of ['A', 'AB', 'AA', 'ABA', 'CAB', 'BBB']) {
        const labels = [...text].map((ch) => ' ABC'.indexOf(ch));
        const got = Math.exp(sequenceLogProb(probs, steps, classes, 0, BLANK, labels));
        expect(got, `${text} (seed ${seed})`).toBeCloseTo(bruteForce(probs, steps, classes, text), 6);
      }
    }
  });

  it('gives a text too long for the steps no probability', () => {
    // "AAA" needs five steps (A, blank, A, blank, A); with three it cannot be spelled.
    const probs = randomSoftmax(3, 4, 3);
    expect(sequenceLogProb(probs, 3, 4, 0, BLANK, [1, 1, 1])).toBeLessThan(-60);
  });

  it('reads the rows of one crop from its offset in a batch', () => {
    const first = randomSoftmax(5, 4, 11);
    const second = randomSoftmax(5, 4, 12);
    const batch = new Float32Array([...first, ...second]);
    expect(sequenceLogProb(batch, 5, 4, 20, BLANK, [2, 3])).toBeCloseTo(
      sequenceLogProb(second, 5, 4, 0, BLANK, [2, 3]),
      10,
    );
  });
});
