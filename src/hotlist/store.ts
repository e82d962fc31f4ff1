import type { Db } from '../store/database.js';
import {
  conflictMessage,
  ENTRY_FIELDS,
  type EntryConflict,
  type EntryField,
  type EntryOrigin,
} from './conflicts.js';
import { Equivalence, reverse } from './normalise.js';
import { maxDifferencesForLength, neighbourhoodExact, planNearScan } from './near.js';
import { RowOrigins } from './row-origins.js';
import {
  LOCAL_SOURCE,
  type EntryInput,
  type HotlistEntry,
  type HotlistInfo,
  type ListType,
} from './types.js';

interface EntryRow {
  id: number;
  version_id: number;
  plate: string;
  ekey: string;
  state: string;
  list_type: string;
  source: string | null;
  reference: string | null;
  priority: number;
  expires_at: number | null;
  vehicle: string | null;
  reason: string | null;
  entered_by: string | null;
}

export interface ActiveEntry extends HotlistEntry {
  list: HotlistInfo;
}

export interface VersionMeta {
  listId: string;
  type: ListType | 'mixed';
  version: string;
  generatedAt: number;
  source: string | null;
  importedBy: string;
}

/** Rows per write transaction while staging a new version: big enough to be fast, small enough not to stall readers. */
const BATCH = 50_000;

/** An entry to take off a list: its key. */
export interface EntryKey {
  plate: string;
  state: string | null;
  listType: ListType;
}

/** What a delta did. */
export interface DeltaCounts {
  /** Entries new to the list. */
  added: number;
  /** Entries already on the list whose fields the delta's add replaced (a new expiry, reference...). */
  updated: number;
  /** Adds identical to an entry already on the list, or to another add of the same delta. */
  duplicates: number;
  removed: number;
  /** Removes that named no entry on the list. */
  notFound: number;
}

/** Each entry field's column. */
const COLUMN: Record<EntryField, string> = {
  source: 'source',
  reference: 'reference',
  priority: 'priority',
  expiresAt: 'expires_at',
  vehicle: 'vehicle',
  reason: 'reason',
  enteredBy: 'entered_by',
};
const FIELD_COLUMNS = ENTRY_FIELDS.map((f) => COLUMN[f]);

/**
 * The hotlist tables. Lookups are synchronous index probes (better-sqlite3), so a lookup never
 * waits on an import; an import stages a whole new version and then flips the list's active
 * version in one transaction.
 */
export class HotlistStore {
  private readonly byKey;
  private readonly byId;
  private readonly prefixScan;
  private readonly suffixScan;
  private readonly keyProbeMany;
  private readonly prefixScanMany;
  private readonly suffixScanMany;
  private readonly insertEntry;
  private readonly entryWithKey;
  private readonly updateFields;
  private readonly keyedAs;
  private infoCache = new Map<number, HotlistInfo>();
  private infoCacheVersion = -1;

  constructor(
    readonly db: Db,
    readonly equivalence: Equivalence,
  ) {
    // Joining on the active version makes staged and retired entries invisible to lookups.
    const active = `FROM hotlist_entries e JOIN hotlists h ON h.active_version_id = e.version_id`;
    this.byKey = db.prepare(
      `SELECT e.* ${active} WHERE e.ekey = ? AND (e.expires_at IS NULL OR e.expires_at > ?)`,
    );
    this.byId = db.prepare(
      `SELECT e.* ${active} WHERE e.id = ? AND (e.expires_at IS NULL OR e.expires_at > ?)`,
    );
    // Covering index scans: only the key and rowid are read until a candidate is within distance.
    this.prefixScan = db
      .prepare(
        `SELECT id, ekey FROM hotlist_entries WHERE ekey >= ? AND ekey < ? AND length(ekey) BETWEEN ? AND ?`,
      )
      .raw(true);
    this.suffixScan = db
      .prepare(
        `SELECT id, rkey FROM hotlist_entries WHERE rkey >= ? AND rkey < ? AND length(rkey) BETWEEN ? AND ?`,
      )
      .raw(true);
    this.keyProbeMany = db
      .prepare(`SELECT e.id, e.ekey FROM json_each(?) j, hotlist_entries e WHERE e.ekey = j.value`)
      .raw(true);
    // Many prefixes in one statement (the N-difference neighbourhoods: ~160 prefixes): one range
    // scan of the index per prefix, without a statement call each.
    this.prefixScanMany = db
      .prepare(
        `SELECT e.id, e.ekey FROM json_each(?) j, hotlist_entries e
         WHERE e.ekey >= j.value AND e.ekey < j.value || '\u{ffff}' AND length(e.ekey) BETWEEN ? AND ?`,
      )
      .raw(true);
    this.suffixScanMany = db
      .prepare(
        `SELECT e.id, e.rkey FROM json_each(?) j, hotlist_entries e
         WHERE e.rkey >= j.value AND e.rkey < j.value || '\u{ffff}' AND length(e.rkey) BETWEEN ? AND ?`,
      )
      .raw(true);
    this.insertEntry = db.prepare(`INSERT OR IGNORE INTO hotlist_entries
      (version_id, plate, ekey, rkey, state, list_type, source, reference, priority, expires_at, vehicle, reason, entered_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.entryWithKey = db.prepare(
      `SELECT * FROM hotlist_entries WHERE ekey = ? AND plate = ? AND state = ? AND list_type = ? AND version_id = ?`,
    );
    this.updateFields = db.prepare(
      `UPDATE hotlist_entries SET ${FIELD_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
    );
    this.keyedAs = db.prepare(`SELECT classes FROM hotlist_keying WHERE id = 1`).pluck();
    this.ensureKeys();
    this.cleanupStaging();
  }

  /**
   * Makes the stored keys (`ekey`, `rkey`) those of this store's look-alike classes. They are made
   * when an entry is stored, with the config of that time; an agency that then changes
   * `hotlists.equivalence` (adds "UV", drops "6G") would otherwise key its reads one way and its
   * entries another, and a plate read exactly as listed would find nothing. Called before keys
   * are used (a match, a write, a lookup by plate), so a process with other classes (a command run
   * with the new config while the daemon still has the old) never leaves this one keyed wrong:
   * whichever uses the keys makes them its own first. One row read when they already are.
   */
  ensureKeys(): void {
    const mine = this.equivalence.signature;
    if (this.keyedAs.get() === mine) return;
    this.db
      .transaction(() => {
        if (this.keyedAs.get() === mine) return;
        // Only the rows whose key changes are written; the plate decides the key, so the unique
        // index (key, plate, state, type, version) holds throughout.
        const eq = this.equivalence;
        this.db.function('hotlist_ekey', { deterministic: true }, (p) => eq.key(String(p)));
        this.db.function('hotlist_rkey', { deterministic: true }, (p) => reverse(eq.key(String(p))));
        this.db
          .prepare(
            `UPDATE hotlist_entries SET ekey = hotlist_ekey(plate), rkey = hotlist_rkey(plate)
             WHERE ekey != hotlist_ekey(plate)`,
          )
          .run();
        this.db
          .prepare(
            `INSERT INTO hotlist_keying (id, classes) VALUES (1, ?)
             ON CONFLICT (id) DO UPDATE SET classes = excluded.classes`,
          )
          .run(mine);
      })
      .immediate();
  }

  /** Versions left half-staged by a crash are never activated: drop them. */
  private cleanupStaging(): void {
    const staged = this.db.prepare(`SELECT id FROM hotlist_versions WHERE status = 'staging'`).all() as {
      id: number;
    }[];
    for (const s of staged) this.dropVersion(s.id);
  }

  // ---- lookups -------------------------------------------------------------------------------

  /** Active, unexpired entries whose equivalence key equals `ekey`. */
  lookupKey(ekey: string, now: number): ActiveEntry[] {
    return (this.byKey.all(ekey, now) as EntryRow[]).map((r) => this.toEntry(r));
  }

  /**
   * Keys of entries (any version; callers re-check with `activeEntry`) that may be within `n` edits
   * of `ekey`: id → key. A few prefix scans of the key and reversed-key indexes (see near.ts), each
   * reading only index entries, so even a list of millions is searched in a fraction of a
   * millisecond per scan. Callers confirm each candidate with an edit distance.
   */
  nearKeys(ekey: string, n: number): Map<number, string> {
    const out = new Map<number, string>();
    if (n === 1) return this.oneEditKeys(ekey, out);
    const plan = planNearScan(ekey, n, this.equivalence.alphabet);
    if (!plan) return out;
    const scan = (prefixes: string[], one: typeof this.prefixScan, many: typeof this.prefixScanMany) =>
      (prefixes.length === 1
        ? one.all(prefixes[0], prefixes[0] + '\u{ffff}', plan.minLength, plan.maxLength)
        : many.all(JSON.stringify(prefixes), plan.minLength, plan.maxLength)) as [number, string][];
    for (const [id, key] of scan(plan.keyPrefixes, this.prefixScan, this.prefixScanMany)) out.set(id, key);
    for (const [id, rkey] of scan(plan.reversedPrefixes, this.suffixScan, this.suffixScanMany))
      if (!out.has(id)) out.set(id, reverse(rkey));
    return out;
  }

  /**
   * One edit in a key of length L leaves intact either its first L-2 characters (edit in the last
   * two), its last L-2 (edit in the first two), or its first two and last two (edit in the
   * middle): a prefix scan, a suffix scan on the reversed key, and exact probes of every key with
   * one edit in the middle (about 200 for seven characters, one statement). Each is selective
   * even on a national list, where the split search's 2–3 character prefixes read thousands of rows.
   */
  private oneEditKeys(ekey: string, out: Map<number, string>): Map<number, string> {
    const L = ekey.length;
    if (maxDifferencesForLength(L) < 1) return out;
    const head = ekey.slice(0, L - 2);
    const tail = reverse(ekey.slice(2));
    for (const [id, key] of this.prefixScan.all(head, head + '\u{ffff}', L - 1, L + 1) as [number, string][])
      out.set(id, key);
    for (const [id, rkey] of this.suffixScan.all(tail, tail + '\u{ffff}', L - 1, L + 1) as [number, string][])
      if (!out.has(id)) out.set(id, reverse(rkey));
    if (L >= 5) {
      const a = ekey.slice(0, 2);
      const z = ekey.slice(L - 2);
      const middle = ekey.slice(2, L - 2);
      const keys = neighbourhoodExact(middle, this.equivalence.alphabet).map((m) => a + m + z);
      for (const [id, key] of this.keyProbeMany.all(JSON.stringify(keys)) as [number, string][])
        out.set(id, key);
    }
    return out;
  }

  activeEntry(id: number, now: number): ActiveEntry | undefined {
    const row = this.byId.get(id, now) as EntryRow | undefined;
    return row ? this.toEntry(row) : undefined;
  }

  private toEntry(r: EntryRow): ActiveEntry {
    const list = this.listForVersion(r.version_id);
    return {
      id: r.id,
      listId: list.id,
      list,
      plate: r.plate,
      state: r.state === '' ? null : r.state,
      listType: r.list_type as ListType,
      source: r.source,
      reference: r.reference,
      priority: r.priority as 1 | 2 | 3,
      expiresAt: r.expires_at,
      vehicle: r.vehicle,
      reason: r.reason,
      enteredBy: r.entered_by,
    };
  }

  /** List metadata by version id, cached until the lists change (another process may import). */
  private listForVersion(versionId: number): HotlistInfo {
    const dv = this.db.pragma('data_version', { simple: true }) as number;
    if (dv !== this.infoCacheVersion) {
      this.infoCache.clear();
      this.infoCacheVersion = dv;
    }
    let info = this.infoCache.get(versionId);
    if (!info) {
      const row = this.db
        .prepare(
          `SELECT h.id, h.type, v.version, v.generated_at, v.received_at, v.entry_count, v.source
           FROM hotlist_versions v JOIN hotlists h ON h.id = v.list_id WHERE v.id = ?`,
        )
        .get(versionId) as ListRow | undefined;
      if (!row) throw new Error(`hotlist version ${versionId} not found`);
      info = listInfo(row);
      this.infoCache.set(versionId, info);
    }
    return info;
  }

  // ---- lists ---------------------------------------------------------------------------------

  lists(): HotlistInfo[] {
    const rows = this.db
      .prepare(
        `SELECT h.id, h.type, v.version, v.generated_at, v.received_at, v.entry_count, v.source
         FROM hotlists h JOIN hotlist_versions v ON v.id = h.active_version_id ORDER BY h.id`,
      )
      .all() as ListRow[];
    return rows.map(listInfo);
  }

  list(id: string): HotlistInfo | undefined {
    return this.lists().find((l) => l.id === id);
  }

  /**
   * Whether `id` is a list of manual entries officers made on this unit (`local`, or `hotlist add
   * --list NAME`). An import or a list from HQ under its id would replace their entries, reasons
   * and entered_by and close the list to them, so both refuse it.
   */
  madeOnUnit(id: string): boolean {
    return this.list(id)?.source === LOCAL_SOURCE;
  }

  /** The list's active version id, if it has one (deltas are applied to it). */
  private activeVersionId(listId: string): number | undefined {
    const row = this.db.prepare(`SELECT active_version_id AS v FROM hotlists WHERE id = ?`).get(listId) as
      { v: number | null } | undefined;
    return row?.v ?? undefined;
  }

  /**
   * Per list, a stamp that changes whenever its active entries may have: a new version, or a delta
   * applied to the active one (which keeps its id but is relabelled and re-counted).
   */
  activeStamps(): Map<string, string> {
    const rows = this.db
      .prepare(
        `SELECT h.id, v.id || ':' || v.version || ':' || v.received_at || ':' || v.entry_count AS stamp
         FROM hotlists h JOIN hotlist_versions v ON v.id = h.active_version_id`,
      )
      .all() as { id: string; stamp: string }[];
    return new Map(rows.map((r) => [r.id, r.stamp]));
  }

  // ---- writes --------------------------------------------------------------------------------

  /**
   * Start staging a complete new version of a list (replacement), or a delta's adds. Nothing is
   * visible until `activate` (or `applyDelta`). An entry staged twice is kept once when both copies
   * are identical; copies that differ are handed to `onConflict` (default: throw), and the later
   * copy is not staged.
   */
  stageVersion(meta: VersionMeta, onConflict?: (conflict: EntryConflict) => void): StagedVersion {
    const versionId = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO hotlists (id, type, active_version_id, created_at) VALUES (?, ?, NULL, ?) ON CONFLICT(id) DO NOTHING`,
        )
        .run(meta.listId, meta.type, Date.now());
      return Number(
        this.db
          .prepare(
            `INSERT INTO hotlist_versions (list_id, version, generated_at, received_at, source, status, imported_by)
             VALUES (?, ?, ?, ?, ?, 'staging', ?)`,
          )
          .run(meta.listId, meta.version, meta.generatedAt, Date.now(), meta.source, meta.importedBy)
          .lastInsertRowid,
      );
    })();
    return new StagedVersion(this, versionId, meta, onConflict);
  }

  /** @internal `fn` in one write transaction, with the import page cache. */
  writeTransaction<T>(fn: () => T): T {
    this.ensureKeys();
    this.importCache(true);
    return this.db.transaction(fn)();
  }

  /**
   * @internal one entry into a version: its row id, or null when the version already has an entry
   * with its plate, state and type (that one is left as it is). Positional arguments: no per-row
   * parameter array.
   */
  insertRow(versionId: number, e: EntryInput): number | null {
    const ekey = this.equivalence.key(e.plate);
    const r = this.insertEntry.run(
      versionId,
      e.plate,
      ekey,
      reverse(ekey),
      e.state ?? '',
      e.listType,
      e.source,
      e.reference,
      e.priority,
      e.expiresAt,
      e.vehicle,
      e.reason,
      e.enteredBy,
    );
    return r.changes === 1 ? Number(r.lastInsertRowid) : null;
  }

  /** @internal the entry of a version with `e`'s plate, state and type, and the fields in which `e` differs from it. */
  sameKeyEntry(versionId: number, e: EntryInput): { id: number; differs: EntryField[] } | undefined {
    const row = this.entryWithKey.get(
      this.equivalence.key(e.plate),
      e.plate,
      e.state ?? '',
      e.listType,
      versionId,
    ) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return { id: row.id as number, differs: ENTRY_FIELDS.filter((f) => row[COLUMN[f]] !== e[f]) };
  }

  private cacheRaised = false;

  /**
   * Index inserts of a multi-million-row list are random B-tree writes: a larger page cache while
   * staging keeps them in memory (the import's time target); it is returned after the import.
   */
  importCache(on: boolean): void {
    if (on === this.cacheRaised) return;
    this.cacheRaised = on;
    this.db.pragma(`cache_size = ${on ? -128 * 1024 : -2000}`);
  }

  /** @internal flip the list to a staged version in one transaction, then drop the previous one. */
  activate(versionId: number, meta: VersionMeta, knownCount?: number): void {
    let previous: number | null = null;
    this.db.transaction(() => {
      // The stager counted its rows; counting again would read the whole table (no version index).
      const count =
        knownCount ??
        (
          this.db
            .prepare(`SELECT COUNT(*) AS n FROM hotlist_entries WHERE version_id = ?`)
            .get(versionId) as {
            n: number;
          }
        ).n;
      previous = (
        this.db.prepare(`SELECT active_version_id AS v FROM hotlists WHERE id = ?`).get(meta.listId) as {
          v: number | null;
        }
      ).v;
      this.db
        .prepare(`UPDATE hotlist_versions SET status = 'active', entry_count = ? WHERE id = ?`)
        .run(count, versionId);
      if (previous !== null)
        this.db.prepare(`UPDATE hotlist_versions SET status = 'retired' WHERE id = ?`).run(previous);
      this.db
        .prepare(`UPDATE hotlists SET active_version_id = ?, type = ? WHERE id = ?`)
        .run(versionId, meta.type, meta.listId);
    })();
    if (previous !== null) this.dropEntries(previous);
  }

  /** @internal */
  dropVersion(versionId: number): void {
    this.dropEntries(versionId);
    this.db.prepare(`DELETE FROM hotlist_versions WHERE id = ? AND status != 'active'`).run(versionId);
  }

  private dropEntries(versionId: number): void {
    // Chunked so a 2-million-row list does not hold one huge write transaction.
    const del = this.db.prepare(
      `DELETE FROM hotlist_entries WHERE id IN (SELECT id FROM hotlist_entries WHERE version_id = ? LIMIT 50000)`,
    );
    while (del.run(versionId).changes > 0);
  }

  /**
   * A delta of a list (a file imported with --delta, or one from HQ): removes, then the adds staged
   * in `adds` (a hidden version, dropped afterwards), in one transaction that also relabels the
   * active version; a list without an active version is created.
   *
   * An add for an entry already on the list (same plate, state and type) replaces its fields: that
   * is how a source renews an expiry or corrects a reference. Removes go first, so a delta that
   * removes and adds the same entry leaves the added one.
   */
  applyDelta(meta: VersionMeta, adds: StagedVersion, removes: EntryKey[]): DeltaCounts {
    try {
      adds.flush();
      this.ensureKeys();
      return this.db.transaction(() => {
        const active = this.activeOrNewVersion(meta);
        const { removed, notFound } = this.removeEntries(active, removes);
        const sameKey = `a.ekey = s.ekey AND a.plate = s.plate AND a.state = s.state AND a.list_type = s.list_type`;
        const updated = this.db
          .prepare(
            `UPDATE hotlist_entries AS a SET ${FIELD_COLUMNS.map((c) => `${c} = s.${c}`).join(', ')}
             FROM hotlist_entries AS s
             WHERE s.version_id = ? AND a.version_id = ? AND ${sameKey}
               AND NOT (${FIELD_COLUMNS.map((c) => `a.${c} IS s.${c}`).join(' AND ')})`,
          )
          .run(adds.versionId, active).changes;
        const added = this.db
          .prepare(
            `INSERT OR IGNORE INTO hotlist_entries
             (version_id, plate, ekey, rkey, state, list_type, ${FIELD_COLUMNS.join(', ')})
             SELECT ?, plate, ekey, rkey, state, list_type, ${FIELD_COLUMNS.join(', ')}
             FROM hotlist_entries WHERE version_id = ? ORDER BY id`,
          )
          .run(active, adds.versionId).changes;
        this.relabel(active, meta);
        // Staged adds neither new nor different: already on the list as they are.
        const unchanged = adds.added - added - updated;
        return { added, updated, duplicates: adds.duplicates + unchanged, removed, notFound };
      })();
    } finally {
      adds.abort();
    }
  }

  /**
   * The unit's manual entries (`hotlist add` / `remove`, the console's watch list), in one
   * transaction that relabels the list's version: removes first, then adds. An add for an entry
   * already on the list (same plate, state and type, expired or not) sets that entry's fields and
   * keeps its id. The caller decides the fields (manual.ts: an expired entry is removed and added
   * afresh, an unexpired one is renewed); a plain insert would be ignored on the unique key and
   * leave the old entry, even an expired one that matches nothing, in the new one's place.
   */
  applyManualChange(meta: VersionMeta, adds: EntryInput[], removes: EntryKey[]): DeltaCounts {
    this.ensureKeys();
    return this.db.transaction(() => {
      const active = this.activeOrNewVersion(meta);
      const { removed, notFound } = this.removeEntries(active, removes);
      let added = 0;
      let updated = 0;
      for (const e of adds) {
        if (this.insertRow(active, e) !== null) {
          added++;
          continue;
        }
        const same = this.sameKeyEntry(active, e)!;
        if (same.differs.length === 0) continue;
        this.updateFields.run(...ENTRY_FIELDS.map((f) => e[f]), same.id);
        updated++;
      }
      this.relabel(active, meta);
      return { added, updated, duplicates: adds.length - added - updated, removed, notFound };
    })();
  }

  /** The list's active version, made (empty) when it has none. Inside a transaction. */
  private activeOrNewVersion(meta: VersionMeta): number {
    const active = this.activeVersionId(meta.listId);
    if (active !== undefined) return active;
    const fresh = this.stageVersion(meta);
    this.activate(fresh.versionId, meta);
    return fresh.versionId;
  }

  private removeEntries(versionId: number, removes: EntryKey[]): { removed: number; notFound: number } {
    const del = this.db.prepare(
      `DELETE FROM hotlist_entries WHERE ekey = ? AND version_id = ? AND plate = ? AND state = ? AND list_type = ?`,
    );
    let removed = 0;
    for (const r of removes)
      removed += del.run(
        this.equivalence.key(r.plate),
        versionId,
        r.plate,
        r.state ?? '',
        r.listType,
      ).changes;
    return { removed, notFound: removes.length - removed };
  }

  /** A delta's version label and time on the active version, and its entry count again. */
  private relabel(versionId: number, meta: VersionMeta): void {
    const count = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM hotlist_entries WHERE version_id = ?`).get(versionId) as {
        n: number;
      }
    ).n;
    this.db
      .prepare(
        `UPDATE hotlist_versions SET version = ?, generated_at = ?, received_at = ?, entry_count = ? WHERE id = ?`,
      )
      .run(meta.version, meta.generatedAt, Date.now(), count, versionId);
  }

  /** Unexpired entries of a list's active version, newest first (the console's watch list). */
  activeEntriesOf(listId: string, now: number, limit = 200): ActiveEntry[] {
    const rows = this.db
      .prepare(
        `SELECT e.* FROM hotlist_entries e JOIN hotlists h ON h.active_version_id = e.version_id
         WHERE h.id = ? AND (e.expires_at IS NULL OR e.expires_at > ?) ORDER BY e.id DESC LIMIT ?`,
      )
      .all(listId, now, limit) as EntryRow[];
    return rows.map((r) => this.toEntry(r));
  }

  /** Entries of the active version of a list matching a plate (CLI remove, tests). */
  findInList(listId: string, plate: string): HotlistEntry[] {
    this.ensureKeys();
    const rows = this.db
      .prepare(
        `SELECT e.* FROM hotlist_entries e JOIN hotlists h ON h.active_version_id = e.version_id
         WHERE e.ekey = ? AND h.id = ? AND e.plate = ?`,
      )
      .all(this.equivalence.key(plate), listId, plate) as EntryRow[];
    return rows.map((r) => this.toEntry(r));
  }
}

/**
 * A version being written. `add` batches rows; `activate` makes it the list's version; `abort`
 * drops it. Each entry may say where it came from (`EntryOrigin`), so that an entry given twice
 * with different fields is reported naming both places.
 */
export class StagedVersion {
  private batch: { entry: EntryInput; origin: EntryOrigin }[] = [];
  private readonly origins = new RowOrigins();
  /** Entries staged (each key once). */
  added = 0;
  /** Copies identical to an entry already staged, kept once. */
  duplicates = 0;

  constructor(
    private readonly store: HotlistStore,
    readonly versionId: number,
    readonly meta: VersionMeta,
    private readonly onConflict: (conflict: EntryConflict) => void = throwConflict,
  ) {}

  add(entry: EntryInput, origin: EntryOrigin = NO_ORIGIN): void {
    this.batch.push({ entry, origin });
    if (this.batch.length >= BATCH) this.flush();
  }

  /**
   * Run `fn` in one write transaction in which `insert` stores entries at once (no batch held in
   * memory): for a caller that reads a chunk of a file and stores its rows as it parses them.
   */
  write<T>(fn: () => T): T {
    this.flush();
    return this.store.writeTransaction(fn);
  }

  /** Only inside `write`. */
  insert(entry: EntryInput, origin: EntryOrigin = NO_ORIGIN): void {
    const id = this.store.insertRow(this.versionId, entry);
    if (id !== null) {
      this.added++;
      this.origins.record(id, origin.position);
      return;
    }
    const first = this.store.sameKeyEntry(this.versionId, entry)!;
    if (first.differs.length === 0) this.duplicates++;
    else
      this.onConflict({
        entry,
        origin,
        firstPosition: this.origins.positionOf(first.id),
        differs: first.differs,
      });
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.store.writeTransaction(() => {
      for (const b of batch) this.insert(b.entry, b.origin);
    });
  }

  activate(): void {
    try {
      this.flush();
      this.store.activate(this.versionId, this.meta, this.added);
    } finally {
      this.store.importCache(false);
    }
  }

  abort(): void {
    this.batch = [];
    try {
      this.store.dropVersion(this.versionId);
    } finally {
      this.store.importCache(false);
    }
  }
}

const NO_ORIGIN: EntryOrigin = { position: 0, line: 0 };

function throwConflict(c: EntryConflict): never {
  throw new Error(conflictMessage(c, (position) => `#${position}`));
}

interface ListRow {
  id: string;
  type: string;
  version: string;
  generated_at: number;
  received_at: number;
  entry_count: number;
  source: string | null;
}

function listInfo(r: ListRow): HotlistInfo {
  return {
    id: r.id,
    type: r.type as ListType,
    version: r.version,
    generatedAt: r.generated_at,
    receivedAt: r.received_at,
    entryCount: r.entry_count,
    source: r.source,
  };
}
