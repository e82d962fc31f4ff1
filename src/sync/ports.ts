import type { StoredRead } from '../store/types.js';
import type { HotlistDocument, PullCriteria, RosterEntry } from './schemas.js';

/**
 * What sync needs from the other modules, as narrow interfaces: the daemon passes the real
 * hotlist store, user directory, audit log and query service; tests can pass the same real
 * classes on a temporary database.
 */
export interface HotlistPort {
  /** Version of the list this unit holds, or undefined if it holds none. */
  currentVersion(listId: string): number | undefined;
  /** Apply a verified full list or delta atomically (throw, and nothing is applied). */
  apply(doc: HotlistDocument): HotlistApplied;
}

/** What a list or delta from HQ did to the unit's list (a full list adds only). */
export interface HotlistApplied {
  added: number;
  /** Delta adds for entries already on the list, whose fields they replaced. */
  updated: number;
  /** Copies identical to another in the document or (delta) to an entry already on the list. */
  duplicates: number;
  removed: number;
  /** Delta removes that named no entry on the list. */
  notFound: number;
  /**
   * Entries whose reason was cut to REASON_MAX_CHARS, each named by its path in the document and
   * the length it had (`entries.3 (1500)`).
   */
  cut: string[];
}

export interface RosterPort {
  /** Apply the HQ roster atomically (HQ-managed users missing from it are disabled); audits itself. */
  applyRoster(entries: RosterEntry[], source: string): unknown;
}

export interface AuditPort {
  append(event: { type: string; actor: string | null; details: Record<string, unknown> }): unknown;
}

export interface PullJustification {
  purpose?: string;
  caseNumber?: string;
  attested?: boolean;
}

/**
 * The policy-checked read search (the same one an officer's query goes through). It writes the
 * query log, and throws (an Error named PolicyError) when the request is refused.
 */
export interface QueryPort {
  search(
    identity: { kind: 'hq'; requester: string },
    criteria: PullCriteria & { limit?: number },
    justification: PullJustification,
    /**
     * Called with the reads found, before the query is logged: which of them the answer holds
     * (all, or the first ones when it is cut to one message), or why it holds none (it cannot be
     * made to fit the broker). The query log lists exactly what this returns.
     */
    disclose?: (
      reads: StoredRead[],
      truncated: boolean,
    ) => { reads: StoredRead[]; truncated: boolean } | { refusal: string },
  ): PullQueryResult | Promise<PullQueryResult>;
  /**
   * The same request answered again with the first answer's reads (HQ lost it): no new search,
   * but read data disclosed again, so a query-log row of its own pointing at the first's record.
   */
  logRepeat(
    identity: { kind: 'hq'; requester: string },
    criteria: PullCriteria & { limit?: number },
    justification: PullJustification,
    reads: StoredRead[],
    repeat: { of: number | null; requestId: string; count: number },
    refusal?: string | null,
  ): void;
}

export interface PullQueryResult {
  /** At most `criteria.limit`: every one is sent to HQ and in the query log (what `disclose` kept). */
  reads: StoredRead[];
  /** `disclose` said none go, and why: the query is logged as refused with this reason. */
  refusal?: string;
  /** More reads matched than the limit let through. */
  truncated: boolean;
  /** Sequence number of the query's audit record (a repeated request's record points to it). */
  auditSeq?: number;
}
