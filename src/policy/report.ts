import { randomInt } from 'node:crypto';
import type { Db } from '../store/database.js';
import { AuditLog, type AuditRecord } from './audit.js';
import { listQueryLog, type QueryLogEntry } from './query.js';
import { checkTrail, trailSummary, type TrailCheck } from './trail.js';

export interface AuditReport {
  marking: string;
  from: string;
  to: string;
  user: string | null;
  generatedAt: string;
  /** The whole trail as `audit verify` checks it: the chain and the query log against it. */
  chain: TrailCheck;
  queries: {
    total: number;
    refused: number;
    /** Headquarters pull requests answered again (their answers lost), not counted as queries. */
    repeats: number;
    byUserAndPurpose: { user: string; purpose: string; count: number; results: number }[];
  };
  exports: {
    at: string;
    by: string | null;
    outcome: string;
    /** Why a refused export was refused (a failed sign-in included), as in its record. */
    refusal: string | null;
    caseNumber: unknown;
    requester: unknown;
    agency: unknown;
    reason: unknown;
    legalReview: unknown;
    reads: number;
    /** Hits released with the reads (a case's held hits, the hits on its reads). */
    hits: number;
  }[];
  signIns: { user: string; success: number; failure: number; lockouts: number; trainingOverdue: number }[];
  hitDispositions: { outcome: string; count: number; medianSecondsToVerify: number | null }[];
  userChanges: { at: string; by: string | null; type: string; details: Record<string, unknown> }[];
  retention: { at: string; by: string | null; type: string; details: Record<string, unknown> }[];
  sample: (QueryLogEntry & { at: string })[];
}

/**
 * Whether a report on `name` can be about anyone: a user in the roster (disabled ones too), or a
 * name the audit or query log holds (one since removed from the roster, or claimed at a failed
 * sign-in), whose past activity stays reportable. An unknown name would give an empty report that
 * reads as "no activity".
 */
export function reportableUser(db: Db, name: string): boolean {
  return (
    db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM users WHERE name = @name)
             OR EXISTS (SELECT 1 FROM audit_log WHERE actor = @name)
             OR EXISTS (SELECT 1 FROM query_log WHERE requester = @name)`,
      )
      .pluck()
      .get({ name }) === 1
  );
}

/**
 * The periodic and random audit of use (policy VI.G): queries by user and purpose, exports,
 * sign-ins, hit dispositions with time to verify, user/retention/hold changes, and a random
 * sample of N queries for manual review. `random` is injectable so a test can fix the sample.
 */
export function buildAuditReport(
  db: Db,
  opts: {
    from: number;
    to: number;
    user?: string;
    sample?: number;
    now?: number;
    random?: (n: number) => number;
  },
): AuditReport {
  const audit = new AuditLog(db);
  const records = audit.list({ from: opts.from, to: opts.to, ...(opts.user ? { actor: opts.user } : {}) });
  const logged = listQueryLog(db, {
    from: opts.from,
    to: opts.to,
    ...(opts.user ? { requester: opts.user } : {}),
  });
  // A pull request HQ sent again is one query answered twice: counted apart, not sampled twice.
  const queries = logged.filter((q) => q.repeatOf === null);
  const repeats = logged.length - queries.length;

  const byKey = new Map<string, { user: string; purpose: string; count: number; results: number }>();
  for (const q of queries) {
    const user = reportedUser(q);
    const key = `${user}\u0000${q.purpose ?? '(none)'}`;
    const e = byKey.get(key) ?? {
      user,
      purpose: q.purpose ?? '(none)',
      count: 0,
      results: 0,
    };
    e.count++;
    e.results += q.resultCount;
    byKey.set(key, e);
  }

  const signIns = new Map<
    string,
    { user: string; success: number; failure: number; lockouts: number; trainingOverdue: number }
  >();
  const dispositions = new Map<string, number[]>();
  const dispositionCounts = new Map<string, number>();
  const exports: AuditReport['exports'] = [];
  const userChanges: AuditReport['userChanges'] = [];
  const retention: AuditReport['retention'] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const r of records) {
    const d = r.details;
    if (r.type === 'signin.success' || r.type === 'signin.failure') {
      const user = String(d.user ?? r.actor ?? '(unknown)');
      const e = signIns.get(user) ?? { user, success: 0, failure: 0, lockouts: 0, trainingOverdue: 0 };
      if (r.type === 'signin.success') e.success++;
      else e.failure++;
      if (d.lockedUntil) e.lockouts++;
      if (d.trainingOverdue) e.trainingOverdue++;
      signIns.set(user, e);
    } else if (r.type === 'export') {
      exports.push({
        at: iso(r.ts),
        by: r.actor,
        outcome: String(d.outcome ?? ''),
        refusal: typeof d.refusal === 'string' ? d.refusal : null,
        caseNumber: d.caseNumber,
        requester: d.requester,
        agency: d.agency,
        reason: d.reason,
        legalReview: d.legalReview ?? null,
        reads: Array.isArray(d.readIds) ? d.readIds.length : 0,
        hits: Array.isArray(d.hitIds) ? d.hitIds.length : 0,
      });
    } else if (r.type === 'hit.disposition') {
      // Supervisors see apart the expired hits no console ever showed: nobody was told of them.
      const outcome = `${String(d.outcome ?? d.disposition ?? 'unknown')}${d.neverShown === true ? ' (never shown)' : ''}`;
      dispositionCounts.set(outcome, (dispositionCounts.get(outcome) ?? 0) + 1);
      const ms =
        typeof d.timeToVerifyMs === 'number'
          ? d.timeToVerifyMs
          : typeof d.secondsToVerify === 'number'
            ? d.secondsToVerify * 1000
            : null;
      if (ms !== null) dispositions.set(outcome, [...(dispositions.get(outcome) ?? []), ms / 1000]);
    } else if (r.type.startsWith('user.') || r.type === 'roster.apply' || r.type === 'training.record') {
      userChanges.push(pick(r));
    } else if (
      r.type.startsWith('retention.') ||
      r.type.startsWith('hold.') ||
      r.type === 'exclusion.zones-changed' ||
      r.type === 'config.change'
    ) {
      retention.push(pick(r));
    }
  }

  // Random sample without replacement (Fisher-Yates on a copy), from crypto's generator.
  const random = opts.random ?? ((n: number) => randomInt(n));
  const pool = [...queries];
  const n = Math.min(opts.sample ?? 0, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + random(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const sample = pool
    .slice(0, n)
    .sort((a, b) => a.id - b.id)
    .map((q) => ({ ...q, at: iso(q.ts) }));

  return {
    marking: 'FOR OFFICIAL USE ONLY',
    from: iso(opts.from),
    to: iso(opts.to),
    user: opts.user ?? null,
    generatedAt: iso(opts.now ?? Date.now()),
    chain: checkTrail(db, audit),
    queries: {
      total: queries.length,
      refused: queries.filter((q) => q.outcome === 'refused').length,
      repeats,
      byUserAndPurpose: [...byKey.values()].sort(
        (a, b) => a.user.localeCompare(b.user) || a.purpose.localeCompare(b.purpose),
      ),
    },
    exports,
    signIns: [...signIns.values()].sort((a, b) => a.user.localeCompare(b.user)),
    hitDispositions: [...dispositionCounts.entries()].map(([outcome, count]) => ({
      outcome,
      count,
      medianSecondsToVerify: median(dispositions.get(outcome) ?? []),
    })),
    userChanges,
    retention,
    sample,
  };

  function pick(r: AuditRecord) {
    return { at: iso(r.ts), by: r.actor, type: r.type, details: r.details };
  }
}

/**
 * Whose query a row is, as the report shows it. One whose sign-in failed is logged under the name
 * that was claimed; it is not that user's query (anyone can type a name), so it is shown apart.
 */
function reportedUser(q: QueryLogEntry): string {
  if (q.requesterKind === 'unauthenticated') return `unauthenticated (claimed: ${q.requester ?? '?'})`;
  return q.requester ?? '(none)';
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A Markdown rendering for the auditor's file. */
export function reportMarkdown(r: AuditReport): string {
  const esc = (v: unknown) =>
    String(v ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\n/g, ' ');
  const table = (head: string[], rows: unknown[][]) =>
    rows.length
      ? [
          `| ${head.join(' | ')} |`,
          `| ${head.map(() => '---').join(' | ')} |`,
          ...rows.map((row) => `| ${row.map(esc).join(' | ')} |`),
        ].join('\n')
      : '_none_';
  return [
    `**${r.marking}**`,
    '',
    `# LPR audit report ${r.from} to ${r.to}${r.user ? ` (user ${r.user})` : ''}`,
    '',
    `Generated ${r.generatedAt}. ${r.chain.ok ? trailStatement(r) : `**${trailStatement(r)}** ${UNRELIABLE}`}`,
    '',
    `## Queries by user and purpose (${queryCounts(r)})`,
    '',
    table(
      ['user', 'purpose', 'queries', 'reads returned'],
      r.queries.byUserAndPurpose.map((q) => [q.user, q.purpose, q.count, q.results]),
    ),
    '',
    '## Exports and disseminations',
    '',
    table(
      ['at', 'by', 'outcome', 'case', 'requester', 'agency', 'reason', 'legal review', 'reads', 'hits'],
      r.exports.map((e) => [
        e.at,
        e.by,
        e.refusal ? `${e.outcome}: ${e.refusal}` : e.outcome,
        e.caseNumber,
        e.requester,
        e.agency,
        e.reason,
        e.legalReview,
        e.reads,
        e.hits,
      ]),
    ),
    '',
    '## Sign-ins',
    '',
    table(
      ['user', 'success', 'failure', 'lockouts', 'training overdue'],
      r.signIns.map((s) => [s.user, s.success, s.failure, s.lockouts, s.trainingOverdue]),
    ),
    '',
    '## Hit dispositions',
    '',
    table(
      ['outcome', 'count', 'median seconds to verify'],
      r.hitDispositions.map((h) => [h.outcome, h.count, h.medianSecondsToVerify ?? '-']),
    ),
    '',
    '## User, roster and training changes',
    '',
    table(
      ['at', 'by', 'event', 'details'],
      r.userChanges.map((c) => [c.at, c.by, c.type, JSON.stringify(c.details)]),
    ),
    '',
    '## Retention, legal holds, zones and configuration',
    '',
    table(
      ['at', 'by', 'event', 'details'],
      r.retention.map((c) => [c.at, c.by, c.type, JSON.stringify(c.details)]),
    ),
    '',
    `## Random sample of ${r.sample.length} queries for manual review`,
    '',
    table(
      ['query', 'at', 'user', 'purpose', 'case', 'attested', 'criteria', 'outcome', 'results'],
      r.sample.map((q) => [
        q.id,
        q.at,
        q.requester,
        q.purpose,
        q.caseNumber,
        q.attested ? 'yes' : 'no',
        JSON.stringify(q.criteria),
        q.refusal ? `refused: ${q.refusal}` : q.outcome,
        q.resultCount,
      ]),
    ),
    '',
    `**${r.marking}**`,
    '',
  ].join('\n');
}

/** A self-contained HTML rendering (no scripts, no external resources). */
export function reportHtml(r: AuditReport): string {
  const h = (v: unknown) =>
    String(v ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
    );
  const table = (head: string[], rows: unknown[][]) =>
    rows.length
      ? `<table><thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((row) => `<tr>${row.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`
      : '<p><em>none</em></p>';
  const fouo = `<p class="fouo">${h(r.marking)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LPR audit report ${h(r.from)} to ${h(r.to)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #999;padding:2px 6px;font-size:90%}.fouo{font-weight:bold;color:#a00}</style>
</head><body>
${fouo}
<h1>LPR audit report ${h(r.from)} to ${h(r.to)}${r.user ? ` (user ${h(r.user)})` : ''}</h1>
<p>Generated ${h(r.generatedAt)}. ${r.chain.ok ? h(trailStatement(r)) : `<strong>${h(trailStatement(r))}</strong> ${h(UNRELIABLE)}`}</p>
<h2>Queries by user and purpose (${h(queryCounts(r))})</h2>
${table(
  ['user', 'purpose', 'queries', 'reads returned'],
  r.queries.byUserAndPurpose.map((q) => [q.user, q.purpose, q.count, q.results]),
)}
<h2>Exports and disseminations</h2>
${table(
  ['at', 'by', 'outcome', 'case', 'requester', 'agency', 'reason', 'legal review', 'reads', 'hits'],
  r.exports.map((e) => [
    e.at,
    e.by,
    e.refusal ? `${e.outcome}: ${e.refusal}` : e.outcome,
    e.caseNumber,
    e.requester,
    e.agency,
    e.reason,
    e.legalReview,
    e.reads,
    e.hits,
  ]),
)}
<h2>Sign-ins</h2>
${table(
  ['user', 'success', 'failure', 'lockouts', 'training overdue'],
  r.signIns.map((s) => [s.user, s.success, s.failure, s.lockouts, s.trainingOverdue]),
)}
<h2>Hit dispositions</h2>
${table(
  ['outcome', 'count', 'median seconds to verify'],
  r.hitDispositions.map((x) => [x.outcome, x.count, x.medianSecondsToVerify ?? '-']),
)}
<h2>User, roster and training changes</h2>
${table(
  ['at', 'by', 'event', 'details'],
  r.userChanges.map((c) => [c.at, c.by, c.type, JSON.stringify(c.details)]),
)}
<h2>Retention, legal holds, zones and configuration</h2>
${table(
  ['at', 'by', 'event', 'details'],
  r.retention.map((c) => [c.at, c.by, c.type, JSON.stringify(c.details)]),
)}
<h2>Random sample of ${r.sample.length} queries for manual review</h2>
${table(
  ['query', 'at', 'user', 'purpose', 'case', 'attested', 'criteria', 'outcome', 'results'],
  r.sample.map((q) => [
    q.id,
    q.at,
    q.requester,
    q.purpose,
    q.caseNumber,
    q.attested ? 'yes' : 'no',
    JSON.stringify(q.criteria),
    q.refusal ? `refused: ${q.refusal}` : q.outcome,
    q.resultCount,
  ]),
)}
${fouo}
</body></html>
`;
}

const UNRELIABLE = 'The figures below are drawn from this trail and cannot be relied on.';

/** The trail check as `audit verify` words it, as the report's opening sentence. */
function trailStatement(r: AuditReport): string {
  const s = trailSummary(r.chain);
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

function queryCounts(r: AuditReport): string {
  const again = r.queries.repeats ? `; ${r.queries.repeats} answered again for HQ` : '';
  return `${r.queries.total} total, ${r.queries.refused} refused${again}`;
}
