import { createHash, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { Logger } from '../log.js';
import type { Db } from '../store/database.js';
import type { ReadStore } from '../store/reads.js';
import type { StoredRead } from '../store/types.js';
import { parseJson } from './codec.js';
import type { BuiltPullAnswer, PullAnswerHead, PullAnswerRead } from './message-size.js';
import type { Outbox } from './outbox.js';
import type { AuditPort, HotlistApplied, HotlistPort, QueryPort, RosterPort } from './ports.js';
import { REASON_MAX_CHARS } from '../hotlist/types.js';
import {
  ackSchema,
  describeIssues,
  hotlistDocumentSchema,
  pullRequestSchema,
  rosterDocumentSchema,
  type HotlistDocument,
  type PullRequest,
  type RosterDocument,
} from './schemas.js';
import { openSignedBy, type HqKeys } from './signing.js';
import { readBody } from './sources.js';
import { FLEET, parseTopic, type ParsedTopic, type Topics } from './topics.js';
import { LOCAL_LIST } from '../hotlist/types.js';
import { generatedInFuture } from '../hotlist/currency.js';

/** A pull request is valid for a day after HQ issued it; a few minutes of clock skew are allowed. */
const PULL_MAX_AGE_MS = 24 * 3_600_000;
const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * HQ that lost an answer sends the same request again; it is answered again, but no more often than
 * this and no more times than that: a repeat re-sends read data (crops too), and a captured signed
 * request replayed in a loop must not turn the unit into a fire hose for a day.
 */
const PULL_REPEAT_MIN_MS = 30_000;
const PULL_MAX_REPEATS = 10;
export type InboundOutcome = 'applied' | 'ignored' | 'rejected' | 'answered' | 'refused';

export interface InboundDeps {
  db: Db;
  log: Logger;
  topics: Topics;
  outbox: Outbox;
  reads: ReadStore;
  /** HQ's key for everything it signs (sync.hqPublicKey), when `keys` is not given. */
  publicKey?: KeyObject;
  /** HQ's keys (sync.hqPublicKey and sync.hqKeys): each document is checked as `openSignedBy` says. */
  keys?: HqKeys;
  maxPayloadBytes: number;
  pullMaxResults: number;
  hotlists?: HotlistPort;
  roster?: RosterPort;
  audit?: AuditPort;
  queries?: QueryPort;
  /**
   * Make a pull answer into the messages that will go on up/pull-response: as many as the
   * broker's maximum packet size takes (`oneMessage`: one, cut after the reads it holds), or an
   * `error` holding no reads when it cannot be made to fit.
   */
  buildAnswer(
    head: PullAnswerHead,
    reads: PullAnswerRead[],
    opts?: { oneMessage?: boolean },
  ): BuiltPullAnswer;
  /**
   * Send those messages (paced by the rate limit, waiting for the link). Resolves once the broker
   * has them all, or when sync stops first, naming the parts never handed to the broker.
   */
  sendAnswer(answer: BuiltPullAnswer): Promise<{ unsentParts: number[] }>;
  /** HQ acknowledged these message ids (newly). */
  onAcked?(ids: string[]): void;
  /**
   * The wall clock pull requests are timed by: their validity against HQ's `issuedAt` (a time from
   * elsewhere), and the pace of repeats (from `sync_pulls.answered_at`, which outlives a restart).
   */
  now?: () => number;
}

class Rejection extends Error {
  constructor(
    message: string,
    readonly audit = false,
  ) {
    super(message);
  }
}

/**
 * Everything that arrives from headquarters goes through here. Nothing in this class may throw
 * to the MQTT client: a bad message is logged, recorded in sync_inbound and dropped, and a
 * document is applied completely or not at all.
 */
export class InboundRouter {
  private readonly record;
  private readonly versionStmt;
  private readonly setVersion;
  private readonly pulls;
  private readonly now: () => number;
  private readonly keys: HqKeys;
  /**
   * Requests this process is searching for or sending the answer to now: a copy arriving
   * meanwhile waits for that answer.
   */
  private readonly answering = new Set<string>();

  constructor(private readonly d: InboundDeps) {
    this.now = d.now ?? Date.now;
    this.keys = d.keys ?? { ...(d.publicKey ? { main: d.publicKey } : {}), byId: new Map() };
    this.record = d.db.prepare(
      'INSERT INTO sync_inbound (ts, topic, kind, bytes, outcome, reason) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.versionStmt = d.db.prepare('SELECT version FROM sync_versions WHERE name = ?').pluck();
    this.setVersion = d.db.prepare(
      `INSERT INTO sync_versions (name, version, issued_at, applied_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, issued_at = excluded.issued_at, applied_at = excluded.applied_at`,
    );
    this.pulls = {
      get: d.db.prepare('SELECT * FROM sync_pulls WHERE request_id = ?'),
      claim: d.db.prepare(
        'INSERT OR REPLACE INTO sync_pulls (request_id, digest, issued_at, answered_at) VALUES (?, ?, ?, ?)',
      ),
      answered: d.db.prepare(
        `UPDATE sync_pulls SET status = ?, reason = ?, truncated = ?, read_ids = ?, query_seq = ?
         WHERE request_id = ?`,
      ),
      repeated: d.db.prepare(
        `UPDATE sync_pulls SET repeats = repeats + 1, answered_at = ?, issued_at = max(issued_at, ?)
         WHERE request_id = ?`,
      ),
      prune: d.db.prepare('DELETE FROM sync_pulls WHERE issued_at < ?'),
    };
  }

  /** What the unit's status tells HQ about the down-link: the roster held, the last rejection. */
  statusSummary(): {
    roster?: { rosterId: string; version: number };
    lastRejected?: { ts: number; topic: string; reason: string };
  } {
    const roster = this.d.db
      .prepare(
        "SELECT name, version FROM sync_versions WHERE name LIKE 'roster:%' ORDER BY applied_at DESC LIMIT 1",
      )
      .get() as { name: string; version: number } | undefined;
    const rejected = this.d.db
      .prepare(
        "SELECT ts, topic, reason FROM sync_inbound WHERE outcome = 'rejected' ORDER BY id DESC LIMIT 1",
      )
      .get() as { ts: number; topic: string; reason: string | null } | undefined;
    return {
      ...(roster
        ? { roster: { rosterId: roster.name.slice('roster:'.length), version: roster.version } }
        : {}),
      ...(rejected
        ? { lastRejected: { ts: rejected.ts, topic: rejected.topic, reason: rejected.reason ?? '' } }
        : {}),
    };
  }

  /** Handle one message. Resolves when done; never rejects. */
  async handle(topic: string, payload: Buffer): Promise<InboundOutcome | 'acked'> {
    const parsed = parseTopic(topic);
    const kind = parsed?.channel === 'down' ? (parsed.kind ?? 'unknown') : (parsed?.channel ?? 'unknown');
    try {
      if (payload.length > this.d.maxPayloadBytes) {
        throw new Rejection(
          `payload of ${payload.length} bytes exceeds sync.maxPayloadBytes (${this.d.maxPayloadBytes})`,
        );
      }
      if (!parsed || parsed.agency !== this.d.topics.agency)
        throw new Rejection('not a topic of this agency');
      if (kind === 'ack') return this.ack(payload);
      if (parsed.channel !== 'down') throw new Rejection(`unexpected channel ${parsed.channel}`);
      if (kind === 'hotlist') return this.done(topic, kind, payload, this.hotlist(payload, parsed));
      if (kind === 'roster') return this.done(topic, kind, payload, this.roster(payload, parsed));
      if (kind === 'pull') return this.done(topic, kind, payload, await this.pull(payload));
      throw new Rejection(`unknown message kind "${kind}"`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.d.log.error({ topic, bytes: payload.length, reason }, 'inbound sync message rejected');
      if (err instanceof Rejection && err.audit) {
        this.audit(kind === 'roster' ? 'roster.apply' : 'hotlist.import', {
          outcome: 'rejected',
          reason,
          topic,
        });
      }
      this.safeRecord(topic, kind, payload.length, 'rejected', reason);
      return 'rejected';
    }
  }

  private done(
    topic: string,
    kind: string,
    payload: Buffer,
    result: { outcome: InboundOutcome; reason?: string },
  ): InboundOutcome {
    this.safeRecord(topic, kind, payload.length, result.outcome, result.reason ?? null);
    return result.outcome;
  }

  private safeRecord(
    topic: string,
    kind: string,
    bytes: number,
    outcome: InboundOutcome,
    reason: string | null,
  ) {
    try {
      this.record.run(Date.now(), topic, kind, bytes, outcome, reason);
    } catch (err) {
      this.d.log.error({ err: (err as Error).message }, 'could not record inbound message');
    }
  }

  private audit(type: 'roster.apply' | 'hotlist.import', details: Record<string, unknown>): void {
    try {
      this.d.audit?.append({ type, actor: 'hq', details });
    } catch (err) {
      this.d.log.error({ err: (err as Error).message, type }, 'could not write audit record');
    }
  }

  /**
   * An ack makes the unit stop sending a record and lets retention purge it, so it is signed by HQ
   * like every other document HQ sends: whoever can publish on the ack topic must not be able to
   * acknowledge a record HQ never stored. A unit without HQ's key takes none (its records stay
   * queued), as it takes no hotlist. Not audited: a forged ack changes nothing, and each one must
   * not add to the audit chain. A genuine ack replayed later needs no freshness check: it is bound
   * to this unit, and message ids are never reused (UUIDs, or numbers under the database's random
   * `sync_install` id), so it can only acknowledge again records HQ has stored.
   */
  private ack(payload: Buffer): 'acked' {
    const { ids } = this.signed(payload, ackSchema, 'ack', false);
    const { acked, unsent, unknown } = this.d.outbox.ack(ids);
    // Counts only: the ids name reads, and a forged ack is no reason to write them to the log.
    if (unsent + unknown > 0)
      this.d.log.warn({ unsent, unknown }, 'ack from HQ names records this unit never sent; ignored');
    if (acked.length) this.d.onAcked?.(acked);
    return 'acked';
  }

  /** Verify the signature and the target; return the signed document. `audit`: audit a rejection. */
  private signed<T extends { agency: string; unit?: string | undefined }>(
    payload: Buffer,
    schema: z.ZodType<T>,
    what: 'ack' | 'hotlist' | 'roster',
    audit = true,
  ): T {
    let raw: unknown;
    try {
      raw = openSignedBy(parseJson(payload), this.keys, what);
    } catch (err) {
      throw new Rejection(`${what}: ${(err as Error).message}`, audit);
    }
    const doc = schema.safeParse(raw);
    if (!doc.success) throw new Rejection(`${what}: invalid document: ${describeIssues(doc.error)}`, audit);
    if (doc.data.agency !== this.d.topics.agency) {
      throw new Rejection(
        `${what}: signed for agency ${doc.data.agency}, this unit is ${this.d.topics.agency}`,
        audit,
      );
    }
    if (doc.data.unit !== undefined && doc.data.unit !== this.d.topics.unit) {
      throw new Rejection(`${what}: addressed to unit ${doc.data.unit}`, audit);
    }
    return doc.data;
  }

  private current(name: string, fromPort: number | undefined): number {
    return Math.max(fromPort ?? 0, (this.versionStmt.get(name) as number | undefined) ?? 0);
  }

  private hotlist(payload: Buffer, topic: ParsedTopic): { outcome: InboundOutcome; reason?: string } {
    const doc: HotlistDocument = this.signed(payload, hotlistDocumentSchema, 'hotlist');
    if (doc.listId === LOCAL_LIST)
      throw new Rejection(
        `hotlist: the list id "${LOCAL_LIST}" is the unit's own manual entries; use another`,
        true,
      );
    if (topic.unit === FLEET) {
      // Fleet topics are retained, one list each: a list on another list's topic would replace it
      // there, and a retained delta would be stale for every unit that already moved past it.
      if (topic.listId !== doc.listId)
        throw new Rejection(
          `hotlist ${doc.listId}: fleet lists go on …/fleet/down/hotlist/${doc.listId}`,
          true,
        );
      if (doc.kind !== 'full')
        throw new Rejection(
          `hotlist ${doc.listId}: fleet topics carry full lists; send a delta to one unit`,
          true,
        );
    }
    const name = `hotlist:${doc.listId}`;
    const current = this.current(name, this.d.hotlists?.currentVersion(doc.listId));
    if (doc.version === current) return { outcome: 'ignored', reason: `version ${doc.version} already held` };
    if (doc.version < current) {
      // A fleet list is retained and comes again at every connect, whatever this unit holds: one
      // older than a delta HQ sent this unit since is superseded, as designed, not an error to
      // report each time. One sent to this unit alone is HQ's mistake, and HQ should hear of it.
      // Neither replaces the newer list.
      if (topic.unit === FLEET)
        return {
          outcome: 'ignored',
          reason: `version ${doc.version} superseded: this unit holds version ${current} (a later list or delta sent to it)`,
        };
      throw new Rejection(
        `hotlist ${doc.listId}: version ${doc.version} is older than the current ${current}`,
        true,
      );
    }
    if (doc.kind === 'delta' && doc.baseVersion !== current) {
      throw new Rejection(
        `hotlist ${doc.listId}: delta applies to version ${doc.baseVersion}, this unit holds ${current}; send a full list`,
        true,
      );
    }
    // As for a file: the list's age counts from issuedAt.
    const future = generatedInFuture(doc.issuedAt, 'issuedAt', this.now());
    if (future) throw new Rejection(`hotlist ${doc.listId} v${doc.version}: ${future}; not applied`, true);
    if (!this.d.hotlists) throw new Rejection('hotlist: this unit has no hotlist store');
    let counts: HotlistApplied;
    try {
      counts = this.d.db.transaction(() => {
        const applied = this.d.hotlists!.apply(doc);
        this.setVersion.run(name, doc.version, doc.issuedAt, Date.now());
        return applied;
      })();
    } catch (err) {
      throw new Rejection(
        `hotlist ${doc.listId} v${doc.version} not applied: ${(err as Error).message}`,
        true,
      );
    }
    const entries = doc.kind === 'full' ? doc.entries.length : doc.add.length + doc.remove.length;
    const { cut, ...applied } = counts;
    const details = { listId: doc.listId, kind: doc.kind, version: doc.version, entries, ...applied };
    // Reasons cut, as an import counts its cut texts (`cut`).
    this.audit('hotlist.import', { outcome: 'applied', source: 'hq', ...details, cut: cut.length });
    this.d.log.info(details, 'hotlist applied from HQ');
    if (cut.length > 0)
      this.d.log.warn(
        { listId: doc.listId, version: doc.version, cut },
        `hotlist from HQ: reason cut to its first ${REASON_MAX_CHARS} characters`,
      );
    // A remove that found nothing: HQ's list and the unit's disagree; a reason cut: HQ sent more
    // than the officer is shown. Counted in the audit record (which reaches HQ), and noted with the
    // message in sync_inbound (the first few cuts named).
    const notes: string[] = [];
    if (counts.notFound > 0)
      notes.push(`${counts.notFound} remove${counts.notFound === 1 ? '' : 's'} named no entry on the list`);
    if (cut.length > 0)
      notes.push(
        `reason cut to its first ${REASON_MAX_CHARS} characters: ${cut.slice(0, 5).join(', ')}` +
          (cut.length > 5 ? ` and ${cut.length - 5} more` : ''),
      );
    return notes.length > 0 ? { outcome: 'applied', reason: notes.join('; ') } : { outcome: 'applied' };
  }

  private roster(payload: Buffer, topic: ParsedTopic): { outcome: InboundOutcome; reason?: string } {
    const doc: RosterDocument = this.signed(payload, rosterDocumentSchema, 'roster');
    const name = `roster:${doc.rosterId}`;
    const current = this.current(name, undefined);
    if (doc.version === current) return { outcome: 'ignored', reason: `version ${doc.version} already held` };
    if (doc.version < current) {
      // As for hotlists: the retained fleet roster comes again at every connect, and one older than
      // a roster HQ sent this unit since is superseded, as designed (rejected, it was audited at
      // every connect). One sent to this unit alone is HQ's mistake, and HQ should hear of it.
      if (topic.unit === FLEET)
        return {
          outcome: 'ignored',
          reason: `version ${doc.version} superseded: this unit holds version ${current} (a later roster sent to it)`,
        };
      throw new Rejection(`roster: version ${doc.version} is older than the current ${current}`, true);
    }
    if (!this.d.roster) throw new Rejection('roster: this unit has no user directory');
    try {
      this.d.db.transaction(() => {
        this.d.roster!.applyRoster(doc.users, doc.rosterId);
        this.setVersion.run(name, doc.version, doc.issuedAt, Date.now());
      })();
    } catch (err) {
      throw new Rejection(`roster v${doc.version} not applied: ${(err as Error).message}`, true);
    }
    this.d.log.info({ version: doc.version, users: doc.users.length }, 'user roster applied from HQ');
    return { outcome: 'applied' };
  }

  private async pull(payload: Buffer): Promise<{ outcome: InboundOutcome; reason?: string }> {
    // Signed like hotlists: the pull is the one path that sends read data off the unit, so the
    // broker's access rules are not the only thing standing between it and whoever can publish.
    let raw: unknown;
    try {
      raw = openSignedBy(parseJson(payload), this.keys, 'pull');
    } catch (err) {
      throw new Rejection(`pull: ${(err as Error).message}`);
    }
    // For another unit, or past its day (a replay): dropped before anything else, even malformed,
    // so that it gets no answer from this unit (the error below would go out on this unit's
    // topic, for a request HQ never sent it, or sent long ago).
    const misdirected = this.pullTargetProblem(raw as PullTarget | null);
    if (misdirected) throw new Rejection(misdirected);
    const parsed = pullRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const requestId = (raw as { requestId?: unknown } | null)?.requestId;
      const reason = `malformed pull request: ${describeIssues(parsed.error)}`;
      if (typeof requestId === 'string' && requestId.length > 0 && requestId.length <= 200) {
        await this.d.sendAnswer(this.d.buildAnswer(this.response(requestId, 'error', reason), []));
      }
      throw new Rejection(reason);
    }
    const req = parsed.data;
    const problem = this.pullTargetProblem(req);
    if (problem) throw new Rejection(problem);
    // Requests still valid are remembered: a repeat (HQ lost the answer) is not a new query.
    const digest = pullDigest(req);
    const prior = this.pulls.get.get(req.requestId) as PullRow | undefined;
    // A row never answered and not being answered here: the unit stopped while answering; start
    // over. (Known without reading the clock, which may have been stepped since the claim.)
    const abandoned = prior?.status === null && !this.answering.has(req.requestId);
    if (prior && !abandoned) return this.repeatPull(req, prior, digest);
    // Claimed before the first await, so a copy arriving while this one is searched is a repeat.
    this.pulls.prune.run(this.now() - PULL_MAX_AGE_MS - CLOCK_SKEW_MS);
    this.pulls.claim.run(req.requestId, digest, req.issuedAt, this.now());
    const refuse = async (reason: string) => {
      this.pulls.answered.run('refused', reason, 0, '[]', null, req.requestId);
      this.d.log.warn({ requestId: req.requestId, requester: req.requester, reason }, 'pull request refused');
      await this.d.sendAnswer(this.d.buildAnswer(this.response(req.requestId, 'refused', reason), []));
      return { outcome: 'refused' as const, reason };
    };
    if (!this.d.queries) return refuse('this unit does not answer pull requests (no query service)');
    const limit = Math.min(req.limit ?? this.d.pullMaxResults, this.d.pullMaxResults);
    const oneMessage = req.acceptsParts !== true;
    let reads: StoredRead[];
    let truncated: boolean;
    let auditSeq: number | undefined;
    let answer: BuiltPullAnswer | undefined;
    this.answering.add(req.requestId);
    try {
      try {
        // The query service checks purpose, case number and requester, and writes the query log
        // (refusals included), exactly as for an officer's query. The answer is made into its
        // messages before that, so the log lists the reads that go: an answer that cannot be
        // made to fit the broker (an error holding none), or one cut to one message for an HQ
        // that does not put parts together, discloses no more than it holds.
        ({ reads, truncated, auditSeq } = await this.d.queries.search(
          { kind: 'hq', requester: req.requester ?? '' },
          { ...req.criteria, limit },
          { purpose: req.purpose, caseNumber: req.caseNumber, attested: req.attestation },
          (found, more) => {
            answer = this.d.buildAnswer(
              { ...this.response(req.requestId, 'answered'), count: found.length, truncated: more },
              this.answerReads(found, req.includeCrops),
              { oneMessage },
            );
            if (answer.status !== 'answered') return { refusal: notSent(answer.reason) };
            return { reads: found.slice(0, answer.reads), truncated: answer.truncated };
          },
        ));
      } catch (err) {
        this.answering.delete(req.requestId);
        return await refuse((err as Error).message);
      }
      // A query service that took no `disclose` (none in this code base) logged every read found.
      answer ??= this.d.buildAnswer(
        { ...this.response(req.requestId, 'answered'), count: reads.length, truncated },
        this.answerReads(reads, req.includeCrops),
      );
      const status = answer.status === 'answered' ? 'answered' : 'error';
      this.pulls.answered.run(
        status,
        answer.reason ?? null,
        truncated ? 1 : 0,
        JSON.stringify(reads.map((r) => r.id)),
        auditSeq ?? null,
        req.requestId,
      );
      const { unsentParts } = await this.d.sendAnswer(answer);
      this.unsent(req, answer, reads, unsentParts, auditSeq);
    } finally {
      this.answering.delete(req.requestId);
    }
    if (answer.status !== 'answered') return { outcome: 'refused', reason: notSent(answer.reason) };
    this.d.log.info(
      { requestId: req.requestId, requester: req.requester, count: reads.length },
      'pull request answered',
    );
    return { outcome: 'answered' };
  }

  /**
   * Why a pull request is not this unit's to answer: signed for another agency or unit, or issued
   * outside the day it is valid. Fields of the wrong type (a malformed request) are left to the
   * schema, whose error names them.
   */
  private pullTargetProblem(doc: PullTarget | null): string | undefined {
    if (typeof doc !== 'object' || doc === null) return undefined;
    const { agency, unit, issuedAt } = doc;
    const here = `${this.d.topics.agency}/${this.d.topics.unit}`;
    if (typeof agency === 'string' && typeof unit === 'string' && `${agency}/${unit}` !== here)
      return `pull: signed for ${agency}/${unit}, this unit is ${here}`;
    // issuedAt is HQ's clock: only the unit's wall clock can be compared with it.
    if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) return undefined;
    const age = this.now() - issuedAt;
    if (age > PULL_MAX_AGE_MS || age < -CLOCK_SKEW_MS)
      return `pull: issued ${Math.abs(issuedAt) <= 8.64e15 ? new Date(issuedAt).toISOString() : issuedAt}, outside the day a request is valid; send a new one`;
    return undefined;
  }

  /**
   * The service stopped before every message of an answer went: the query log lists reads that
   * were not sent. The audit chain says which (`pull.unsent`, pointing at the query's record), so
   * what left the unit stays provable. HQ asking again gets them (a repeat, logged as such).
   */
  private unsent(
    req: PullRequest,
    answer: BuiltPullAnswer,
    reads: StoredRead[],
    unsentParts: number[],
    querySeq: number | undefined,
    repeat?: number,
  ): void {
    if (unsentParts.length === 0) return;
    // Part p holds the partReads[p] reads after those of the parts before it.
    const readIds = unsentParts.flatMap((p) => {
      const from = answer.partReads.slice(0, p).reduce((a, b) => a + b, 0);
      return reads.slice(from, from + answer.partReads[p]!).map((r) => r.id);
    });
    if (readIds.length === 0) return; // a refusal or error: it disclosed nothing
    try {
      this.d.audit?.append({
        type: 'pull.unsent',
        actor: null,
        details: {
          requestId: req.requestId,
          ...(repeat ? { repeat } : {}),
          of: querySeq ?? null,
          parts: answer.payloads.length,
          unsentParts: unsentParts.map((p) => p + 1),
          readIds,
        },
      });
    } catch (err) {
      this.d.log.error(
        { err: (err as Error).message, requestId: req.requestId },
        'could not audit unsent pull parts',
      );
    }
  }

  /**
   * The same request again: answered with the first answer's reads (not searched again), logged as
   * a query of its own whose record points at the first answer's (`repeat.of`), rate-limited.
   */
  private async repeatPull(
    req: PullRequest,
    prior: PullRow,
    digest: string,
  ): Promise<{ outcome: InboundOutcome; reason?: string }> {
    if (prior.digest !== digest)
      throw new Rejection(`pull: request id ${req.requestId} was already used for another request`);
    // Being searched for, or its answer still going out (paced by the rate limit): that answer
    // is on its way, and sending it twice would only disclose it twice.
    if (prior.status === null || this.answering.has(req.requestId))
      return { outcome: 'ignored', reason: `repeat of request ${req.requestId} while it is being answered` };
    // answered_at is wall clock (it outlives a restart). Stepped back since, it lies ahead: that is
    // no reason to hold HQ's repeats until the clock catches up (an hour, for an hour's step).
    const ago = this.now() - prior.answered_at;
    if (ago >= 0 && ago < PULL_REPEAT_MIN_MS)
      return {
        outcome: 'ignored',
        reason: `repeat of request ${req.requestId} answered ${Math.round(ago / 1000)} s ago; repeats are answered at most every ${PULL_REPEAT_MIN_MS / 1000} s`,
      };
    if (prior.repeats >= PULL_MAX_REPEATS)
      return {
        outcome: 'ignored',
        reason: `request ${req.requestId} already answered again ${prior.repeats} times; send a new request`,
      };
    const repeat = prior.repeats + 1;
    this.pulls.repeated.run(this.now(), req.issuedAt, req.requestId);
    const ids = JSON.parse(prior.read_ids) as string[];
    // Reads purged by retention since the first answer are left out.
    const reads = ids.map((id) => this.d.reads.get(id)).filter((r): r is StoredRead => r !== undefined);
    const found = prior.status === 'answered' ? reads : [];
    // Made into messages first (the broker's limit may have changed since), so that the query log
    // lists the reads that go again, and none that do not.
    const answer = this.d.buildAnswer(
      {
        ...this.response(req.requestId, prior.status, prior.reason ?? undefined),
        count: found.length,
        truncated: prior.truncated === 1,
        repeat,
      },
      this.answerReads(found, req.includeCrops),
      { oneMessage: req.acceptsParts !== true },
    );
    const sent = answer.status === 'answered' ? found.slice(0, answer.reads) : [];
    const refusal =
      prior.status === 'refused' ? prior.reason : answer.status === 'error' ? notSent(answer.reason) : null;
    // Read data sent again is a disclosure of its own, and a refusal repeated an inquiry refused
    // again: each a query-log row (III.B, VI.E) pointing at the first.
    this.d.queries?.logRepeat(
      { kind: 'hq', requester: req.requester ?? '' },
      req.criteria,
      { purpose: req.purpose, caseNumber: req.caseNumber, attested: req.attestation },
      sent,
      { of: prior.query_seq, requestId: req.requestId, count: repeat },
      refusal,
    );
    this.answering.add(req.requestId);
    try {
      const { unsentParts } = await this.d.sendAnswer(answer);
      this.unsent(req, answer, sent, unsentParts, prior.query_seq ?? undefined, repeat);
    } finally {
      this.answering.delete(req.requestId);
    }
    this.d.log.info(
      { requestId: req.requestId, requester: req.requester, count: sent.length, repeat },
      'pull request repeated by HQ: answered again',
    );
    return {
      outcome: answer.status === 'answered' ? 'answered' : 'refused',
      reason: `repeat ${repeat} of request ${req.requestId}${refusal ? `: ${refusal}` : ''}`,
    };
  }

  private answerReads(reads: StoredRead[], includeCrops: boolean): PullAnswerRead[] {
    return reads.map((r) => {
      const read: PullAnswerRead = { body: readBody(r) };
      if (includeCrops && r.cropPath) {
        try {
          read.crop = readFileSync(this.d.reads.imagePath(r.cropPath));
        } catch {
          /* image gone: send the metadata */
        }
      }
      return read;
    });
  }

  private response(requestId: string, status: PullAnswerHead['status'], reason?: string): PullAnswerHead {
    return {
      v: 1,
      requestId,
      agency: this.d.topics.agency,
      unit: this.d.topics.unit,
      status,
      ...(reason ? { reason } : {}),
      count: 0,
      truncated: false,
      ts: Date.now(),
    };
  }
}

/** The fields of a pull request that say whether it is this unit's, as they may arrive. */
interface PullTarget {
  agency?: unknown;
  unit?: unknown;
  issuedAt?: unknown;
}

interface PullRow {
  request_id: string;
  digest: string;
  issued_at: number;
  answered_at: number;
  repeats: number;
  /** 'error': the answer could not be made to fit the broker (it held no reads). */
  status: 'answered' | 'refused' | 'error' | null;
  reason: string | null;
  truncated: number;
  read_ids: string;
  query_seq: number | null;
}

/** The query log's refusal for an answer that could not be sent (`reason`: what HQ was told). */
function notSent(reason: string | undefined): string {
  return `answer not sent: ${reason ?? 'unknown reason'}`;
}

/** What makes two pull requests the same one: everything but issuedAt (HQ may sign a repeat anew). */
function pullDigest(req: PullRequest): string {
  return createHash('sha256')
    .update(JSON.stringify({ ...req, issuedAt: 0 }))
    .digest('hex');
}
