import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../store/database.js';
import { ALERT_AUDIT_TYPES } from '../alerts/audit-types.js';
import { HOTLIST_AUDIT_TYPES } from '../hotlist/audit-types.js';
import { canonicalJson } from './canonical.js';
import { Where } from './sql-where.js';

/**
 * Every kind of record the audit log holds, gathered from the modules that write them (hits and the
 * console, hotlists, and the policy module's own): what `audit list --type` accepts.
 */
export const AUDIT_TYPES = [
  'signin.success',
  'signin.failure',
  'query',
  'export',
  'user.add',
  'user.change',
  'user.disable',
  'user.unlock',
  'roster.apply',
  'training.record',
  'config.change',
  'retention.set',
  'retention.run',
  'retention.images',
  'hold.set',
  'hold.release',
  'exclusion.zones-changed',
  'audit.report',
  'audit.list',
  'pull.unsent',
  ...HOTLIST_AUDIT_TYPES,
  ...ALERT_AUDIT_TYPES,
] as const;

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  type: string;
  actor: string | null;
  details: Record<string, unknown>;
}

export interface AuditRecord extends AuditEvent {
  seq: number;
  id: string;
  ts: number;
  prevHash: string;
  hash: string;
  ackedAt: number | null;
}

export type VerifyProblem = 'altered' | 'removed' | 'inserted';

export interface VerifyResult {
  ok: boolean;
  /** Records checked. */
  count: number;
  /** The first record that breaks the chain, when `ok` is false. */
  firstBad?: { seq: number; id: string | null; problem: VerifyProblem; message: string };
}

interface AuditRow {
  seq: number;
  id: string;
  ts: number;
  type: string;
  actor: string | null;
  details: string;
  prev_hash: string;
  hash: string;
  acked_at: number | null;
}

/** SHA-256 over the canonical JSON of a record's chained fields (everything but the ack). */
export function recordHash(r: Omit<AuditRecord, 'hash' | 'ackedAt'>): string {
  const body = canonicalJson({
    seq: r.seq,
    id: r.id,
    ts: r.ts,
    type: r.type,
    actor: r.actor,
    details: r.details,
    prevHash: r.prevHash,
  });
  return createHash('sha256').update(body).digest('hex');
}

export interface AuditListOptions {
  from?: number;
  to?: number;
  type?: string | string[];
  actor?: string;
  afterSeq?: number;
  unackedOnly?: boolean;
  limit?: number;
}

/**
 * The tamper-evident audit log (policy VI.F). Append-only: each record carries the previous
 * record's hash and its own hash over a canonical JSON of its fields, so changing, removing or
 * inserting a record breaks the chain at that record. Records are never deleted before HQ has
 * acknowledged them (a trigger refuses it).
 */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  append(e: AuditEvent): AuditRecord {
    // IMMEDIATE: take the write lock before reading the head, so two processes (daemon and CLI)
    // never chain onto the same previous record.
    const tx = this.db.transaction((): AuditRecord => {
      const head = this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as
        { seq: number; hash: string } | undefined;
      const base = {
        seq: (head?.seq ?? 0) + 1,
        id: randomUUID(),
        ts: this.now(),
        type: e.type,
        actor: e.actor,
        // Round-trip through JSON so the stored and hashed details are the same plain data.
        details: JSON.parse(canonicalJson(e.details)) as Record<string, unknown>,
        prevHash: head?.hash ?? GENESIS_HASH,
      };
      const hash = recordHash(base);
      this.db
        .prepare(
          `INSERT INTO audit_log (seq, id, ts, type, actor, details, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          base.seq,
          base.id,
          base.ts,
          base.type,
          base.actor,
          canonicalJson(base.details),
          base.prevHash,
          hash,
        );
      this.db
        .prepare(
          `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
           ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
        )
        .run(base.seq, hash);
      return { ...base, hash, ackedAt: null };
    });
    return tx.immediate();
  }

  /**
   * Recompute the whole chain. Reports the first record that was altered (its hash no longer
   * matches its content), removed (a gap in the sequence or a broken link) or inserted (a record
   * beyond the recorded head, or one whose link does not match).
   */
  verify(): VerifyResult {
    const rows = this.db
      .prepare('SELECT * FROM audit_log ORDER BY seq')
      .iterate() as IterableIterator<AuditRow>;
    const head = this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as
      { seq: number; hash: string } | undefined;
    const base = this.db.prepare("SELECT value FROM policy_state WHERE key = 'audit.base'").get() as
      { value: string } | undefined;
    // After acknowledged records were purged, the chain starts from the last purged record.
    const start = base
      ? (JSON.parse(base.value) as { seq: number; hash: string })
      : { seq: 0, hash: GENESIS_HASH };
    let expectedSeq = start.seq + 1;
    let prevHash = start.hash;
    let count = 0;
    const bad = (seq: number, id: string | null, problem: VerifyProblem, message: string): VerifyResult => ({
      ok: false,
      count,
      firstBad: { seq, id, problem, message },
    });
    for (const row of rows) {
      count++;
      let details: Record<string, unknown>;
      try {
        details = JSON.parse(row.details) as Record<string, unknown>;
      } catch {
        return bad(row.seq, row.id, 'altered', `record ${row.seq} (${row.id}): details are not valid JSON`);
      }
      const computed = recordHash({
        seq: row.seq,
        id: row.id,
        ts: row.ts,
        type: row.type,
        actor: row.actor,
        details,
        prevHash: row.prev_hash,
      });
      if (head && row.seq > head.seq) {
        return bad(
          row.seq,
          row.id,
          'inserted',
          `record ${row.seq} (${row.id}) was inserted after the chain head ${head.seq}`,
        );
      }
      if (row.seq > expectedSeq) {
        return bad(
          expectedSeq,
          null,
          'removed',
          `record ${expectedSeq}${row.seq - 1 > expectedSeq ? `..${row.seq - 1}` : ''} was removed (next present: ${row.seq})`,
        );
      }
      if (row.seq < expectedSeq) {
        return bad(
          row.seq,
          row.id,
          'inserted',
          `record ${row.seq} (${row.id}) is out of sequence (inserted)`,
        );
      }
      if (computed !== row.hash) {
        return bad(
          row.seq,
          row.id,
          'altered',
          `record ${row.seq} (${row.id}, ${row.type}) was altered: its content no longer matches its hash`,
        );
      }
      if (row.prev_hash !== prevHash) {
        return bad(
          row.seq,
          row.id,
          'inserted',
          `record ${row.seq} (${row.id}) does not link to record ${row.seq - 1}: record ${row.seq - 1} was rewritten with a new hash, or a record was inserted or replaced there`,
        );
      }
      prevHash = row.hash;
      expectedSeq = row.seq + 1;
    }
    if (head && head.seq >= expectedSeq) {
      return bad(
        expectedSeq,
        null,
        'removed',
        `record ${expectedSeq}..${head.seq} removed from the end of the chain`,
      );
    }
    if (head && head.hash !== prevHash) {
      return bad(
        head.seq,
        null,
        'altered',
        `the last record ${head.seq} does not match the recorded chain head`,
      );
    }
    if (!head && count > 0) {
      return bad(start.seq + 1, null, 'inserted', 'records exist but the chain head is missing');
    }
    return { ok: true, count };
  }

  list(opts: AuditListOptions = {}): AuditRecord[] {
    const types = opts.type === undefined ? undefined : [opts.type].flat();
    const where = new Where()
      .add('ts >= ?', opts.from)
      .add('ts <= ?', opts.to)
      .add('actor = ?', opts.actor)
      .add('seq > ?', opts.afterSeq)
      .add('type IN (SELECT value FROM json_each(?))', types && JSON.stringify(types));
    if (opts.unackedOnly) where.conditions.push('acked_at IS NULL');
    const sql = `SELECT * FROM audit_log ${where.sql()} ORDER BY seq LIMIT ?`;
    return (this.db.prepare(sql).all(...where.args, opts.limit ?? 10_000_000) as AuditRow[]).map(fromRow);
  }

  get(id: string): AuditRecord | undefined {
    const row = this.db.prepare('SELECT * FROM audit_log WHERE id = ?').get(id) as AuditRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * The newest record of a type, if its content still matches its hash (one rewritten behind the
   * triggers is not taken for what it says); undefined if there is none or it was altered.
   */
  lastIntact(type: string): AuditRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM audit_log WHERE type = ? ORDER BY seq DESC LIMIT 1')
      .get(type) as AuditRow | undefined;
    if (!row) return undefined;
    try {
      const record = fromRow(row);
      return recordHash(record) === record.hash ? record : undefined;
    } catch {
      return undefined; // details no longer JSON
    }
  }

  /** HQ has stored these records (sync calls this on its acknowledgement). Returns how many were newly marked. */
  markAcknowledged(ids: readonly string[], at = this.now()): number {
    const stmt = this.db.prepare('UPDATE audit_log SET acked_at = ? WHERE id = ? AND acked_at IS NULL');
    return this.db.transaction(() => ids.reduce((n, id) => n + stmt.run(at, id).changes, 0))();
  }

  /**
   * Delete acknowledged records older than `before`, only as a prefix of the chain (so the rest
   * still verifies from a recorded base). Never touches an unacknowledged record.
   */
  purgeAcknowledged(before: number): number {
    return this.db.transaction(() => {
      const firstKept = this.db
        .prepare('SELECT MIN(seq) AS seq FROM audit_log WHERE acked_at IS NULL OR ts >= ?')
        .get(before) as { seq: number | null };
      const limitSeq = firstKept.seq ?? Number.MAX_SAFE_INTEGER;
      const last = this.db
        .prepare('SELECT seq, hash FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT 1')
        .get(limitSeq) as { seq: number; hash: string } | undefined;
      if (!last) return 0;
      // Keep the newest record so the head always has a row to match.
      const head = this.db.prepare('SELECT seq FROM audit_head WHERE id = 1').get() as { seq: number };
      const cut =
        last.seq >= head.seq
          ? (this.db.prepare('SELECT seq, hash FROM audit_log WHERE seq = ?').get(head.seq - 1) as
              { seq: number; hash: string } | undefined)
          : last;
      if (!cut) return 0;
      // The base first: the database refuses to delete a record above it, and takes a base only
      // where a record with that hash still is (policy migration 4).
      this.db
        .prepare(
          `INSERT INTO policy_state (key, value, updated_by, updated_at) VALUES ('audit.base', ?, NULL, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        )
        .run(JSON.stringify({ seq: cut.seq, hash: cut.hash }), this.now());
      return this.db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(cut.seq).changes;
    })();
  }
}

function fromRow(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    id: row.id,
    ts: row.ts,
    type: row.type,
    actor: row.actor,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
    ackedAt: row.acked_at,
  };
}
