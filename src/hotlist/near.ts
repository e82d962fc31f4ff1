import { reverse } from './normalise.js';

/**
 * Finding entries within N character differences (insert, delete, substitute; N ≤ 3) of a read,
 * in equivalence-key space, without reading the whole list.
 *
 * Pigeonhole: split the read's key Q into Q1|Q2. The best alignment of Q with an entry's key E
 * splits E into E1|E2 with ed(Q1,E1) + ed(Q2,E2) = ed(Q,E) ≤ N. For any t1 + t2 = N - 1, either
 * ed(Q1,E1) ≤ t1 or ed(Q2,E2) ≤ t2 (else the sum would be ≥ N + 1). So E starts with a string
 * within t1 edits of Q1 (a prefix scan of the key index) or ends with one within t2 edits of Q2 (a
 * prefix scan of the reversed-key index):
 *
 * - N = 1: t1 = t2 = 0: one prefix scan with Q1 and one with reversed Q2. (The store answers
 *   N = 1 with a more selective search instead, see HotlistStore.oneEditKeys: a 2–3 character
 *   Q1 reads thousands of rows of a national list.)
 * - N = 2: t1 = 0, t2 = 1: one prefix scan with a short Q1 (2–3 characters), and the 1-edit
 *   neighbourhood of a longer Q2 on the reversed key.
 * - N = 3: t1 = t2 = 1: the 1-edit neighbourhoods of both halves.
 *
 * Every candidate is then confirmed with a bounded edit distance.
 */

/** A prefix of this many characters is scanned as a whole instead of enumerating every character after it. */
const MIN_SCAN = 3;

/** The most differences a read of this many (key) characters may have: at most about one in three, and never so many that a scan would read a large part of a list. */
export function maxDifferencesForLength(length: number): number {
  return Math.max(0, Math.min(3, Math.floor((length - 2) / 2)));
}

export interface NearScanPlan {
  /** Prefixes of the equivalence key to scan. */
  keyPrefixes: string[];
  /** Prefixes of the reversed key to scan. */
  reversedPrefixes: string[];
  minLength: number;
  maxLength: number;
}

/** Index scans that find every key within `n` edits of `key` (and some more, to be confirmed). */
export function planNearScan(key: string, n: number, alphabet: readonly string[]): NearScanPlan | null {
  const L = key.length;
  const N = Math.min(n, maxDifferencesForLength(L));
  if (N < 1) return null;
  let split: number;
  let t1: number;
  let t2: number;
  if (N === 1) [split, t1, t2] = [Math.floor(L / 2), 0, 0];
  // A short exact side and a long neighbourhood side scan the fewest rows (the neighbourhood's
  // deletions shorten its prefixes by one).
  else if (N === 2) [split, t1, t2] = [Math.min(3, Math.max(2, L - 4)), 0, 1];
  else [split, t1, t2] = [Math.floor(L / 2), 1, 1];
  const q1 = key.slice(0, split);
  const q2r = reverse(key.slice(split));
  return {
    keyPrefixes: prune(t1 > 0 ? neighbourhood(q1, alphabet) : [q1]),
    reversedPrefixes: prune(t2 > 0 ? neighbourhood(q2r, alphabet) : [q2r]),
    minLength: L - N,
    maxLength: L + N,
  };
}

/**
 * Prefixes covering every string within one edit of `q`. An edit at position i ≥ MIN_SCAN keeps
 * q's first i characters, so that prefix covers all of them; earlier edits are enumerated.
 */
export function neighbourhood(q: string, alphabet: readonly string[]): string[] {
  const out = new Set<string>([q]);
  addEdits(q, alphabet, Math.min(q.length, MIN_SCAN - 1), out);
  if (q.length >= MIN_SCAN) out.add(q.slice(0, MIN_SCAN));
  return [...out];
}

/** Every string exactly one edit from `q` (substitution, insertion, deletion), without `q`. */
export function neighbourhoodExact(q: string, alphabet: readonly string[]): string[] {
  const out = new Set<string>();
  addEdits(q, alphabet, q.length, out);
  out.delete(q);
  return [...out];
}

/** Add to `out` every one-edit variant of `q` with the edit at positions 0..last. */
function addEdits(q: string, alphabet: readonly string[], last: number, out: Set<string>): void {
  for (let i = 0; i <= last; i++) {
    const head = q.slice(0, i);
    for (const c of alphabet) {
      out.add(head + c + q.slice(i)); // inserted before position i
      if (i < q.length) out.add(head + c + q.slice(i + 1)); // substituted at i
    }
    if (i < q.length) out.add(head + q.slice(i + 1)); // deleted at i
  }
}

/** Drop prefixes that extend another one in the set (its scan already covers them). */
function prune(prefixes: string[]): string[] {
  const sorted = [...new Set(prefixes)].sort();
  const out: string[] = [];
  for (const p of sorted) {
    const last = out.at(-1);
    if (last !== undefined && p.startsWith(last)) continue;
    out.push(p);
  }
  // An empty or one-character prefix would read much of a list; maxDifferencesForLength keeps
  // every part long enough that this cannot happen.
  if (out.some((p) => p.length < 2)) throw new Error(`near scan: prefix too short (${out.join(',')})`);
  return out;
}

const rowA = new Int32Array(32);
const rowB = new Int32Array(32);

/** Edit distance of `a` and `b` if it is at most `max`, else `max + 1` (short strings: plates). */
export function boundedEditDistance(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (lb >= rowA.length) return Math.min(exactDistance(a, b), max + 1);
  let prev = rowA;
  let cur = rowB;
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const sub = prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const v = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[lb]!, max + 1);
}

function exactDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1), prev[j]! + 1, cur[j - 1]! + 1);
    prev = cur;
  }
  return prev[b.length]!;
}
