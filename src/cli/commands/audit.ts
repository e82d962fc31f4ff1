import path from 'node:path';
import { AUDIT_TYPES } from '../../policy/audit.js';
import { writeFileWithRecord } from '../../policy/audited-file.js';
import { authenticateCli } from '../../policy/cli-identity.js';
import { buildAuditReport, reportableUser, reportHtml, reportMarkdown } from '../../policy/report.js';
import { requireRole } from '../../policy/roles.js';
import { checkTrail, trailSummary } from '../../policy/trail.js';
import { UsageError, type Command } from '../command.js';
import {
  checkOutFile,
  checkRange,
  parseCount,
  parseTime,
  required,
  str,
  withPolicy,
} from './policy-common.js';

const verify: Command = {
  name: 'verify',
  summary:
    'recompute the audit hash chain and check the query log against it; exit 0 when intact, 1 naming the first altered, removed or inserted record',
  usage: 'audit verify [--json]',
  options: { json: { type: 'boolean' } },
  async run(ctx, _positionals, values) {
    return withPolicy(ctx, async (unit, p) => {
      const trail = checkTrail(unit.db, p.audit);
      if (values.json) ctx.stdout.write(`${JSON.stringify(trail)}\n`);
      else if (trail.ok) ctx.stdout.write(`${trailSummary(trail)}\n`);
      else ctx.stderr.write(`lpr-edge: ${trailSummary(trail)}\n`);
      return trail.ok ? 0 : 1;
    });
  },
};

const report: Command = {
  name: 'report',
  summary:
    'audit of use for a period (policy VI.G): queries by user and purpose, exports, sign-ins, hits, a random sample; printed as Markdown unless --json or --out',
  usage:
    'audit report --from DATE --to DATE [--user NAME] [--sample N] [--json] [--out FILE.md|FILE.html] --as AUDITOR',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    user: { type: 'string' },
    sample: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    as: { type: 'string' },
  },
  async run(ctx, _positionals, values) {
    const from = parseTime(required(values, 'from', this.usage), 'from')!;
    const to = parseTime(required(values, 'to', this.usage), 'to', true)!;
    checkRange(from, to);
    const sample = parseCount(str(values, 'sample'), 'sample') ?? 0;
    const out = str(values, 'out');
    if (out && !/\.(md|html?)$/i.test(out))
      throw new UsageError(`--out: got "${out}"; the file name must end in .md or .html`);
    if (out) checkOutFile(out, 'out', 'audit-report.md');
    return withPolicy(ctx, async (unit, p) => {
      const me = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(me, 'auditor', 'admin');
      const user = str(values, 'user');
      // Checked once signed in as an auditor: whether a name is known is not for anyone to probe.
      if (user && !reportableUser(unit.db, user))
        throw new UsageError(
          `--user: no user "${user}" in the roster, the audit log or the query log; "lpr-edge users list --as NAME" lists the users`,
        );
      const r = buildAuditReport(unit.db, { from, to, sample, ...(user ? { user } : {}) });
      const record = () =>
        p.audit.append({
          type: 'audit.report',
          actor: me.name,
          details: {
            from: r.from,
            to: r.to,
            user: user ?? null,
            sample,
            sampledQueryIds: r.sample.map((q) => q.id),
          },
        });
      if (out) {
        // Recorded only if the file is written.
        const text = /\.html?$/i.test(out) ? reportHtml(r) : reportMarkdown(r);
        writeFileWithRecord(unit.db, path.resolve(out), text, record);
        ctx.stderr.write(`audit report written to ${out}\n`);
      } else record();
      if (values.json) ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      // Neither: the auditor reads it in the terminal.
      else if (!out) ctx.stdout.write(reportMarkdown(r));
      // The report is still given (it says what is wrong), but fails as `audit verify` would:
      // figures drawn from a tampered trail are no assurance.
      if (!r.chain.ok) {
        ctx.stderr.write(`lpr-edge: ${trailSummary(r.chain)}\n`);
        return 1;
      }
      return 0;
    });
  },
};

const list: Command = {
  name: 'list',
  summary: 'show audit records (auditor or admin)',
  usage: 'audit list [--from DATE] [--to DATE] [--type TYPE] [--user NAME] [--unacked] [--json] --as AUDITOR',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    type: { type: 'string' },
    user: { type: 'string' },
    unacked: { type: 'boolean' },
    json: { type: 'boolean' },
    as: { type: 'string' },
  },
  async run(ctx, _positionals, values) {
    const from = parseTime(str(values, 'from'), 'from');
    const to = parseTime(str(values, 'to'), 'to', true);
    checkRange(from, to);
    const type = str(values, 'type');
    checkAuditType(type);
    return withPolicy(ctx, async (_unit, p) => {
      const me = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(me, 'auditor', 'admin');
      const user = str(values, 'user');
      const records = p.audit.list({
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(type ? { type } : {}),
        ...(user ? { actor: user } : {}),
        unackedOnly: values.unacked === true,
      });
      // The records hold read data (each hit's plate, the plates searched for): who listed which
      // is recorded, as for audit report (III.B, VI.F). Appended after the listing, so not in it;
      // the filters, count and first and last seq say which records were shown.
      p.audit.append({
        type: 'audit.list',
        actor: me.name,
        details: {
          from: from ?? null,
          to: to ?? null,
          type: type ?? null,
          user: user ?? null,
          unacked: values.unacked === true,
          shown: records.length,
          firstSeq: records[0]?.seq ?? null,
          lastSeq: records.at(-1)?.seq ?? null,
        },
      });
      if (values.json) ctx.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      else {
        for (const r of records) {
          const ack = r.ackedAt ? 'acked' : 'unacked';
          const when = new Date(r.ts).toISOString();
          ctx.stdout.write(
            `${r.seq}\t${when}\t${r.type}\t${r.actor ?? '-'}\t${ack}\t${JSON.stringify(r.details)}\n`,
          );
        }
      }
      return 0;
    });
  },
};

export const auditCommand: Command = {
  name: 'audit',
  summary: 'tamper-evident audit log: verify the chain, report on use (policy VI.F, VI.G)',
  usage: 'audit <verify|report|list> ...',
  subcommands: [verify, report, list],
};

/** A --type that names no record type would list nothing, as if nothing had happened: refused. */
function checkAuditType(type: string | undefined): void {
  if (type === undefined || (AUDIT_TYPES as readonly string[]).includes(type)) return;
  const family = AUDIT_TYPES.filter((t) => t.startsWith(`${type}.`));
  const hint = family.length > 0 ? `did you mean ${family.join(' or ')}? ` : '';
  throw new UsageError(`--type: no record type "${type}"; ${hint}the types are ${AUDIT_TYPES.join(', ')}`);
}
