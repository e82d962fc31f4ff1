/** Character substitutions between an expected and a read plate of the same length ("0→O"). */
export function substitutions(expected: string, read: string): string[] {
  if (expected.length !== read.length) return [];
  const out: string[] = [];
  for (let i = 0; i < expected.length; i++)
    if (expected[i] !== read[i]) out.push(`${expected[i]}→${read[i]}`);
  return out;
}

export function pct(n: number, d: number): number {
  return d === 0 ? 0 : Math.round((1000 * n) / d) / 10;
}

/**
 * The Wilson score interval of a proportion of k in n, in %, rounded to 0.1: where the true rate
 * lies with 95 % confidence. On the sets at hand (78 frames, 101 crops) it spans 10 to 15 points:
 * too wide to choose between two models or rules that differ by a frame or two.
 */
export function wilsonInterval(k: number, n: number): [number, number] {
  if (n === 0) return [0, 100];
  const z = 1.959964; // two-sided 95 %
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = p + (z * z) / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  const round = (x: number) => Math.round(Math.min(100, Math.max(0, (100 * x) / denominator)) * 10) / 10;
  return [round(centre - half), round(centre + half)];
}
