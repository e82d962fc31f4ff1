import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Db } from '../store/database.js';
import { fromRow } from '../store/reads.js';
import type { StoredRead } from '../store/types.js';
import { AuditLog } from './audit.js';
import { normaliseCaseNumber, saysSomething } from './case-number.js';
import { writeFileWithRecord } from './audited-file.js';
import { PolicyError } from './errors.js';
import { LegalHolds } from './holds.js';
import { isPurpose, PURPOSES } from './purposes.js';
import { listQueryLog, ReadQueries } from './query.js';
import { actorName, type Identity } from './roles.js';

export const FOUO_MARKING =
  'FOR OFFICIAL USE ONLY - License plate reader data. Share only with law enforcement with a need to know, ' +
  'for a purpose permitted by the agency LPR policy (IV.B, IV.D). Further dissemination must be documented.';

export interface ExportRequest {
  caseNumber?: string;
  reason?: string;
  /** The person who asked for the data. */
  requester?: string;
  /** Their agency. */
  agency?: string;
  purpose?: string;
  /** The user attests the export is not based solely on protected activity (policy V.B), as for a search. */
  attested?: boolean;
  /** A public-records (FOIL) request: needs a legal-review reference (policy VI.H). */
  recordsRequest?: boolean;
  legalReview?: string;
}

export interface ExportResult {
  file: string;
  reads: number;
  hits: number;
  sha256: string;
  auditSeq: number;
}

const EXPORT_ROLES = ['officer', 'admin'];

/**
 * Dissemination of a case's data (policy IV.D, VI.H). Exports the reads the case's logged queries
 * for the export's purpose returned (refused for a purpose the case was never queried for, policy
 * IV.B) plus the reads and hits under legal hold for the case, into a JSON file carrying the
 * For Official Use Only marking, and writes a dissemination record (who, to whom, why, what) to
 * the audit log and a query-log record like a search's (policy III.B). Anything missing is refused
 * and the refusal is logged in both too.
 */
export function exportCase(
  deps: { db: Db; unitId: string; audit?: AuditLog; now?: () => number },
  identity: Identity | null | undefined,
  req: ExportRequest,
  outFile: string,
): ExportResult {
  const { db } = deps;
  req = { ...req, caseNumber: normaliseCaseNumber(req.caseNumber) };
  const audit = deps.audit ?? new AuditLog(db);
  const queries = new ReadQueries(db, audit);
  const now = (deps.now ?? Date.now)();
  const justification = { purpose: req.purpose, caseNumber: req.caseNumber, attested: req.attested };
  const problems: string[] = [];
  if (!identity) problems.push('no authenticated user (--as NAME)');
  else if (identity.kind === 'user' && !EXPORT_ROLES.includes(identity.role)) {
    problems.push(`${identity.name} is a ${identity.role}; exports need the officer or admin role`);
  }
  if (!saysSomething(req.caseNumber)) problems.push('missing case number (--case)');
  if (!saysSomething(req.reason)) problems.push('missing reason (--reason)');
  if (!saysSomething(req.requester)) problems.push('missing requesting person (--requester)');
  if (!saysSomething(req.agency)) problems.push('missing requesting agency (--agency)');
  if (!req.purpose)
    problems.push(`missing purpose (--purpose: one of ${PURPOSES.map((p) => p.code).join(', ')})`);
  else if (!isPurpose(req.purpose))
    problems.push(`unknown purpose "${req.purpose}" (use one of ${PURPOSES.map((p) => p.code).join(', ')})`);
  if (req.recordsRequest && !saysSomething(req.legalReview)) {
    problems.push(
      'a public-records request needs the legal review reference (--legal-review REF, policy VI.H)',
    );
  }
  if (req.attested !== true) {
    problems.push(
      'missing attestation that the export is not based solely on protected activity or association (--attest, policy V.B)',
    );
  }
  const actor = identity ? actorName(identity) : null;
  // A refused export is in the query log and the audit log, as a refused search is.
  const refuse = (refusal: string) =>
    db.transaction(() => {
      queries.logExport(identity, req.caseNumber, justification, [], refusal);
      audit.append({ type: 'export', actor, details: { outcome: 'refused', refusal, ...req } });
    })();
  if (problems.length) {
    refuse(problems.join('; '));
    throw new PolicyError(`export refused: ${problems.join('; ')}`, 'export-refused');
  }
  const caseNumber = req.caseNumber!;
  const purpose = req.purpose!;
  // The case's earlier exports are in the query log too, but are no source of its reads: a read
  // whose legal hold was released since must not come back through them.
  const caseQueries = listQueryLog(db, { caseNumber }).filter(
    (q) => q.outcome === 'ok' && q.criteria.exportOfCase === undefined,
  );
  // Purpose limitation (policy IV.B): reads searched for one purpose are not disclosed for another.
  // Whoever exports (any officer on the case) is named in both records; the purpose is what binds.
  const queriedFor = [...new Set(caseQueries.map((q) => q.purpose ?? ''))].sort();
  if (queriedFor.length && !queriedFor.includes(purpose)) {
    const refusal = `case ${caseNumber} was queried for ${queriedFor.join(', ')}, not ${purpose}; its reads are released only for a purpose they were queried for (policy IV.B)`;
    refuse(refusal);
    throw new PolicyError(`export refused: ${refusal}`, 'export-purpose');
  }
  const holds = new LegalHolds(db, audit).active({ caseNumber });
  const readIds = new Set<string>();
  for (const q of caseQueries) if (q.purpose === purpose) for (const id of q.resultIds) readIds.add(id);
  for (const h of holds) if (h.targetKind === 'read') readIds.add(h.targetId);
  const get = db.prepare('SELECT * FROM reads WHERE id = ?');
  const reads: StoredRead[] = [];
  for (const id of readIds) {
    const row = get.get(id);
    if (row) reads.push(fromRow(row as Parameters<typeof fromRow>[0]));
  }
  reads.sort((a, b) => a.ts - b.ts);
  const hits = caseHits(
    db,
    new Set(reads.map((r) => r.id)),
    new Set(holds.filter((h) => h.targetKind === 'hit').map((h) => h.targetId)),
  );
  if (reads.length === 0 && hits.length === 0) {
    refuse('nothing recorded for this case');
    throw new PolicyError(
      `export refused: no reads or hits recorded for case ${caseNumber} (run a query with --case ${caseNumber}, or set a legal hold for it)`,
      'export-empty',
    );
  }
  const dissemination = {
    caseNumber,
    purpose: req.purpose,
    reason: req.reason,
    requester: req.requester,
    agency: req.agency,
    recordsRequest: !!req.recordsRequest,
    legalReview: req.legalReview ?? null,
    releasedBy: actor,
    unitId: deps.unitId,
    exportedAt: new Date(now).toISOString(),
  };
  const body = {
    marking: FOUO_MARKING,
    dissemination,
    reads: reads.map(({ cropPath, overviewPath, ...r }) => ({
      ...r,
      images: { crop: cropPath, overview: overviewPath },
    })),
    hits,
    marking_end: 'FOR OFFICIAL USE ONLY',
  };
  const text = `${JSON.stringify(body, null, 2)}\n`;
  const sha256 = createHash('sha256').update(text).digest('hex');
  const abs = path.resolve(outFile);
  // The dissemination and query-log records say "ok" only if the file was written, and no export
  // is ever on disk without them.
  const hitIds = hits.map((h) => String(h.id ?? ''));
  const record = writeFileWithRecord(db, abs, text, () => {
    queries.logExport(identity, caseNumber, justification, reads, null, hitIds);
    return audit.append({
      type: 'export',
      actor,
      details: {
        outcome: 'ok',
        ...dissemination,
        file: path.basename(abs),
        sha256,
        readIds: reads.map((r) => r.id),
        hitIds,
      },
    });
  });
  return { file: abs, reads: reads.length, hits: hits.length, sha256, auditSeq: record.seq };
}

/**
 * An export whose sign-in failed (unknown user, wrong password, locked or disabled account, no
 * password given) is still an attempt to disseminate read data: it goes to the query log under the
 * name that was claimed, as a query whose sign-in failed does (policy III.B, VI.E), and to the audit
 * log as a refused export naming what was asked for (case, purpose, reason, requester, agency).
 * `reason` is the sign-in refusal.
 */
export function refuseUnauthenticatedExport(
  deps: { db: Db; audit?: AuditLog },
  claimedName: string,
  req: ExportRequest,
  reason: string,
): void {
  req = { ...req, caseNumber: normaliseCaseNumber(req.caseNumber) };
  const audit = deps.audit ?? new AuditLog(deps.db);
  const justification = { purpose: req.purpose, caseNumber: req.caseNumber, attested: req.attested };
  deps.db.transaction(() => {
    new ReadQueries(deps.db, audit).refuseUnauthenticated(
      claimedName,
      { exportOfCase: req.caseNumber },
      justification,
      reason,
    );
    audit.append({
      type: 'export',
      actor: claimedName,
      details: { outcome: 'refused', refusal: `not authenticated: ${reason}`, ...req },
    });
  })();
}

/** Hits for these reads or held for the case, when the hits module's table exists. */
function caseHits(db: Db, readIds: Set<string>, heldHitIds: Set<string>): Record<string, unknown>[] {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hits'").get();
  if (!table) return [];
  const cols = (db.prepare('PRAGMA table_info(hits)').all() as { name: string }[]).map((c) => c.name);
  const byRead = cols.includes('read_id') ? 'OR read_id IN (SELECT value FROM json_each(?))' : '';
  const args = [JSON.stringify([...heldHitIds]), ...(byRead ? [JSON.stringify([...readIds])] : [])];
  return db
    .prepare(`SELECT * FROM hits WHERE id IN (SELECT value FROM json_each(?)) ${byRead}`)
    .all(...args) as Record<string, unknown>[];
}
