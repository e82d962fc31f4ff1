import { authenticateCli } from '../../policy/cli-identity.js';
import { approvedRetention, approveRetention, runRetention } from '../../policy/retention.js';
import { requireRole } from '../../policy/roles.js';
import { type Command } from '../command.js';
import { parseCount, str, withPolicy } from './policy-common.js';

const set: Command = {
  name: 'set',
  summary: 'approve the local retention window (admin only; who and when are recorded)',
  usage: 'retention set --days N --as ADMIN   (default N: policy.retentionDays from the config)',
  options: { days: { type: 'string' }, as: { type: 'string' } },
  async run(ctx, _positionals, values) {
    return withPolicy(ctx, async (unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      const days = parseCount(str(values, 'days'), 'days') ?? unit.config.policy.retentionDays;
      const r = approveRetention(unit.db, admin, days, p.audit);
      ctx.stdout.write(`retention window ${r.days} days approved by ${r.approvedBy}\n`);
      return 0;
    });
  },
};

const run: Command = {
  name: 'run',
  summary: 'purge reads that HQ acknowledged, older than the approved window, not under legal hold (admin)',
  usage: 'retention run --as ADMIN [--json]',
  options: { as: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, _positionals, values) {
    return withPolicy(ctx, async (unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(admin, 'admin');
      const r = runRetention({
        db: unit.db,
        dataDir: unit.config.dataDir,
        audit: p.audit,
        actor: admin.name,
        log: unit.log,
      });
      if (values.json) ctx.stdout.write(`${JSON.stringify(r)}\n`);
      else if (!r.ran) ctx.stdout.write(`nothing purged: ${r.reason}\n`);
      else {
        ctx.stdout.write(
          `purged ${r.purged} read(s) older than ${r.windowDays} days; kept ${r.keptUnacknowledged} not acknowledged by HQ, ${r.keptHeld} under legal hold, ${r.keptReferenced} referenced${r.keptOverviewUnsent ? `, ${r.keptOverviewUnsent} whose overview HQ never received (kept a year)` : ''}${r.keptCropUnsent ? `, ${r.keptCropUnsent} whose plate crop HQ never received (kept a year)` : ''}${r.keptUndated ? `, ${r.keptUndated} stored while the unit's clock was wrong (dated now: kept ${r.windowDays} days from now)` : ''}; purged ${r.hitsPurged} closed hit(s), kept ${r.hitsKeptVerified} verified, ${r.hitsKeptHeld} held, ${r.hitsKeptUnacknowledged} not acknowledged, ${r.hitsKeptOpen} open; deleted ${r.imagesDeleted} image file(s)${r.imagesFailed ? `, ${r.imagesFailed} could not be deleted (paths in the log and the audit record)` : ''}\n`,
        );
      }
      return 0;
    });
  },
};

const status: Command = {
  name: 'status',
  summary: 'show the approved retention window',
  usage: 'retention status',
  async run(ctx) {
    return withPolicy(ctx, async (unit) => {
      const r = approvedRetention(unit.db);
      ctx.stdout.write(
        r
          ? `retention window ${r.days} days, approved by ${r.approvedBy} at ${new Date(r.approvedAt).toISOString()}\n`
          : `no retention window approved: nothing is purged (config proposes ${unit.config.policy.retentionDays} days)\n`,
      );
      return 0;
    });
  },
};

export const retentionCommand: Command = {
  name: 'retention',
  summary: 'local retention of reads (policy VI.B, VI.D)',
  usage: 'retention <set|run|status> ...',
  subcommands: [set, run, status],
};
