import { matchStateWords, type WordMatch } from './match.js';
import { statesFitting, type FormatTable } from './formats.js';
import { STATE_CODES } from './states.js';

export interface StateParams {
  homeState?: string | undefined;
  homePrior: number;
  textWeight: number;
  formatWeight: number;
  minSimilarity: number;
  formats: FormatTable;
}

export interface StateEstimate {
  /** Most probable state, whatever its probability (the threshold is applied by the caller). */
  best: string;
  /** Its posterior probability: the calibrated confidence. */
  confidence: number;
  /** The three most probable states with their probabilities. */
  top: { state: string; p: number }[];
  /** Probability of every state. */
  posterior: Record<string, number>;
  matches: WordMatch[];
}

/** A line counts for at most this much evidence: one state name plus one slogan is plenty. */
const MAX_LINES = 2;

/**
 * Text evidence per state: for each printed line, the best phrase match of that state scaled to
 * (0, 1] above the similarity floor; summed over the state's best lines.
 */
export function textEvidence(matches: readonly WordMatch[], minSimilarity: number): Map<string, number> {
  const perLine = new Map<string, Map<number, number>>();
  for (const m of matches) {
    const q = Math.min(1, (m.similarity - minSimilarity) / (1 - minSimilarity));
    if (q <= 0) continue;
    const lines = perLine.get(m.state) ?? new Map<number, number>();
    lines.set(m.line, Math.max(lines.get(m.line) ?? 0, q));
    perLine.set(m.state, lines);
  }
  const out = new Map<string, number>();
  for (const [state, lines] of perLine) {
    const best = [...lines.values()].sort((a, b) => b - a).slice(0, MAX_LINES);
    out.set(
      state,
      best.reduce((s, q) => s + q, 0),
    );
  }
  return out;
}

/**
 * Posterior over every state from three independent sources, as in naive Bayes:
 * log P(s) = log prior(s) + textWeight * evidence(s) + log formatWeight * [plate fits s] - log Z.
 * The prior is uniform, or `homePrior` on the unit's home state and the rest shared evenly.
 */
export function estimateState(lines: readonly string[], plate: string, params: StateParams): StateEstimate {
  const matches = matchStateWords(lines, params.minSimilarity);
  const evidence = textEvidence(matches, params.minSimilarity);
  const fitting = new Set(plate ? statesFitting(plate, params.formats) : []);
  const n = STATE_CODES.length;
  const home = params.homeState && STATE_CODES.includes(params.homeState) ? params.homeState : undefined;
  const logFormat = Math.log(params.formatWeight);
  const scores = STATE_CODES.map((code) => {
    const prior = home ? (code === home ? params.homePrior : (1 - params.homePrior) / (n - 1)) : 1 / n;
    return (
      Math.log(Math.max(prior, 1e-9)) +
      params.textWeight * (evidence.get(code) ?? 0) +
      (fitting.has(code) ? logFormat : 0)
    );
  });
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const z = exp.reduce((a, b) => a + b, 0);
  const ranked = STATE_CODES.map((state, i) => ({ state, p: exp[i]! / z })).sort((a, b) => b.p - a.p);
  const posterior = Object.fromEntries(ranked.map((r) => [r.state, r.p]));
  return { best: ranked[0]!.state, confidence: ranked[0]!.p, top: ranked.slice(0, 3), posterior, matches };
}
