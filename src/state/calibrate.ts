import { createHash } from 'node:crypto';
import { estimateState, type StateParams } from './posterior.js';

const THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99];

/** One labelled plate crop as the state reader saw it. */
export interface StateSample {
  file: string;
  expected: string;
  lines: string[];
  plate: string;
}

/**
 * Deterministic split: a file belongs to the held-out part when the MD5 of its base name, as a
 * number, modulo 100 is below `fraction` × 100. It is the recogniser trainer's validation rule
 * (`is_val` in scripts/train/train.py), so "held-out" means never trained on by the plate
 * recogniser and never used to fit the state reader. Stable across machines and runs.
 */
export function isHeldOut(file: string, fraction = 0.3): boolean {
  const base = file.split('/').pop() ?? file;
  const n = BigInt('0x' + createHash('md5').update(base).digest('hex'));
  return n % 100n < BigInt(Math.round(100 * fraction));
}

export interface Outcome {
  n: number;
  correct: number;
  wrong: number;
  /** Percentages of n. */
  coverage: number;
  correctPct: number;
  wrongPct: number;
}

export function outcome(samples: readonly StateSample[], params: StateParams, threshold: number): Outcome {
  let correct = 0;
  let wrong = 0;
  for (const s of samples) {
    const e = estimateState(s.lines, s.plate, params);
    if (e.confidence < threshold) continue;
    if (e.best === s.expected) correct++;
    else wrong++;
  }
  const n = samples.length;
  const pct = (x: number) => (n ? Math.round((1000 * x) / n) / 10 : 0);
  return {
    n,
    correct,
    wrong,
    coverage: pct(correct + wrong),
    correctPct: pct(correct),
    wrongPct: pct(wrong),
  };
}

/** Mean log-likelihood of the true state (what fitting maximises). */
export function logLikelihood(samples: readonly StateSample[], params: StateParams): number {
  let sum = 0;
  for (const s of samples) {
    const e = estimateState(s.lines, s.plate, params);
    const p = e.posterior[s.expected] ?? 0;
    sum += Math.log(Math.max(p, 1e-6));
  }
  return sum / Math.max(1, samples.length);
}

/**
 * Fit textWeight and formatWeight by maximum likelihood on a coarse, bounded grid (two numbers
 * from a couple of hundred plates: a grid cannot overfit the way a free optimiser can), then the
 * lowest threshold whose wrong rate stays at or below `maxWrongPct` with the given margin.
 *
 * The bounds and the threshold floor are deliberate: the development crops are clean, tightly
 * cropped and contain almost no misleading text, so likelihood alone pushes the weights to
 * "always sure". Real frames have dealer frames and worse OCR; the floor keeps weak single
 * matches (one garbled word) below the line.
 */
export function fit(
  samples: readonly StateSample[],
  base: StateParams,
  maxWrongPct = 3,
  margin = 1,
  minThreshold = 0.8,
): { params: StateParams; threshold: number; logLikelihood: number } {
  let best = { params: base, ll: -Infinity };
  for (const textWeight of [3, 4, 5, 6, 7, 8, 9, 10]) {
    for (const formatWeight of [1, 1.5, 2, 3]) {
      const params = { ...base, textWeight, formatWeight };
      const ll = logLikelihood(samples, params);
      if (ll > best.ll + 1e-9) best = { params, ll };
    }
  }
  let threshold = 0.99;
  for (const t of THRESHOLDS.filter((x) => x >= minThreshold)) {
    if (outcome(samples, best.params, t).wrongPct <= maxWrongPct - margin) {
      threshold = t;
      break;
    }
  }
  return { params: best.params, threshold, logLikelihood: best.ll };
}

/** Reliability table: per confidence bin, how often the best state was right. */
export function reliability(
  samples: readonly StateSample[],
  params: StateParams,
  bins = [0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.01],
) {
  return bins.slice(0, -1).map((lo, i) => {
    const hi = bins[i + 1]!;
    const inBin = samples
      .map((s) => ({ s, e: estimateState(s.lines, s.plate, params) }))
      .filter(({ e }) => e.confidence >= lo && e.confidence < hi);
    return {
      range: `${lo}-${Math.min(1, hi)}`,
      n: inBin.length,
      meanConfidence: inBin.length ? inBin.reduce((a, { e }) => a + e.confidence, 0) / inBin.length : 0,
      accuracy: inBin.length ? inBin.filter(({ s, e }) => e.best === s.expected).length / inBin.length : 0,
    };
  });
}
