import type { Db } from '../store/database.js';
import { AuditLog, type VerifyResult } from './audit.js';
import { queryLogMismatch } from './query.js';

/** The audit trail checked as a whole: `ok` only when the chain and the query log both are. */
export interface TrailCheck extends VerifyResult {
  /** The first query-log row that does not match the chain, or null. */
  queryLog: string | null;
}

/**
 * What `audit verify` checks and every audit report states (policy VI.F, VI.G). The chain alone
 * is not the trail: the query log, which reports and exports are built from, is not chained, so a
 * row rewritten behind its triggers shows only against the records in the chain.
 */
export function checkTrail(db: Db, audit: AuditLog = new AuditLog(db)): TrailCheck {
  const chain = audit.verify();
  const queryLog = queryLogMismatch(db);
  return { ...chain, ok: chain.ok && queryLog === null, queryLog };
}

/** The result in one line, the same words from `audit verify` and in the report. */
export function trailSummary(t: TrailCheck): string {
  if (t.firstBad) return `audit chain BROKEN: ${t.firstBad.message}`;
  if (t.queryLog) return `query log does not match the audit chain: ${t.queryLog}`;
  return `audit chain intact: ${t.count} records; query log matches it`;
}
