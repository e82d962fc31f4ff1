import type { Logger } from '../log.js';
import type { Service } from '../service.js';
import type { Db } from '../store/database.js';
import type { ReadStore } from '../store/reads.js';
import type { StoredRead } from '../store/types.js';
import type { HitLog } from '../alerts/hits.js';
import type { HotlistsConfig } from './config.js';
import { Matcher, type MatchInput } from './match.js';
import { canFallBehind, isStale, listAgeHours } from './currency.js';
import type { HotlistStore } from './store.js';
import type { AuditSink, HotlistInfo } from './types.js';
import { steadyClockFor } from '../util/clock.js';

export interface ListCurrency extends HotlistInfo {
  ageHours: number;
  stale: boolean;
}

/**
 * Matches every committed read against the active lists and raises hits; notices lists that
 * changed (imported by this process, the CLI or sync) and re-checks recent reads against them;
 * warns and audits when a list is older than the limit (IV.C.1); expires unanswered hits.
 */
export class HotlistService implements Service {
  readonly name = 'hotlist';
  readonly matcher: Matcher;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private known = new Map<string, string>();
  private staleWarned = new Set<string>();
  /**
   * When this process stored its reads, on the steady clock: one mark (steady time, first read
   * seq) per slice of the re-check window, pruned past the window, so a bounded number of marks
   * (about 1000) whatever the read rate. Reads after `startSeq` are re-checked by these, not by
   * their wall-clock `ts`, which a step of the clock after boot moves by hours.
   */
  private marks: { at: number; seq: number }[] = [];
  /** The last read seq stored before start, and both clocks then (for reads of an earlier run). */
  private startSeq = 0;
  private startWall = 0;
  private startSteady = 0;
  matched = 0;

  constructor(
    private readonly deps: {
      db: Db;
      reads: ReadStore;
      store: HotlistStore;
      hits: HitLog;
      config: HotlistsConfig;
      audit: AuditSink;
      log: Logger;
      now?: () => number;
      /**
       * The steady (monotonic) clock the re-check window is measured on; by default the monotonic
       * clock, or `now` when only that is injected (a test's clock, which never steps).
       */
      steady?: () => number;
      /** How often list changes, staleness and hit expiry are checked. */
      tickMs?: number;
    },
  ) {
    this.matcher = new Matcher(deps.store, deps.config);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private steady(): number {
    const now = this.deps.now;
    return (this.deps.steady ?? steadyClockFor(now))();
  }

  private windowMs(): number {
    return this.deps.config.recheckWindowMinutes * 60_000;
  }

  async start(): Promise<void> {
    this.known = this.deps.store.activeStamps();
    this.startSeq =
      (this.deps.db.prepare('SELECT last FROM read_seq WHERE id = 1').pluck().get() as number | undefined) ??
      0;
    this.startWall = this.now();
    this.startSteady = this.steady();
    this.marks = [];
    this.unsubscribe = this.deps.reads.onRead((read) => {
      this.noteStored(read.seq);
      this.onRead(read);
    });
    this.tick();
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether a read about to be stored matches an entry: it will raise a hit (or a suppressed repeat). */
  wouldHit(read: MatchInput): boolean {
    try {
      return this.matcher.match(read, this.now()).length > 0;
    } catch (err) {
      // Keeping the overview costs only disk: when in doubt, keep it.
      this.deps.log.error({ err }, 'hotlist lookup before storing failed');
      return true;
    }
  }

  /** Match one read; raise a hit per matching entry. Errors are logged: a read is never lost over a hit. */
  onRead(read: StoredRead, opts: { retroactive?: boolean; onlyLists?: Set<string> } = {}): number {
    try {
      let raised = 0;
      for (const m of this.matcher.match(read, this.now())) {
        if (opts.onlyLists && !opts.onlyLists.has(m.entry.list.id)) continue;
        if (this.deps.hits.raise(read, m, { retroactive: opts.retroactive })) raised++;
      }
      this.matched++;
      return raised;
    } catch (err) {
      this.deps.log.error({ err, readId: read.id }, 'hotlist matching failed');
      return 0;
    }
  }

  /** Marks when a read was stored, on the steady clock, for the re-check window. */
  private noteStored(seq: number): void {
    const at = this.steady();
    const slice = Math.max(1000, this.windowMs() / 1000);
    const last = this.marks.at(-1);
    if (!last || at - last.at >= slice) this.marks.push({ at, seq });
    while (this.marks.length > 1 && this.marks[0]!.at + slice <= at - this.windowMs()) this.marks.shift();
  }

  /**
   * Ids of the reads of the re-check window, in commit order. Reads stored by this process are
   * chosen by when they were stored, on the steady clock: a step of the wall clock (the GPS setting
   * it hours forward after boot, NTP setting it back) neither hides a read made minutes ago nor
   * brings back hours of old ones. Up to one mark's slice (a thousandth of the window, at least a
   * second) more may be re-checked, never less. Reads from before the process started
   * have only their wall-clock `ts`: none once the process has run for the whole window, and
   * otherwise those no older than the window both by the clock now and by the clock at start (a
   * step back since does not widen it).
   */
  private windowReads(): string[] {
    const steadyNow = this.steady();
    const from = steadyNow - this.windowMs();
    const slice = Math.max(1000, this.windowMs() / 1000);
    const first = this.marks.find((m) => m.at + slice > from);
    const ids: string[] = [];
    const up = steadyNow - this.startSteady;
    if (up < this.windowMs()) {
      const since = Math.max(this.now() - this.windowMs(), this.startWall - (this.windowMs() - up));
      ids.push(
        ...(this.deps.db
          .prepare('SELECT id FROM reads WHERE seq <= ? AND ts >= ? ORDER BY seq')
          .pluck()
          .all(this.startSeq, since) as string[]),
      );
    }
    if (first) {
      ids.push(
        ...(this.deps.db
          .prepare('SELECT id FROM reads WHERE seq >= ? ORDER BY seq')
          .pluck()
          .all(first.seq) as string[]),
      );
    }
    return ids;
  }

  /** Periodic work; also called after an import in this process so the re-check starts at once. */
  tick(): void {
    try {
      this.recheckChangedLists();
      // Open hits whose entry a list change took off (or that expired) are withdrawn: the
      // officer is told before anything is confirmed against a list the unit no longer holds.
      const withdrawn = this.deps.hits.withdrawDelisted();
      if (withdrawn > 0) this.deps.log.info({ withdrawn }, 'hits withdrawn: their entries left the lists');
      this.checkCurrency();
      const expired = this.deps.hits.expireDue();
      // The console shows them as missed; the journal should say so too.
      if (expired > 0) this.deps.log.warn({ expired }, 'hits expired before an officer verified them');
    } catch (err) {
      this.deps.log.error({ err }, 'hotlist housekeeping failed');
    }
  }

  /**
   * Lists that changed since the last look (a new version or a delta): re-check reads of the
   * window against them. Not the unit's own manual entries: looking for a plate someone just
   * typed in among stored reads is an LPR inquiry, done only with a purpose, a case number and
   * an attestation, and logged (policy III.B, VI.E; `lookBack`).
   */
  recheckChangedLists(): number {
    const current = this.deps.store.activeStamps();
    const local = new Set(
      this.deps.store
        .lists()
        .filter((l) => !canFallBehind(l))
        .map((l) => l.id),
    );
    const changed = new Set<string>();
    for (const [id, v] of current) if (this.known.get(id) !== v && !local.has(id)) changed.add(id);
    this.known = current;
    if (changed.size === 0 || this.deps.config.recheckWindowMinutes <= 0) return 0;
    // Newest first: of several reads of one car the latest (where it was last seen) alerts, and
    // the earlier ones are recorded as suppressed repeats of it (its earlier sightings).
    const ids = this.windowReads().reverse();
    let raised = 0;
    for (const id of ids) {
      const read = this.deps.reads.get(id);
      if (read) raised += this.onRead(read, { retroactive: true, onlyLists: changed });
    }
    this.deps.log.info(
      { lists: [...changed], reads: ids.length, raised },
      'hotlist changed: recent reads re-checked',
    );
    return raised;
  }

  /**
   * Match reads an inquiry returned against one list, as retroactive hits (the watch list's look
   * back); newest first, as `recheckChangedLists`.
   */
  lookBack(reads: StoredRead[], listId: string): number {
    let raised = 0;
    for (const read of [...reads].sort((a, b) => b.seq - a.seq))
      raised += this.onRead(read, { retroactive: true, onlyLists: new Set([listId]) });
    return raised;
  }

  currency(): ListCurrency[] {
    const now = this.now();
    return this.deps.store.lists().map((l) => {
      const ageHours = listAgeHours(l, now);
      return { ...l, ageHours, stale: isStale(l, now, this.deps.config.maxAgeHours) };
    });
  }

  private checkCurrency(): void {
    for (const l of this.currency()) {
      const key = `${l.id}@${l.version}`;
      if (!l.stale || this.staleWarned.has(key)) continue;
      this.staleWarned.add(key);
      this.deps.log.warn(
        { list: l.id, version: l.version, ageHours: Math.round(l.ageHours * 10) / 10 },
        'hotlist is older than the limit',
      );
      this.deps.audit.append({
        type: 'hotlist.stale',
        actor: 'system',
        details: {
          list: l.id,
          version: l.version,
          ageHours: Math.round(l.ageHours * 10) / 10,
          maxAgeHours: this.deps.config.maxAgeHours,
        },
      });
    }
  }

  health(): Record<string, unknown> {
    return {
      lists: this.currency().map((l) => ({
        id: l.id,
        version: l.version,
        entries: l.entryCount,
        ageHours: Math.round(l.ageHours * 10) / 10,
        stale: l.stale,
      })),
      readsMatched: this.matched,
      openHits: this.deps.hits.open().length,
    };
  }
}
