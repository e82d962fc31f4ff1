import type { Candidate } from '../store/types.js';
import type { HotlistsConfig } from './config.js';
import { Equivalence, normalisePlate } from './normalise.js';
import { boundedEditDistance, maxDifferencesForLength } from './near.js';
import type { ActiveEntry, HotlistStore } from './store.js';
import type { ListType } from './types.js';

export type MatchRule = 'exact' | 'equivalent' | 'differences';

/** One character where the reading and the entry differ. Positions are 1-based in the reading. */
export interface MatchDifference {
  position: number;
  read: string;
  entry: string;
  /** equivalent: an OCR-confusable pair (0/O); substitution: another character; extra: only in the reading; missing: only in the entry. */
  kind: 'equivalent' | 'substitution' | 'extra' | 'missing';
}

export interface Match {
  entry: ActiveEntry;
  rule: MatchRule;
  /** best: the read's plate text; candidate: one of its alternative readings. */
  via: 'best' | 'candidate';
  matchedText: string;
  differences: MatchDifference[];
  /** The read has no state, so only the plate was compared (the officer must check the state). */
  stateNotRead: boolean;
}

export interface MatchInput {
  plate: string;
  state: string | null;
  candidates?: Candidate[];
}

const RULE_RANK: Record<MatchRule, number> = { exact: 0, equivalent: 1, differences: 2 };

/**
 * Matches a read against every active list: exact, OCR-equivalent characters, and (per list type)
 * up to three character differences; the read's best text first, then its top candidates. Each
 * match says which rule matched and which characters differ.
 */
export class Matcher {
  readonly equivalence: Equivalence;

  constructor(
    readonly store: HotlistStore,
    private readonly config: Pick<
      HotlistsConfig,
      'maxDifferences' | 'defaultMaxDifferences' | 'exactOnlyAbove' | 'candidates'
    >,
  ) {
    this.equivalence = store.equivalence;
  }

  /**
   * Differences tolerated for an entry of this list type on a list of this size, for a reading of
   * `readLength` characters (short readings tolerate fewer: see maxDifferencesForLength).
   */
  allowedDifferences(type: ListType, listSize: number, readLength = Infinity): number {
    if (listSize > this.config.exactOnlyAbove) return 0;
    const configured = this.config.maxDifferences[type] ?? this.config.defaultMaxDifferences;
    return Math.min(configured, maxDifferencesForLength(readLength));
  }

  /** The most differences any list type may have: how far the index search has to look. */
  private mostDifferences(): number {
    return Math.max(
      this.config.defaultMaxDifferences,
      ...Object.values(this.config.maxDifferences).map((n) => n ?? 0),
    );
  }

  /** `now` is wall clock: an entry expires at a time its list gives (a time from elsewhere). */
  match(input: MatchInput, now = Date.now()): Match[] {
    // Before the read transaction: making the keys this config's is a write.
    this.store.ensureKeys();
    // One read transaction: every probe sees the same snapshot, so a list flipping mid-match
    // gives the old version's hits or the new one's, never a mix.
    return this.store.db.transaction(() => this.matchInSnapshot(input, now))();
  }

  private matchInSnapshot(input: MatchInput, now: number): Match[] {
    const texts: { text: string; via: 'best' | 'candidate' }[] = [];
    const seen = new Set<string>();
    const push = (raw: string, via: 'best' | 'candidate') => {
      const t = normalisePlate(raw);
      if (t.length === 0 || seen.has(t)) return;
      seen.add(t);
      texts.push({ text: t, via });
    };
    push(input.plate, 'best');
    for (const c of (input.candidates ?? []).slice(0, this.config.candidates + 1)) push(c.plate, 'candidate');
    const stateRead = input.state ? input.state.toUpperCase() : null;
    const best = new Map<number, Match>();
    const consider = (m: Match) => {
      const prev = best.get(m.entry.id);
      if (!prev || rank(m) < rank(prev)) best.set(m.entry.id, m);
    };
    const most = this.mostDifferences();
    for (const { text, via } of texts) {
      const key = this.equivalence.key(text);
      for (const e of this.store.lookupKey(key, now)) {
        if (!stateOk(e, stateRead)) continue;
        consider({
          entry: e,
          rule: e.plate === text ? 'exact' : 'equivalent',
          via,
          matchedText: text,
          differences: this.differences(text, e.plate),
          stateNotRead: stateRead === null,
        });
      }
      const n = Math.min(most, maxDifferencesForLength(key.length));
      if (n < 1) continue;
      for (const [id, k] of this.store.nearKeys(key, n)) {
        if (k === key) continue; // found by the key lookup above
        // Counted in key space: look-alike characters are not differences.
        const d = boundedEditDistance(k, key, n);
        if (d > n) continue;
        const e = this.store.activeEntry(id, now);
        if (!e || !stateOk(e, stateRead)) continue;
        if (d > this.allowedDifferences(e.listType, e.list.entryCount, key.length)) continue;
        consider({
          entry: e,
          rule: 'differences',
          via,
          matchedText: text,
          differences: this.differences(text, e.plate),
          stateNotRead: stateRead === null,
        });
      }
    }
    return [...best.values()].sort((a, b) => a.entry.priority - b.entry.priority || rank(a) - rank(b));
  }

  /** Character-level alignment of reading and entry (edit distance where equivalent pairs cost nothing). */
  differences(read: string, entry: string): MatchDifference[] {
    const n = read.length;
    const m = entry.length;
    const d: number[][] = Array.from({ length: n + 1 }, (_, i) =>
      Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= n; i++) {
      for (let j = 1; j <= m; j++) {
        const sub = this.equivalence.same(read[i - 1]!, entry[j - 1]!) ? 0 : 1;
        d[i]![j] = Math.min(d[i - 1]![j - 1]! + sub, d[i - 1]![j]! + 1, d[i]![j - 1]! + 1);
      }
    }
    const out: MatchDifference[] = [];
    let i = n;
    let j = m;
    while (i > 0 || j > 0) {
      const r = read[i - 1];
      const e = entry[j - 1];
      if (i > 0 && j > 0 && r !== undefined && e !== undefined) {
        const same = this.equivalence.same(r, e);
        if (d[i]![j] === d[i - 1]![j - 1]! + (same ? 0 : 1)) {
          if (r !== e)
            out.push({ position: i, read: r, entry: e, kind: same ? 'equivalent' : 'substitution' });
          i--;
          j--;
          continue;
        }
      }
      if (i > 0 && d[i]![j] === d[i - 1]![j]! + 1) {
        out.push({ position: i, read: read[i - 1]!, entry: '', kind: 'extra' });
        i--;
      } else {
        out.push({ position: i + 1, read: '', entry: entry[j - 1]!, kind: 'missing' });
        j--;
      }
    }
    return out.reverse();
  }
}

/** Lower is better: the rule, then fewer real differences, then the best reading over a candidate. */
function rank(m: Match): number {
  const real = m.differences.filter((d) => d.kind !== 'equivalent').length;
  return RULE_RANK[m.rule] * 100 + real * 2 + (m.via === 'best' ? 0 : 1);
}

function stateOk(e: ActiveEntry, stateRead: string | null): boolean {
  return e.state === null || stateRead === null || e.state === stateRead;
}
