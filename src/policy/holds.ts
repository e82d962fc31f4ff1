import type { Db } from '../store/database.js';
import { AuditLog } from './audit.js';
import { normaliseCaseNumber, saysSomething } from './case-number.js';
import { PolicyError } from './errors.js';
import { requireRole, type SignedInUser } from './roles.js';

/** SQL condition: the read `reads.id` is under a legal hold not yet released (policy VI.C). */
export const READ_HELD_SQL =
  "EXISTS (SELECT 1 FROM legal_holds h WHERE h.target_kind = 'read' AND h.target_id = reads.id AND h.released_at IS NULL)";

export type HoldTarget = 'read' | 'hit';

export interface LegalHold {
  id: number;
  targetKind: HoldTarget;
  targetId: string;
  caseNumber: string;
  reason: string;
  setBy: string;
  setAt: number;
  releasedBy: string | null;
  releasedAt: number | null;
}

interface HoldRow {
  id: number;
  target_kind: HoldTarget;
  target_id: string;
  case_number: string;
  reason: string;
  set_by: string;
  set_at: number;
  released_by: string | null;
  released_at: number | null;
}

/**
 * Legal holds (policy VI.C): reads or hits with investigative or prosecution value are kept
 * whatever the retention window. Set and released only by an admin, each audited.
 */
export class LegalHolds {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog = new AuditLog(db),
    private readonly now: () => number = Date.now,
  ) {}

  set(
    actor: SignedInUser,
    h: { targetKind: HoldTarget; targetId: string; caseNumber: string; reason: string },
  ): LegalHold {
    requireRole(actor, 'admin');
    h = { ...h, caseNumber: normaliseCaseNumber(h.caseNumber) };
    if (!saysSomething(h.caseNumber))
      throw new PolicyError('legal hold needs a case number (--case)', 'missing-case');
    if (!saysSomething(h.reason))
      throw new PolicyError('legal hold needs a reason (--reason)', 'missing-reason');
    // Checked inside the immediate transaction that inserts the hold: checked before it, the
    // read could be purged by retention while this waited for the write lock, and the hold would
    // hold nothing.
    const tx = this.db.transaction(() => {
      if (h.targetKind === 'read' && !this.db.prepare('SELECT 1 FROM reads WHERE id = ?').get(h.targetId)) {
        throw new PolicyError(`no read with id ${h.targetId}`, 'unknown-read');
      }
      if (h.targetKind === 'hit' && !this.hitExists(h.targetId)) {
        throw new PolicyError(`no hit with id ${h.targetId}`, 'unknown-hit');
      }
      const info = this.db
        .prepare(
          'INSERT INTO legal_holds (target_kind, target_id, case_number, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(h.targetKind, h.targetId, h.caseNumber, h.reason, actor.name, this.now());
      const id = Number(info.lastInsertRowid);
      this.audit.append({ type: 'hold.set', actor: actor.name, details: { holdId: id, ...h } });
      return this.get(id)!;
    });
    return tx.immediate();
  }

  release(actor: SignedInUser, holdId: number, reason: string): LegalHold {
    requireRole(actor, 'admin');
    if (!saysSomething(reason))
      throw new PolicyError('releasing a legal hold needs a reason (--reason)', 'missing-reason');
    // Checked inside the immediate transaction that releases it: checked before it, another
    // admin's release committed while this waited for the write lock would be released again,
    // its releaser overwritten and a second hold.release audited.
    const tx = this.db.transaction(() => {
      const hold = this.get(holdId);
      if (!hold) throw new PolicyError(`no legal hold with id ${holdId}`, 'unknown-hold');
      if (hold.releasedAt !== null)
        throw new PolicyError(`legal hold ${holdId} was already released`, 'hold-released');
      this.db
        .prepare(
          'UPDATE legal_holds SET released_by = ?, released_at = ? WHERE id = ? AND released_at IS NULL',
        )
        .run(actor.name, this.now(), holdId);
      this.audit.append({
        type: 'hold.release',
        actor: actor.name,
        details: {
          holdId,
          targetKind: hold.targetKind,
          targetId: hold.targetId,
          caseNumber: hold.caseNumber,
          reason,
        },
      });
      return this.get(holdId)!;
    });
    return tx.immediate();
  }

  get(id: number): LegalHold | undefined {
    const row = this.db.prepare('SELECT * FROM legal_holds WHERE id = ?').get(id) as HoldRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Holds in force, optionally for one case or target. */
  active(filter: { caseNumber?: string; targetKind?: HoldTarget; targetId?: string } = {}): LegalHold[] {
    const where = ['released_at IS NULL'];
    const args: unknown[] = [];
    if (filter.caseNumber) {
      where.push('case_number = ?');
      args.push(normaliseCaseNumber(filter.caseNumber));
    }
    if (filter.targetKind) {
      where.push('target_kind = ?');
      args.push(filter.targetKind);
    }
    if (filter.targetId) {
      where.push('target_id = ?');
      args.push(filter.targetId);
    }
    return (
      this.db
        .prepare(`SELECT * FROM legal_holds WHERE ${where.join(' AND ')} ORDER BY id`)
        .all(...args) as HoldRow[]
    ).map(fromRow);
  }

  /** Hits live in the alerts module's table; without that table there are none to hold. */
  private hitExists(id: string): boolean {
    const table = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hits'").get();
    return !!table && !!this.db.prepare('SELECT 1 FROM hits WHERE id = ?').get(id);
  }

  isHeld(kind: HoldTarget, id: string): boolean {
    return !!this.db
      .prepare('SELECT 1 FROM legal_holds WHERE target_kind = ? AND target_id = ? AND released_at IS NULL')
      .get(kind, id);
  }
}

function fromRow(r: HoldRow): LegalHold {
  return {
    id: r.id,
    targetKind: r.target_kind,
    targetId: r.target_id,
    caseNumber: r.case_number,
    reason: r.reason,
    setBy: r.set_by,
    setAt: r.set_at,
    releasedBy: r.released_by,
    releasedAt: r.released_at,
  };
}
