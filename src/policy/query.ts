import type { Db } from '../store/database.js';
import { fromRow } from '../store/reads.js';
import type { StoredRead } from '../store/types.js';
import { AuditLog } from './audit.js';
import { canonicalJson } from './canonical.js';
import { normaliseCaseNumber, saysSomething } from './case-number.js';
import { PolicyError } from './errors.js';
import { Where } from './sql-where.js';
import { boundingBox, distanceM } from './geo.js';
import { isPurpose, PURPOSES } from './purposes.js';
import { actorName, type Identity } from './roles.js';

export interface QueryCriteria {
  /** Exact plate (spaces and dashes ignored, case-insensitive). */
  plate?: string;
  /** Plates starting with this. */
  platePrefix?: string;
  /** Partial plate: `?` stands for one unknown character, `*` for any run (e.g. `AB?12*`). */
  partial?: string;
  /** UTC ms, inclusive. */
  from?: number;
  to?: number;
  cameraId?: string;
  near?: { lat: number; lon: number; radiusM: number };
  /** At most this many reads returned (newest first); default 1000. */
  limit?: number;
  /**
   * Not a search filter: what an export logs as its criteria, the case whose queried and held
   * reads it released (`exportCase`). `search` ignores it.
   */
  exportOfCase?: string;
}

export interface Justification {
  purpose?: string;
  caseNumber?: string;
  /** The user attests the search is not based solely on protected activity (policy V.B). */
  attested?: boolean;
}

export interface QueryResult {
  reads: StoredRead[];
  count: number;
  queryId: number;
  auditSeq: number;
  /** More reads matched than `limit` returned. */
  truncated: boolean;
  /** The reads were found but none disclosed (`Disclose` said why): logged as a refusal. */
  refusal?: string;
}

/**
 * What of a search's result is actually disclosed, decided before the query is logged (a
 * headquarters pull: the answer is made into messages first): the reads that go, from the first
 * (and whether more matched than go), or why none go. The query log then lists exactly those.
 */
export type Disclose = (
  reads: StoredRead[],
  truncated: boolean,
) => { reads: StoredRead[]; truncated: boolean } | { refusal: string };

/** Roles allowed to search read data; technicians maintain the unit, auditors read the audit log. */
const SEARCH_ROLES = ['officer', 'admin'] as const;

/** Normalise a plate as the recogniser writes it: upper case, no spaces or dashes. */
export function normalisePlate(p: string): string {
  return p.toUpperCase().replace(/[\s-]/g, '');
}

/**
 * A prefix or partial plate needs this many letters or digits (after normalising, wildcards not
 * counted): with fewer it matches most or all reads, a "browse all reads" (policy V, VI.E).
 */
export const MIN_PLATE_CHARACTERS = 2;

/** Letters and digits of a plate pattern once normalised; `?`, `*`, spaces and dashes do not count. */
export function plateCharacters(pattern: string): number {
  return normalisePlate(pattern).replace(/[^\p{L}\p{N}]/gu, '').length;
}

/**
 * Policy-checked search of stored reads (policy III.B, IV.B, V, VI.E). Every call, refused or
 * not, writes a query-log row and an audit record with the criteria and result count. Used by the
 * CLI, the console, exports and headquarters pull requests (identity `{kind: 'hq', requester}`).
 */
export class ReadQueries {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog = new AuditLog(db),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `disclose`: the caller sends the reads somewhere that may not take them all (a pull answer to
   * HQ): it is given the reads found and says which of them go, or why none do, and the query log
   * lists exactly that: a read found but not sent was not disclosed. Without it, every read found
   * (up to the limit) is returned, and logged.
   */
  search(
    identity: Identity | null | undefined,
    criteria: QueryCriteria,
    justification: Justification,
    disclose?: Disclose,
  ): QueryResult {
    const problems = this.check(identity, criteria, justification);
    if (problems.length) {
      this.log(identity, criteria, justification, 'refused', problems.join('; '), []);
      throw new PolicyError(`query refused: ${problems.join('; ')}`, 'query-refused');
    }
    // One read past the limit is looked at only to tell whether there were more: it is neither
    // returned nor logged, as it is not disclosed.
    const limit = criteria.limit ?? 1000;
    const found = this.find(criteria, limit + 1);
    let reads = found.slice(0, limit);
    let truncated = found.length > limit;
    if (disclose) {
      let decided: ReturnType<Disclose>;
      try {
        decided = disclose(reads, truncated);
      } catch (err) {
        // Nothing went: the attempt is logged as such, and the caller hears why.
        this.log(identity, criteria, justification, 'refused', `not sent: ${(err as Error).message}`, []);
        throw err;
      }
      if ('refusal' in decided) {
        const logged = this.log(identity, criteria, justification, 'refused', decided.refusal, []);
        return { reads: [], count: 0, ...logged, truncated: false, refusal: decided.refusal };
      }
      const foundIds = new Set(reads.map((r) => r.id));
      const stranger = decided.reads.find((r) => !foundIds.has(r.id));
      if (stranger) throw new Error(`disclose: read ${stranger.id} was not found by this query`);
      reads = decided.reads;
      truncated = decided.truncated;
    }
    const { queryId, auditSeq } = this.log(identity, criteria, justification, 'ok', null, reads);
    return { reads, count: reads.length, queryId, auditSeq, truncated };
  }

  /**
   * A search answered again without searching (a headquarters pull request repeated because its
   * answer was lost): the reads are disclosed again, so it is logged as a query of its own
   * (policy III.B: every pull of read data), its record pointing at the first answer's.
   */
  logRepeat(
    identity: Identity,
    criteria: QueryCriteria,
    justification: Justification,
    reads: StoredRead[],
    repeat: { of: number | null; requestId: string; count: number },
    refusal: string | null = null,
  ): void {
    this.log(identity, criteria, justification, refusal ? 'refused' : 'ok', refusal, reads, null, repeat);
  }

  /**
   * Log an export of a case's reads (policy III.B: every export of read data is in the query log,
   * like a search), refused (`refusal` set, no reads) or not. `exportCase` calls it in the same
   * transaction as its dissemination record.
   */
  logExport(
    identity: Identity | null | undefined,
    caseNumber: string | undefined,
    justification: Justification,
    reads: StoredRead[],
    refusal: string | null = null,
    hitIds: string[] = [],
  ): void {
    const criteria = { exportOfCase: caseNumber };
    this.log(
      identity,
      criteria,
      justification,
      refusal ? 'refused' : 'ok',
      refusal,
      reads,
      null,
      undefined,
      hitIds,
    );
  }

  /**
   * Log a query that never reached `search` because the person could not be authenticated (wrong
   * password, locked out...): it is still a query attempt and goes to the query log, under the
   * name that was claimed.
   */
  refuseUnauthenticated(
    claimedName: string | null,
    criteria: QueryCriteria,
    justification: Justification,
    reason: string,
  ): void {
    this.log(null, criteria, justification, 'refused', `not authenticated: ${reason}`, [], claimedName);
  }

  /** Everything that is missing or not allowed, each naming the fix. */
  private check(identity: Identity | null | undefined, c: QueryCriteria, j: Justification): string[] {
    const problems: string[] = [];
    if (!identity) problems.push('no authenticated user (sign in, or --as NAME on the command line)');
    else if (identity.kind === 'user' && !(SEARCH_ROLES as readonly string[]).includes(identity.role)) {
      problems.push(
        `${identity.name} is a ${identity.role}; searching reads needs the officer or admin role`,
      );
    } else if (identity.kind === 'hq' && !saysSomething(identity.requester))
      problems.push('headquarters request without a named requester');
    if (!j.purpose) problems.push(`missing purpose (one of ${PURPOSES.map((p) => p.code).join(', ')})`);
    else if (!isPurpose(j.purpose))
      problems.push(`unknown purpose "${j.purpose}" (use one of ${PURPOSES.map((p) => p.code).join(', ')})`);
    if (!saysSomething(j.caseNumber))
      problems.push(
        `missing case or incident number${j.caseNumber?.trim() ? ` ("${j.caseNumber}" has no letter or digit)` : ''}`,
      );
    if (j.attested !== true) {
      problems.push(
        'missing attestation that the search is not based solely on protected activity or association (policy V.B)',
      );
    }
    const hasCriterion =
      c.plate !== undefined ||
      c.platePrefix !== undefined ||
      c.partial !== undefined ||
      c.from !== undefined ||
      c.to !== undefined ||
      !!c.cameraId ||
      !!c.near;
    if (!hasCriterion)
      problems.push('no search criteria: give a plate, partial plate, time range, camera or place');
    if (c.plate !== undefined && plateCharacters(c.plate) === 0)
      problems.push(`plate "${c.plate}" has no letters or digits: give the plate (--plate ABC1234)`);
    for (const [field, value, example] of [
      ['plate prefix', c.platePrefix, '--prefix AB'],
      ['partial plate', c.partial, '--partial AB?12*'],
    ] as const) {
      if (value !== undefined && plateCharacters(value) < MIN_PLATE_CHARACTERS) {
        problems.push(
          `${field} "${value}" needs at least ${MIN_PLATE_CHARACTERS} letters or digits (spaces, dashes and wildcards do not count), or it matches nearly every read: give more of the plate (${example})`,
        );
      }
    }
    if (c.from !== undefined && c.to !== undefined && c.from > c.to)
      problems.push('time range: --from is after --to');
    return problems;
  }

  private find(c: QueryCriteria, limit: number): StoredRead[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (c.plate) {
      where.push('plate = ?');
      args.push(normalisePlate(c.plate));
    }
    if (c.platePrefix) {
      where.push("plate LIKE ? ESCAPE '\\'");
      args.push(`${likeEscape(normalisePlate(c.platePrefix))}%`);
    }
    if (c.partial) {
      const pattern = likeEscape(normalisePlate(c.partial)).replace(/\?/g, '_').replace(/\*/g, '%');
      where.push("plate LIKE ? ESCAPE '\\'");
      args.push(pattern.includes('%') ? pattern : `%${pattern}%`);
    }
    if (c.from !== undefined) {
      where.push('ts >= ?');
      args.push(c.from);
    }
    if (c.to !== undefined) {
      where.push('ts <= ?');
      args.push(c.to);
    }
    if (c.cameraId) {
      where.push('camera_id = ?');
      args.push(c.cameraId);
    }
    if (c.near) {
      const b = boundingBox(c.near);
      where.push('lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?');
      args.push(b.minLat, b.maxLat, b.minLon, b.maxLon);
    }
    const sql = `SELECT * FROM reads WHERE ${where.join(' AND ')} ORDER BY ts DESC`;
    const out: StoredRead[] = [];
    for (const row of this.db.prepare(sql).iterate(...args)) {
      const read = fromRow(row as Parameters<typeof fromRow>[0]);
      if (c.near && (!read.gps || distanceM(read.gps, c.near) > c.near.radiusM)) continue;
      out.push(read);
      if (out.length >= limit) break;
    }
    return out;
  }

  private log(
    identity: Identity | null | undefined,
    criteria: QueryCriteria,
    j: Justification,
    outcome: 'ok' | 'refused',
    refusal: string | null,
    reads: StoredRead[],
    claimedName: string | null = null,
    repeat?: { of: number | null; requestId: string; count: number },
    /** The hits an export released (only exports release hits; a search's record has none). */
    hitIds?: string[],
  ): { queryId: number; auditSeq: number } {
    const actor = identity ? actorName(identity) : claimedName;
    j = withCaseNumberNormalised(j);
    return this.db.transaction(() => {
      const record = this.audit.append({
        type: 'query',
        actor,
        details: {
          requesterKind: identity?.kind ?? (claimedName ? 'unauthenticated' : null),
          purpose: j.purpose ?? null,
          caseNumber: j.caseNumber ?? null,
          attested: j.attested === true,
          criteria,
          outcome,
          refusal,
          resultCount: reads.length,
          resultIds: reads.map((r) => r.id),
          ...(hitIds && { hitCount: hitIds.length, hitIds }),
          ...(repeat && { repeat }),
        },
      });
      const info = this.db
        .prepare(
          `INSERT INTO query_log (ts, requester_kind, requester, purpose, case_number, attested, criteria, outcome, refusal,
             result_count, audit_seq, result_ids, hit_ids)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.ts,
          identity?.kind ?? (claimedName ? 'unauthenticated' : 'none'),
          actor,
          j.purpose ?? null,
          j.caseNumber ?? null,
          j.attested === true ? 1 : 0,
          JSON.stringify(criteria),
          outcome,
          refusal,
          reads.length,
          record.seq,
          JSON.stringify(reads.map((r) => r.id)),
          JSON.stringify(hitIds ?? []),
        );
      return { queryId: Number(info.lastInsertRowid), auditSeq: record.seq };
    })();
  }
}

/** The justification with its case number in the one form it is stored and compared in. */
function withCaseNumberNormalised(j: Justification): Justification {
  return j.caseNumber === undefined ? j : { ...j, caseNumber: normaliseCaseNumber(j.caseNumber) };
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

export interface QueryLogEntry {
  id: number;
  ts: number;
  requesterKind: string;
  requester: string | null;
  purpose: string | null;
  caseNumber: string | null;
  attested: boolean;
  criteria: QueryCriteria;
  outcome: 'ok' | 'refused';
  refusal: string | null;
  resultCount: number;
  resultIds: string[];
  /** The hits an export released; none for a search. */
  hitIds: string[];
  /**
   * A headquarters pull request answered again (its answer lost): that request's id, from this
   * row's chained record; null for a query of its own.
   */
  repeatOf: string | null;
}

/** The query log between two times (audit reports, case exports). */
export function listQueryLog(
  db: Db,
  opts: { from?: number; to?: number; requester?: string; caseNumber?: string } = {},
): QueryLogEntry[] {
  const where = new Where()
    .add('ts >= ?', opts.from)
    .add('ts <= ?', opts.to)
    .add('requester = ?', opts.requester)
    .add('case_number = ?', normaliseCaseNumber(opts.caseNumber));
  const rows = db
    .prepare(
      `SELECT q.*, json_extract(a.details, '$.repeat.requestId') AS repeat_of
         FROM query_log q LEFT JOIN audit_log a ON a.seq = q.audit_seq
         ${where.sql('q')} ORDER BY q.id`,
    )
    .all(...where.args) as {
    id: number;
    ts: number;
    requester_kind: string;
    requester: string | null;
    purpose: string | null;
    case_number: string | null;
    attested: number;
    criteria: string;
    outcome: 'ok' | 'refused';
    refusal: string | null;
    result_count: number;
    result_ids: string;
    hit_ids: string;
    repeat_of: string | null;
  }[];
  return rows.map((r) => ({
    id: r.id,
    ts: r.ts,
    requesterKind: r.requester_kind,
    requester: r.requester,
    purpose: r.purpose,
    caseNumber: r.case_number,
    attested: r.attested === 1,
    criteria: JSON.parse(r.criteria) as QueryCriteria,
    outcome: r.outcome,
    refusal: r.refusal,
    resultCount: r.result_count,
    resultIds: JSON.parse(r.result_ids) as string[],
    hitIds: JSON.parse(r.hit_ids) as string[],
    repeatOf: r.repeat_of,
  }));
}

/**
 * The query log against the hash chain (policy VI.F): every `query` record still on the unit has
 * exactly one query-log row, each row says in every column what its record says, and no row is
 * without a record. The log itself is not chained, so this is what shows a row deleted, rewritten
 * or added by someone who dropped its triggers. Returns the first mismatch, or null.
 */
export function queryLogMismatch(db: Db): string | null {
  const records = db
    .prepare("SELECT seq, ts, actor, details FROM audit_log WHERE type = 'query' ORDER BY seq")
    .all() as QueryRecord[];
  const rowFor = db.prepare('SELECT * FROM query_log WHERE audit_seq = ? ORDER BY id LIMIT 1');
  for (const r of records) {
    const row = rowFor.get(r.seq) as QueryLogRow | undefined;
    if (!row) return `query-log row of audit record ${r.seq} was removed`;
    const altered = alteredColumns(row, r);
    if (altered.length)
      return `query-log row ${row.id} was altered (${altered.join(', ')}): it no longer matches audit record ${r.seq}`;
  }
  return insertedRow(db);
}

interface QueryRecord {
  seq: number;
  ts: number;
  actor: string | null;
  details: string;
}

type QueryLogRow = Record<string, unknown> & { id: number; audit_seq: number | null };

/** The columns of a query-log row that differ from what its chained `query` record says. */
function alteredColumns(row: QueryLogRow, record: QueryRecord): string[] {
  const d = JSON.parse(record.details) as Record<string, unknown>;
  // The row as `ReadQueries.log` wrote it from this record (the row's own id and the link excepted).
  const expected: Record<string, unknown> = {
    ts: record.ts,
    requester_kind: d.requesterKind ?? 'none',
    requester: record.actor,
    purpose: d.purpose,
    case_number: d.caseNumber,
    attested: d.attested === true ? 1 : 0,
    criteria: canonicalJson(d.criteria),
    outcome: d.outcome,
    refusal: d.refusal,
    result_count: d.resultCount,
    // Records written before result ids were chained (2026-12-01) carry none to compare.
    ...(d.resultIds !== undefined && { result_ids: JSON.stringify(d.resultIds) }),
    // Only exports' records carry hit ids (since policy migration 5); every other row has none.
    hit_ids: JSON.stringify(d.hitIds ?? []),
  };
  // The row keeps criteria in the order they were given, the record with its keys sorted.
  const actual: Record<string, unknown> = { ...row, criteria: canonicalCriteria(row.criteria) };
  return Object.keys(expected).filter((column) => actual[column] !== expected[column]);
}

function canonicalCriteria(text: unknown): unknown {
  try {
    return canonicalJson(JSON.parse(String(text)));
  } catch {
    return text;
  }
}

/**
 * A row no `query` record accounts for: a forged query, or a second row for a record that has
 * its own. Rows whose records were purged after headquarters acknowledged them (below the chain's
 * recorded base) have nothing left to be checked against on the unit.
 */
function insertedRow(db: Db): string | null {
  const base = db.prepare("SELECT value FROM policy_state WHERE key = 'audit.base'").pluck().get() as
    string | undefined;
  const purgedUpTo = base ? (JSON.parse(base) as { seq: number }).seq : 0;
  const rows = db
    .prepare(
      `SELECT q.id, q.audit_seq, a.seq AS record_seq FROM query_log q
         LEFT JOIN audit_log a ON a.seq = q.audit_seq AND a.type = 'query' ORDER BY q.id`,
    )
    .all() as { id: number; audit_seq: number | null; record_seq: number | null }[];
  const rowOf = new Map<number, number>();
  for (const row of rows) {
    if (row.audit_seq !== null && row.audit_seq <= purgedUpTo && row.record_seq === null) continue;
    if (row.record_seq === null)
      return `query-log row ${row.id} was inserted: it has no query record in the audit chain`;
    const first = rowOf.get(row.record_seq);
    if (first !== undefined)
      return `query-log row ${row.id} was inserted: audit record ${row.record_seq} already has row ${first}`;
    rowOf.set(row.record_seq, row.id);
  }
  return null;
}
