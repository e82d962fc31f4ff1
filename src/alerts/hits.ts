import { randomUUID } from 'node:crypto';
import { steadyClockFor } from '../util/clock.js';
import type { Db } from '../store/database.js';
import type { StoredRead } from '../store/types.js';
import type { HotlistsConfig } from '../hotlist/config.js';
import type { Match, MatchDifference, MatchRule } from '../hotlist/match.js';
import type { HotlistStore } from '../hotlist/store.js';
import type { AuditSink, EntryInput, ListType } from '../hotlist/types.js';
import { hitAuditType, type HitAction } from './audit-types.js';

export type HitStatus =
  'raised' | 'seen' | 'verified' | 'rejected' | 'expired' | 'suppressed' | 'withdrawn' | 'superseded';

/** One officer's confirmation of the plate or the state: each officer's stand on their own. */
export interface HitConfirmation {
  officer: string;
  what: 'plate' | 'state';
  at: number;
}

/** The hotlists as they are now (the HotlistStore), to tell whether a hit's entry still stands. */
export type ListedEntries = Pick<HotlistStore, 'list' | 'findInList'>;

export interface Hit {
  id: string;
  seq: number;
  readId: string;
  entryId: number;
  entry: EntryInput & { id: number };
  listId: string;
  listVersion: string;
  listGeneratedAt: number;
  listType: ListType;
  priority: number;
  readPlate: string;
  readState: string | null;
  matchedText: string;
  via: 'best' | 'candidate';
  rule: MatchRule;
  differences: MatchDifference[];
  stateNotRead: boolean;
  retroactive: boolean;
  duplicateOf: string | null;
  status: HitStatus;
  raisedAt: number;
  /** The deadline: hitExpiryMinutes after it was raised, moved later while an officer works it. */
  expiresAt: number;
  seenAt: number | null;
  seenBy: string | null;
  /** Every officer's confirmations; only the verifying officer's own count for verifying. */
  confirmations: HitConfirmation[];
  /** The latest confirmation of the plate and of the state, by whoever gave it (or, once verified, the verifier's). */
  plateConfirmedAt: number | null;
  plateConfirmedBy: string | null;
  stateConfirmedAt: number | null;
  stateConfirmedBy: string | null;
  decidedAt: number | null;
  decidedBy: string | null;
  rejectReason: string | null;
  rejectText: string | null;
  /** An expired hit: when and by whom the officer acknowledged the console's notice of it. */
  expiryAckedAt: number | null;
  expiryAckedBy: string | null;
  /** Status "withdrawn": why no stop may be made on it (its entry removed from its list, or expired). */
  withdrawnReason: string | null;
  /** Status "superseded": the hit of a newer sighting of the same car that took its place. */
  supersededBy: string | null;
}

export interface HitEvent {
  ts: number;
  actor: string;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  details: Record<string, unknown>;
}

/** A refused lifecycle request; `status` is the HTTP status the console answers with. */
export class HitError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409 | 400,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

export type HitListener = (hit: Hit, change: { action: string; alert: boolean }) => void;

const OPEN: HitStatus[] = ['raised', 'seen'];
/** The rejection reason saying the car is in hand under another alert: nothing suppressed behind it alerts. */
const REJECT_DUPLICATE = 'duplicate';
/** However long officers keep working a hit, it expires by this many times hitExpiryMinutes after it was raised. */
const MAX_EXPIRY_FACTOR = 2;
/** Every read of a hit row, with its officers' confirmations (a JSON array). */
const HIT_ROW = `hits.*, (SELECT json_group_array(json_object('officer', officer, 'what', what, 'at', at))
  FROM hit_confirmations c WHERE c.hit_id = hits.id) AS confirmations`;

/**
 * The hit lifecycle (policy IV.C.2): raised → seen → verified (only after the plate AND the state
 * were each confirmed by the verifying officer) | rejected (with a reason) | expired (nobody
 * answered in time) | withdrawn (its entry left the list or expired meanwhile, IV.C.1) |
 * superseded (a newer sighting of the same car took its place). Every transition is stored with
 * time and user and audited. A genuine repeat (the same car against the same entry inside the
 * duplicate window, while its hit is open or verified) is recorded as "suppressed" and does not
 * alert; see `bearing` for what is not a repeat. Rejecting the hit it repeats raises the latest
 * such read after all (`raiseAfterReject`).
 * An expired hit is never dropped silently: it records whether any console ever showed it, and
 * stays on the console as missed until an officer acknowledges it (no stop can be made from it).
 * A hit an officer is working does not expire under them: each act on it moves its deadline to
 * at least hitGraceMinutes later, up to a ceiling (`latestExpiry`).
 */
export class HitLog {
  private readonly listeners = new Set<HitListener>();

  constructor(
    private readonly db: Db,
    private readonly config: Pick<
      HotlistsConfig,
      'duplicateWindowMinutes' | 'hitExpiryMinutes' | 'hitGraceMinutes' | 'rejectionReasons'
    >,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
    // Deadlines run on a clock that never steps (NTP or the GPS setting the wall clock after boot
    // would expire every open hit at once, or keep a stale one open for the size of the step).
    // One injected clock for both (a test's) has no steps: the stored deadlines are then all
    // there is, and a test may move one.
    private readonly steady: () => number = steadyClockFor(now),
    // Without the lists (a replay's scratch log) a hit is never checked against them again.
    private readonly lists?: ListedEntries,
  ) {}

  /**
   * Steady-clock raise time and deadline of the hits raised since the process started. Hits from
   * before a restart are not in it: theirs is the stored wall-clock `expires_at`, all there is.
   */
  private readonly deadlines = new Map<string, { raised: number; deadline: number }>();

  onChange(listener: HitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(hit: Hit, action: string, alert: boolean): void {
    for (const l of this.listeners) l(hit, { action, alert });
  }

  /** Record a hit for a read; returns it (status "suppressed" when it is a duplicate), or null if this read already has it. */
  raise(read: StoredRead, match: Match, opts: { retroactive?: boolean } = {}): Hit | null {
    const e = match.entry;
    const entryKey = entryKeyOf(e.list.id, e);
    // A hit past its deadline is expired now, not at the next check: the vehicle seen again must
    // alert again, not be suppressed as its duplicate.
    this.expireDue();
    const now = this.now();
    const raised = this.db.transaction(() => {
      const already = this.db
        .prepare(`SELECT id FROM hits WHERE read_id = ? AND entry_key = ?`)
        .get(read.id, entryKey);
      if (already) return null;
      const decided = this.bearingOn(
        entryKey,
        {
          plate: read.plate,
          state: read.state,
          retroactive: !!opts.retroactive,
          hasCrop: read.cropPath !== null,
        },
        now,
      );
      const original = decided?.bearing === 'suppress' ? decided.hit : undefined;
      const replaces = decided?.bearing === 'supersede' ? decided.hit.id : null;
      const id = randomUUID();
      const status: HitStatus = original ? 'suppressed' : 'raised';
      const entry: EntryInput = {
        plate: e.plate,
        state: e.state,
        listType: e.listType,
        source: e.source,
        reference: e.reference,
        priority: e.priority,
        expiresAt: e.expiresAt,
        vehicle: e.vehicle,
        reason: e.reason,
        enteredBy: e.enteredBy,
      };
      this.db
        .prepare(
          `INSERT INTO hits (id, seq, read_id, entry_id, entry_key, entry, list_id, list_version, list_generated_at, list_type, priority,
             read_plate, read_state, matched_text, via, rule, differences, state_not_read, retroactive, duplicate_of, status, raised_at, expires_at)
           VALUES (?, (SELECT hits_last + 1 FROM hit_seq WHERE id = 1), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          read.id,
          e.id,
          entryKey,
          JSON.stringify(entry),
          e.list.id,
          e.list.version,
          e.list.generatedAt,
          e.listType,
          e.priority,
          read.plate,
          read.state,
          match.matchedText,
          match.via,
          match.rule,
          JSON.stringify(match.differences),
          match.stateNotRead ? 1 : 0,
          opts.retroactive ? 1 : 0,
          original?.id ?? null,
          status,
          now,
          now + this.config.hitExpiryMinutes * 60_000,
        );
      if (status === 'raised' && this.steady !== this.now) {
        const raised = this.steady();
        this.deadlines.set(id, { raised, deadline: raised + this.config.hitExpiryMinutes * 60_000 });
      }
      this.event(id, 'system', status === 'suppressed' ? 'suppressed' : 'raised', null, status, {
        rule: match.rule,
        via: match.via,
        duplicateOf: original?.id ?? null,
        retroactive: !!opts.retroactive,
        ...(replaces ? { supersedes: replaces } : {}),
      });
      // In the same transaction: the car is never on the console twice, nor missing from it.
      const superseded = replaces ? this.supersede(replaces, id, now) : null;
      return { hit: this.get(id)!, superseded };
    })();
    if (!raised) return null;
    const { hit: result, superseded } = raised;
    this.announceRaised(result, superseded);
    return result;
  }

  /**
   * What the open or verified hits on the entry inside the duplicate window make of a sighting
   * (`bearing`): the latest with a bearing decides. Rejected, expired, withdrawn, superseded and
   * suppressed hits have no say. Inside the caller's transaction.
   */
  private bearingOn(
    entryKey: string,
    sighting: Sighting,
    now: number,
  ): { hit: EarlierHit; bearing: 'suppress' | 'supersede' } | undefined {
    const windowStart = now - this.config.duplicateWindowMinutes * 60_000;
    const earlier = this.db
      .prepare(
        `SELECT id, status, retroactive, read_plate, read_state,
           (SELECT crop_path IS NULL FROM reads WHERE reads.id = hits.read_id) AS no_crop
         FROM hits WHERE entry_key = ? AND raised_at >= ? AND status IN ('raised', 'seen', 'verified')
         ORDER BY raised_at DESC, seq DESC`,
      )
      .all(entryKey, windowStart) as EarlierHit[];
    for (const hit of earlier) {
      const b = bearing(hit, sighting);
      if (b) return { hit, bearing: b };
    }
    return undefined;
  }

  /** `replaces` gives its place to the hit `by`, inside the caller's transaction; the hit as it is then. */
  private supersede(replaces: string, by: string, now: number): Hit | null {
    return this.change(replaces, 'system', 'superseded', now, (hit, at) => {
      this.db
        .prepare(`UPDATE hits SET status = 'superseded', decided_at = ?, superseded_by = ? WHERE id = ?`)
        .run(at, by, hit.id);
      return { to: 'superseded', details: { supersededBy: by } };
    });
  }

  /** A hit raised (or recorded as suppressed) goes to the audit log and to the listeners. */
  private announceRaised(result: Hit, superseded: Hit | null, extra: Record<string, unknown> = {}): void {
    this.audit.append({
      type: result.status === 'suppressed' ? 'hit.suppressed' : 'hit.raised',
      actor: 'system',
      details: {
        hitId: result.id,
        readId: result.readId,
        list: result.listId,
        listVersion: result.listVersion,
        listType: result.listType,
        reference: result.entry.reference,
        plate: result.readPlate,
        rule: result.rule,
        retroactive: result.retroactive,
        duplicateOf: result.duplicateOf,
        ...(superseded ? { supersedes: superseded.id } : {}),
        ...extra,
      },
    });
    this.emit(result, result.status === 'suppressed' ? 'suppressed' : 'raised', result.status === 'raised');
    if (superseded) this.announce(superseded, 'system', 'superseded');
  }

  /** Hits raised on this unit (suppressed duplicates included), for /metrics. */
  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM hits').get() as { n: number }).n;
  }

  get(id: string): Hit | undefined {
    const row = this.db.prepare(`SELECT ${HIT_ROW} FROM hits WHERE id = ?`).get(id) as HitRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * Hits waiting for an officer: most urgent first, then a car in front of the camera now before
   * one read earlier (retroactive), then oldest first (a new equal hit queues behind).
   */
  open(): Hit[] {
    const rows = this.db
      .prepare(
        `SELECT ${HIT_ROW} FROM hits WHERE status IN ('raised', 'seen')
         ORDER BY priority ASC, retroactive ASC, raised_at ASC, seq ASC`,
      )
      .all() as HitRow[];
    return rows.map(fromRow);
  }

  /**
   * The car's other reads listed with this hit, the latest stored first: the reads recorded as
   * suppressed repeats of it (later passes while it was open, or, for a list update matching
   * several recent reads, the earlier sightings behind the newest), and those of the hits it took
   * the place of (`supersede`: the car passing now replacing its retroactive alert, or a read with
   * a plate crop one without): each such hit's own read and the repeats listed under it, so the
   * officer does not lose where the car was seen when its alert is replaced. Nothing stored
   * moves: each repeat stays `duplicate_of` the hit it was recorded behind.
   */
  sightingsOf(hit: Pick<Hit, 'id' | 'raisedAt' | 'listId' | 'entry'>, limit = 20): Hit[] {
    const entryKey = entryKeyOf(hit.listId, hit.entry);
    // Only hits on the same entry supersede one another (`bearingOn`): the (entry_key, raised_at)
    // index finds them, and their repeats, without reading every hit.
    const replaced = this.db
      .prepare(
        `WITH RECURSIVE replaced(id, raised_at) AS (
           SELECT id, raised_at FROM hits WHERE entry_key = ? AND superseded_by = ? AND status = 'superseded'
           UNION
           SELECT h.id, h.raised_at FROM hits h JOIN replaced r ON h.superseded_by = r.id
             WHERE h.entry_key = ? AND h.status = 'superseded'
         )
         SELECT id, raised_at FROM replaced`,
      )
      .all(entryKey, hit.id, entryKey) as { id: string; raised_at: number }[];
    const replacedIds = replaced.map((r) => r.id);
    const behind = [hit.id, ...replacedIds];
    // A repeat is recorded after the hit it repeats was raised.
    const since = Math.min(hit.raisedAt, ...replaced.map((r) => r.raised_at));
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    return (
      this.db
        .prepare(
          `SELECT ${HIT_ROW} FROM hits WHERE entry_key = ? AND raised_at >= ?
             AND ((duplicate_of IN (${marks(behind.length)}) AND status = 'suppressed')
               OR id IN (${marks(replacedIds.length)}))
           ORDER BY (SELECT seq FROM reads WHERE reads.id = hits.read_id) DESC, seq DESC LIMIT ?`,
        )
        .all(entryKey, since, ...behind, ...replacedIds, limit) as HitRow[]
    ).map(fromRow);
  }

  recent(limit = 20): Hit[] {
    return (
      this.db.prepare(`SELECT ${HIT_ROW} FROM hits ORDER BY seq DESC LIMIT ?`).all(limit) as HitRow[]
    ).map(fromRow);
  }

  /**
   * Hits withdrawn since `since`, the latest first: the console says why an alert it had left
   * (its entry was taken off the list or expired: no stop on it).
   */
  withdrawnSince(since: number, limit = 20): Hit[] {
    return (
      this.db
        .prepare(
          `SELECT ${HIT_ROW} FROM hits WHERE status = 'withdrawn' AND decided_at >= ? ORDER BY decided_at DESC, seq DESC LIMIT ?`,
        )
        .all(since, limit) as HitRow[]
    ).map(fromRow);
  }

  events(id: string): HitEvent[] {
    const rows = this.db.prepare(`SELECT * FROM hit_events WHERE hit_id = ? ORDER BY id`).all(id) as {
      ts: number;
      actor: string;
      action: string;
      from_status: string | null;
      to_status: string;
      details: string;
    }[];
    return rows.map((r) => ({
      ts: r.ts,
      actor: r.actor,
      action: r.action,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }

  /**
   * The officer has the alert on screen: shown for the first time, or again (after a more urgent
   * alert was dealt with, or a reconnect). Either gives the officer time to work it; showing it
   * again is recorded only when that moved its deadline.
   */
  markSeen(id: string, actor: string): Hit {
    return this.transition(id, actor, 'seen', (hit, now) => {
      if (!OPEN.includes(hit.status) || this.pastDeadline(hit, now)) return null;
      const expiresAt = this.extendDeadline(hit, now);
      if (hit.status === 'seen') return expiresAt === null ? null : { to: 'seen', details: { expiresAt } };
      this.db
        .prepare(`UPDATE hits SET status = 'seen', seen_at = ?, seen_by = ? WHERE id = ?`)
        .run(now, actor, id);
      return { to: 'seen', details: expiresAt === null ? {} : { expiresAt } };
    });
  }

  /** One of the two separate confirmations: the plate characters, or the state of registration. */
  confirm(id: string, what: 'plate' | 'state', actor: string): Hit {
    this.requireListed(id);
    return this.transition(id, actor, `confirm-${what}` as const, (hit, now) => {
      this.requireOpen(hit);
      // Each officer's own: a partner confirming the same hit adds theirs, and takes no one's away.
      this.db
        .prepare(
          `INSERT INTO hit_confirmations (hit_id, officer, what, at) VALUES (?, ?, ?, ?)
           ON CONFLICT (hit_id, officer, what) DO UPDATE SET at = excluded.at`,
        )
        .run(id, actor, what, now);
      const col = what === 'plate' ? 'plate' : 'state';
      this.db
        .prepare(
          `UPDATE hits SET ${col}_confirmed_at = ?, ${col}_confirmed_by = ?, status = 'seen',
             seen_at = COALESCE(seen_at, ?), seen_by = COALESCE(seen_by, ?) WHERE id = ?`,
        )
        .run(now, actor, now, actor, id);
      const expiresAt = this.extendDeadline(hit, now);
      return { to: 'seen', details: { confirmed: what, ...(expiresAt === null ? {} : { expiresAt }) } };
    });
  }

  /**
   * Verified: only when the verifying officer gave both confirmations (policy IV.C.2: the officer
   * who makes the stop checked plate and state). Nothing else makes a hit actionable.
   */
  verify(id: string, actor: string): Hit {
    this.requireListed(id);
    return this.transition(id, actor, 'verified', (hit, now) => {
      this.requireOpen(hit);
      const mine = new Map(hit.confirmations.filter((c) => c.officer === actor).map((c) => [c.what, c.at]));
      const missing = (['plate', 'state'] as const).filter((what) => !mine.has(what));
      if (missing.length > 0) {
        const others = hit.confirmations
          .filter((c) => c.officer !== actor && missing.includes(c.what))
          .map((c) => c.officer);
        throw new HitError(
          `hit ${id} cannot be verified: ${missing.join(' and ')} not confirmed${others.length ? ` by ${actor} (confirmed by ${[...new Set(others)].join(', ')}: confirm them yourself)` : ''}`,
          409,
        );
      }
      // The row keeps the confirmations the stop was made on: the verifier's own, whoever else
      // confirmed since.
      this.db
        .prepare(
          `UPDATE hits SET status = 'verified', decided_at = ?, decided_by = ?, plate_confirmed_by = ?,
             plate_confirmed_at = ?, state_confirmed_by = ?, state_confirmed_at = ? WHERE id = ?`,
        )
        .run(now, actor, actor, mine.get('plate'), actor, mine.get('state'), id);
      return { to: 'verified', details: { plateConfirmedBy: actor, stateConfirmedBy: actor } };
    });
  }

  /**
   * Rejected, with a reason. A later read of the same car that was suppressed behind this hit (it
   * was open, so the car seemed in hand) is no repeat any more: the latest such read alerts now, as
   * a read coming a moment after the reject would (`raiseAfterReject`).
   */
  reject(id: string, reason: string, text: string | null, actor: string): Hit {
    const now = this.now();
    const done = this.db.transaction(() => {
      const rejected = this.change(id, actor, 'rejected', now, (hit, at) => {
        this.requireOpen(hit);
        if (!this.config.rejectionReasons.includes(reason)) {
          throw new HitError(
            `rejection reason "${reason}" is not one of: ${this.config.rejectionReasons.join(', ')}`,
            400,
          );
        }
        const t = text?.trim() || null;
        if (reason === 'other' && !t)
          throw new HitError(`rejection reason "other" needs a text saying why`, 400);
        this.db
          .prepare(
            `UPDATE hits SET status = 'rejected', decided_at = ?, decided_by = ?, reject_reason = ?, reject_text = ? WHERE id = ?`,
          )
          .run(at, actor, reason, t, id);
        return { to: 'rejected', details: { reason, text: t } };
      })!;
      return { rejected, again: this.raiseAfterReject(rejected, reason, now) };
    })();
    this.announce(done.rejected, actor, 'rejected');
    if (done.again)
      this.announceRaised(done.again.hit, done.again.superseded, { afterRejectOf: done.rejected.id });
    return done.rejected;
  }

  /**
   * After `rejected` was rejected: the latest read suppressed behind it alerts, so a real sighting
   * of the car is not lost because an officer was working another read of it. Only
   * - a read stored after the rejected hit's read: the car seen again since. Earlier sightings
   *   (a list update matching several reads alerts on the newest) were listed with the alert the
   *   officer rejected, and are no newer news of the car;
   * - the latest of them (by when it was stored; the others stay suppressed, as repeats of it);
   * - one recorded no more than hitExpiryMinutes ago: a hit raised for it then would still be open;
   * - not after the reason "duplicate": the officer has this car in hand under another alert;
   * - while its entry still stands on its list (`delisted`);
   * - and only when no other open or verified hit on the entry bears on it (`bearing`): a verified
   *   hit still holds it back, and it supersedes a hit it would have superseded when it came.
   * It keeps its id and read: suppressed → raised, its deadline counted from now. Inside the
   * caller's transaction; null when no read qualifies.
   */
  private raiseAfterReject(
    rejected: Hit,
    reason: string,
    now: number,
  ): { hit: Hit; superseded: Hit | null } | null {
    if (reason === REJECT_DUPLICATE) return null;
    const expiryMs = this.config.hitExpiryMinutes * 60_000;
    const candidate = this.db
      .prepare(
        `SELECT h.id, h.entry_key, h.raised_at, h.retroactive, h.read_plate, h.read_state,
           r.crop_path IS NOT NULL AS has_crop
         FROM hits h JOIN reads r ON r.id = h.read_id
         WHERE h.duplicate_of = ? AND h.status = 'suppressed' AND h.raised_at > ?
           AND r.seq > (SELECT seq FROM reads WHERE id = ?)
         ORDER BY r.seq DESC, h.seq DESC LIMIT 1`,
      )
      .get(rejected.id, now - expiryMs, rejected.readId) as
      | {
          id: string;
          entry_key: string;
          raised_at: number;
          retroactive: number;
          read_plate: string;
          read_state: string | null;
          has_crop: number;
        }
      | undefined;
    // Its entry must still stand: one taken off the list (or expired) alerts no more.
    if (!candidate || this.delisted(this.get(candidate.id)!, now)) return null;
    const decided = this.bearingOn(
      candidate.entry_key,
      {
        plate: candidate.read_plate,
        state: candidate.read_state,
        retroactive: candidate.retroactive === 1,
        hasCrop: candidate.has_crop === 1,
      },
      now,
    );
    if (decided?.bearing === 'suppress') return null;
    const replaces = decided?.bearing === 'supersede' ? decided.hit.id : null;
    const hit = this.change(candidate.id, 'system', 'raised', now, (h, at) => {
      this.db
        .prepare(
          `UPDATE hits SET status = 'raised', duplicate_of = NULL, raised_at = ?, expires_at = ? WHERE id = ?`,
        )
        .run(at, at + expiryMs, h.id);
      return {
        to: 'raised',
        details: {
          afterRejectOf: rejected.id,
          suppressedAt: h.raisedAt,
          raisedAt: at,
          expiresAt: at + expiryMs,
          ...(replaces ? { supersedes: replaces } : {}),
        },
      };
    })!;
    if (this.steady !== this.now) {
      const raised = this.steady();
      this.deadlines.set(hit.id, { raised, deadline: raised + expiryMs });
    }
    return { hit, superseded: replaces ? this.supersede(replaces, hit.id, now) : null };
  }

  /**
   * Open hits past their deadline become expired. Returns how many. Each says whether any console
   * ever had it on screen (`neverShown`: nobody was told of it) and how far an officer got with it.
   */
  expireDue(): number {
    const now = this.now();
    const steadyNow = this.steady();
    const open = this.db
      .prepare(`SELECT id, expires_at FROM hits WHERE status IN ('raised', 'seen')`)
      .all() as { id: string; expires_at: number }[];
    const due = open.filter(({ id, expires_at }) => {
      const steady = this.deadlines.get(id);
      return steady ? steady.deadline <= steadyNow : expires_at <= now;
    });
    for (const { id } of due) {
      this.deadlines.delete(id);
      this.transition(id, 'system', 'expired', (hit, at) => {
        if (!OPEN.includes(hit.status)) return null;
        this.db.prepare(`UPDATE hits SET status = 'expired', decided_at = ? WHERE id = ?`).run(at, id);
        return { to: 'expired', details: expiryDetails(hit) };
      });
    }
    return due.length;
  }

  /**
   * Expired hits no officer has acknowledged yet, the latest expiry first (the console's "missed"):
   * at most `limit` of them, with how many there are in all and how many of all those no console
   * ever showed (`neverShown` counts every one, not only those listed).
   */
  missed(limit = 50): { total: number; neverShown: number; expiredEver: number; hits: Hit[] } {
    const where = `status = 'expired' AND expiry_acked_at IS NULL`;
    const counts = this.db
      .prepare(
        `SELECT COUNT(*) AS total, COALESCE(SUM(seen_at IS NULL), 0) AS neverShown FROM hits WHERE ${where}`,
      )
      .get() as { total: number; neverShown: number };
    // Every expiry ever, acknowledged or not: it only rises, and only when a hit expires (not when
    // an acknowledgement brings an older one into the list, nor with the clock), so the console
    // knows by it when to sound the missed-hit tone.
    const expiredEver = this.db
      .prepare(`SELECT COUNT(*) FROM hits WHERE status = 'expired'`)
      .pluck()
      .get() as number;
    const rows = this.db
      .prepare(`SELECT ${HIT_ROW} FROM hits WHERE ${where} ORDER BY decided_at DESC, seq DESC LIMIT ?`)
      .all(limit) as HitRow[];
    return { ...counts, expiredEver, hits: rows.map(fromRow) };
  }

  /**
   * The officer has read the console's notice that this hit expired. The hit stays expired:
   * nothing here makes it actionable (a stop needs the vehicle read and verified again).
   */
  acknowledgeExpired(id: string, actor: string): Hit {
    return this.transition(id, actor, 'expiry-acknowledged', (hit, now) => {
      if (hit.status !== 'expired')
        throw new HitError(`hit ${id} is ${hit.status}, not expired: nothing to acknowledge`, 409);
      if (hit.expiryAckedAt !== null) return null;
      this.db
        .prepare(`UPDATE hits SET expiry_acked_at = ?, expiry_acked_by = ? WHERE id = ?`)
        .run(now, actor, id);
      return { to: 'expired', details: {} };
    });
  }

  /**
   * The hit's deadline and ceiling on the wall clock as it reads now, for the console's countdown.
   * Hits raised since start run on the steady clock, so their wall times are projected from it: a
   * wall-clock step since the hit was raised would otherwise shift the countdown by the step.
   */
  deadlineView(hit: Hit): { expiresAt: number; latestExpiresAt: number } {
    const steady = this.deadlines.get(hit.id);
    if (!steady) return { expiresAt: hit.expiresAt, latestExpiresAt: this.latestExpiry(hit) };
    const toWall = (t: number) => Math.round(this.now() + (t - this.steady()));
    const ceiling = steady.raised + (this.latestExpiry(hit) - hit.raisedAt);
    return { expiresAt: toWall(steady.deadline), latestExpiresAt: toWall(ceiling) };
  }

  /** The latest a hit can expire, however long officers work it: nothing stays open for ever. */
  latestExpiry(hit: Pick<Hit, 'raisedAt'>): number {
    return hit.raisedAt + MAX_EXPIRY_FACTOR * this.config.hitExpiryMinutes * 60_000;
  }

  /**
   * An officer acted on the hit: it stays open at least hitGraceMinutes from now (up to
   * `latestExpiry`), so a stop they are about to verify is not lost to the clock half-way. The
   * deadline never moves earlier. Returns the new deadline, or null when it did not move.
   */
  private extendDeadline(hit: Hit, now: number): number | null {
    const grace = this.config.hitGraceMinutes * 60_000;
    const steady = this.deadlines.get(hit.id);
    let deadline: number;
    if (steady) {
      const steadyNow = this.steady();
      const moved = Math.min(steadyNow + grace, steady.raised + (this.latestExpiry(hit) - hit.raisedAt));
      if (moved <= steady.deadline) return null;
      steady.deadline = moved;
      deadline = Math.round(now + (moved - steadyNow)); // stored for after a restart (and HQ): whole ms
    } else {
      deadline = Math.min(now + grace, this.latestExpiry(hit));
      if (deadline <= hit.expiresAt) return null;
    }
    this.db.prepare(`UPDATE hits SET expires_at = ? WHERE id = ?`).run(deadline, hit.id);
    return deadline;
  }

  /**
   * Open hits whose entry no longer stands on its list as the unit holds it now (taken off by a
   * new version or a delta, or expired): withdrawn, so no stop is made on them (IV.C.1). Run at
   * every housekeeping tick, which also notices list changes. Returns how many.
   */
  withdrawDelisted(): number {
    let withdrawn = 0;
    for (const hit of this.open()) {
      // One past its deadline was missed, whatever its entry did since: it expires as such.
      if (!this.pastDeadline(hit, this.now()) && this.withdrawIfDelisted(hit)) withdrawn++;
    }
    return withdrawn;
  }

  /** Withdraws an open hit whose entry is gone; returns why, or null while the entry stands. */
  private withdrawIfDelisted(hit: Hit): string | null {
    const reason = this.delisted(hit, this.now());
    if (!reason) return null;
    this.transition(hit.id, 'system', 'withdrawn', (h, now) => {
      if (!OPEN.includes(h.status)) return null;
      this.db
        .prepare(`UPDATE hits SET status = 'withdrawn', decided_at = ?, withdrawn_reason = ? WHERE id = ?`)
        .run(now, reason, h.id);
      return { to: 'withdrawn', details: { reason } };
    });
    return reason;
  }

  /**
   * Confirming or verifying is checked against the list as it is now, not as it was when the hit
   * was raised (the periodic check may not have run yet): a hit whose entry is gone is withdrawn
   * on the spot and the act refused, naming why.
   */
  private requireListed(id: string): void {
    const hit = this.get(id);
    if (!hit || !OPEN.includes(hit.status) || this.pastDeadline(hit, this.now())) return; // requireOpen says why
    const reason = this.withdrawIfDelisted(hit);
    if (reason) throw new HitError(`hit ${id} is withdrawn: ${reason}; no stop on this alert`, 409);
  }

  /** Why the hit's entry no longer stands on its list (removed, or expired), or null while it does. */
  private delisted(hit: Hit, now: number): string | null {
    if (!this.lists) return null;
    const e = hit.entry;
    const name = `${e.plate} ${e.state ?? 'any state'} (${e.listType})`;
    const list = this.lists.list(hit.listId);
    if (!list) return `list ${hit.listId}, which listed ${name}, is no longer on this unit`;
    const current = this.lists
      .findInList(hit.listId, e.plate)
      .find((x) => x.state === e.state && x.listType === e.listType);
    if (!current) return `entry ${name} was removed from list ${hit.listId} in version ${list.version}`;
    if (current.expiresAt !== null && current.expiresAt <= now)
      return `entry ${name} on list ${hit.listId} expired at ${new Date(current.expiresAt).toISOString()}`;
    return null;
  }

  private requireOpen(hit: Hit): void {
    if (!OPEN.includes(hit.status)) {
      const why =
        hit.status === 'withdrawn'
          ? `: ${hit.withdrawnReason}; no stop on this alert`
          : hit.status === 'superseded'
            ? ` by a newer sighting of the vehicle (hit ${hit.supersededBy})`
            : '';
      throw new HitError(`hit ${hit.id} is already ${hit.status}${why}`, 409);
    }
    // Past its deadline it is expired, whether or not the expiry check (every 2 s) has run yet.
    if (this.pastDeadline(hit, this.now()))
      throw new HitError(`hit ${hit.id} has expired: read and verify the vehicle again`, 409);
  }

  private pastDeadline(hit: Hit, now: number): boolean {
    const steady = this.deadlines.get(hit.id);
    return steady ? steady.deadline <= this.steady() : hit.expiresAt <= now;
  }

  private transition(
    id: string,
    actor: string,
    action: HitAction,
    apply: (hit: Hit, now: number) => { to: HitStatus; details: Record<string, unknown> } | null,
  ): Hit {
    const now = this.now();
    let changed = false;
    const hit = this.db.transaction(() => {
      const after = this.change(id, actor, action, now, apply);
      changed = after !== null;
      return after ?? this.get(id)!;
    })();
    if (changed) this.announce(hit, actor, action);
    return hit;
  }

  /** One step of a hit, inside the caller's transaction: applied and its event stored. Null when nothing changed. */
  private change(
    id: string,
    actor: string,
    action: HitAction,
    now: number,
    apply: (hit: Hit, now: number) => { to: HitStatus; details: Record<string, unknown> } | null,
  ): Hit | null {
    const before = this.get(id);
    if (!before) throw new HitError(`no hit with id ${id}`, 404);
    const res = apply(before, now);
    if (!res) return null;
    if (!OPEN.includes(res.to)) this.deadlines.delete(id);
    this.event(id, actor, action, before.status, res.to, res.details, now);
    return this.get(id)!;
  }

  /** A stored step goes to the audit log and to the listeners (the console). */
  private announce(hit: Hit, actor: string, action: HitAction): void {
    const details: Record<string, unknown> = {
      hitId: hit.id,
      status: hit.status,
      readId: hit.readId,
      list: hit.listId,
      listVersion: hit.listVersion,
    };
    const type = hitAuditType(action);
    if (type === 'hit.disposition') {
      // The policy audit report counts dispositions and time to verify from these records.
      this.audit.append({
        type: 'hit.disposition',
        actor,
        details: {
          ...details,
          outcome: hit.status,
          reason: hit.rejectReason,
          text: hit.rejectText,
          timeToVerifyMs: hit.decidedAt === null ? null : hit.decidedAt - hit.raisedAt,
          ...(hit.status === 'expired' ? expiryDetails(hit) : {}),
          ...(hit.status === 'withdrawn' ? { withdrawnReason: hit.withdrawnReason } : {}),
          ...(hit.status === 'superseded' ? { supersededBy: hit.supersededBy } : {}),
        },
      });
    } else this.audit.append({ type, actor, details });
    this.emit(hit, action, false);
  }

  private event(
    id: string,
    actor: string,
    action: string,
    from: string | null,
    to: string,
    details: Record<string, unknown>,
    ts = this.now(),
  ): void {
    this.db
      .prepare(
        `INSERT INTO hit_events (id, hit_id, ts, actor, action, from_status, to_status, details)
         VALUES ((SELECT events_last + 1 FROM hit_seq WHERE id = 1), ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, ts, actor, action, from, to, JSON.stringify(details));
  }
}

interface HitRow {
  id: string;
  seq: number;
  read_id: string;
  entry_id: number;
  entry: string;
  list_id: string;
  list_version: string;
  list_generated_at: number;
  list_type: string;
  priority: number;
  read_plate: string;
  read_state: string | null;
  matched_text: string;
  via: string;
  rule: string;
  differences: string;
  state_not_read: number;
  retroactive: number;
  duplicate_of: string | null;
  status: string;
  raised_at: number;
  expires_at: number;
  seen_at: number | null;
  seen_by: string | null;
  plate_confirmed_at: number | null;
  plate_confirmed_by: string | null;
  state_confirmed_at: number | null;
  state_confirmed_by: string | null;
  decided_at: number | null;
  decided_by: string | null;
  reject_reason: string | null;
  reject_text: string | null;
  expiry_acked_at: number | null;
  expiry_acked_by: string | null;
  withdrawn_reason: string | null;
  superseded_by: string | null;
  /** JSON array of HitConfirmation (HIT_ROW). */
  confirmations: string;
}

/** An open or verified hit on the entry a new read matched, inside the duplicate window. */
interface EarlierHit {
  id: string;
  status: 'raised' | 'seen' | 'verified';
  retroactive: number;
  read_plate: string;
  read_state: string | null;
  /** 1 when its read was stored without a plate crop (null when the read is not in this database). */
  no_crop: number | null;
}

/** The new read: what it says, and whether it is the car now or one re-checked from the past hour. */
interface Sighting {
  plate: string;
  state: string | null;
  retroactive: boolean;
  hasCrop: boolean;
}

/**
 * What an earlier open or verified hit on the same entry makes of a new read: a genuine repeat
 * (suppressed, no alert), a newer sighting that takes its place on the console (supersede), or
 * nothing (the new read alerts on its own). Only the same reading (plate and state) is taken for
 * the same car: a near miss of the entry may be another car, and hiding it behind a hit the
 * officer may yet reject would leave the listed car unannounced.
 */
function bearing(earlier: EarlierHit, now: Sighting): 'suppress' | 'supersede' | null {
  const open = earlier.status !== 'verified';
  const sameCar = earlier.read_plate === now.plate && earlier.read_state === now.state;
  // A retroactive hit is where the car was up to an hour ago: the car in front of the camera now
  // alerts whatever became of that one, and replaces it on the console while it is open.
  if (earlier.retroactive && !now.retroactive) return open && sameCar ? 'supersede' : null;
  // The officer has checked this car against the entry: seeing it again is no news.
  if (earlier.status === 'verified') return 'suppress';
  if (!sameCar) return null;
  // A hit on a read without a plate crop can only be rejected: a live read of the car with one
  // takes its place, so it can be verified.
  if (earlier.no_crop === 1 && now.hasCrop && !now.retroactive) return 'supersede';
  return 'suppress';
}

/** An entry across list versions: list, plate, state and type (what duplicates are counted on). */
function entryKeyOf(listId: string, e: Pick<EntryInput, 'plate' | 'state' | 'listType'>): string {
  return `${listId}|${e.plate}|${e.state ?? ''}|${e.listType}`;
}

/** What an expiry records besides the outcome: whether anyone was ever shown the alert. */
function expiryDetails(hit: Hit): Record<string, unknown> {
  return {
    neverShown: hit.seenAt === null,
    seenBy: hit.seenBy,
    plateConfirmedBy: hit.plateConfirmedBy,
    stateConfirmedBy: hit.stateConfirmedBy,
    confirmations: hit.confirmations.map((c) => ({ officer: c.officer, what: c.what })),
  };
}

function fromRow(r: HitRow): Hit {
  return {
    id: r.id,
    seq: r.seq,
    readId: r.read_id,
    entryId: r.entry_id,
    entry: { ...(JSON.parse(r.entry) as EntryInput), id: r.entry_id },
    listId: r.list_id,
    listVersion: r.list_version,
    listGeneratedAt: r.list_generated_at,
    listType: r.list_type as ListType,
    priority: r.priority,
    readPlate: r.read_plate,
    readState: r.read_state,
    matchedText: r.matched_text,
    via: r.via as 'best' | 'candidate',
    rule: r.rule as MatchRule,
    differences: JSON.parse(r.differences) as MatchDifference[],
    stateNotRead: r.state_not_read === 1,
    retroactive: r.retroactive === 1,
    duplicateOf: r.duplicate_of,
    status: r.status as HitStatus,
    raisedAt: r.raised_at,
    expiresAt: r.expires_at,
    seenAt: r.seen_at,
    seenBy: r.seen_by,
    confirmations: (JSON.parse(r.confirmations) as HitConfirmation[]).sort((a, b) => a.at - b.at),
    plateConfirmedAt: r.plate_confirmed_at,
    plateConfirmedBy: r.plate_confirmed_by,
    stateConfirmedAt: r.state_confirmed_at,
    stateConfirmedBy: r.state_confirmed_by,
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
    rejectReason: r.reject_reason,
    rejectText: r.reject_text,
    expiryAckedAt: r.expiry_acked_at,
    expiryAckedBy: r.expiry_acked_by,
    withdrawnReason: r.withdrawn_reason,
    supersededBy: r.superseded_by,
  };
}
