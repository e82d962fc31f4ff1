import { authenticateCli } from '../../policy/cli-identity.js';
import { requireRole } from '../../policy/roles.js';
import { UsageError, type Command } from '../command.js';
import { parseRecordId, required, str, withPolicy } from './policy-common.js';

const set: Command = {
  name: 'set',
  summary: 'put a read or hit under legal hold for a case (admin only)',
  usage: 'hold set (--read ID | --hit ID) --case N --reason TEXT --as ADMIN',
  options: {
    read: { type: 'string' },
    hit: { type: 'string' },
    case: { type: 'string' },
    reason: { type: 'string' },
    as: { type: 'string' },
  },
  async run(ctx, _positionals, values) {
    const read = str(values, 'read');
    const hit = str(values, 'hit');
    if (!!read === !!hit)
      throw new UsageError(`give exactly one of --read ID or --hit ID\nUsage: lpr-edge ${this.usage}`);
    return withPolicy(ctx, async (_unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      const h = p.holds.set(admin, {
        targetKind: read ? 'read' : 'hit',
        targetId: (read ?? hit)!,
        caseNumber: str(values, 'case') ?? '',
        reason: str(values, 'reason') ?? '',
      });
      ctx.stdout.write(`legal hold ${h.id} set on ${h.targetKind} ${h.targetId} for case ${h.caseNumber}\n`);
      return 0;
    });
  },
};

const release: Command = {
  name: 'release',
  summary: 'release a legal hold (admin only)',
  usage: 'hold release HOLD_ID --reason TEXT --as ADMIN',
  options: { reason: { type: 'string' }, as: { type: 'string' } },
  async run(ctx, positionals, values) {
    if (positionals.length > 1)
      throw new UsageError(`give one hold id, not ${positionals.length}\nUsage: lpr-edge ${this.usage}`);
    const id = parseRecordId(positionals[0], 'HOLD_ID', 'give the hold id as hold list shows it');
    const reason = required(values, 'reason', this.usage);
    return withPolicy(ctx, async (_unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      p.holds.release(admin, id, reason);
      ctx.stdout.write(`legal hold ${id} released\n`);
      return 0;
    });
  },
};

const list: Command = {
  name: 'list',
  summary: 'legal holds in force (admin or auditor)',
  usage: 'hold list [--case N] --as NAME [--json]',
  options: { case: { type: 'string' }, as: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, _positionals, values) {
    return withPolicy(ctx, async (_unit, p) => {
      const me = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(me, 'admin', 'auditor');
      const c = str(values, 'case');
      const holds = p.holds.active(c ? { caseNumber: c } : {});
      if (values.json) ctx.stdout.write(`${JSON.stringify(holds, null, 2)}\n`);
      else
        for (const h of holds)
          ctx.stdout.write(
            `${h.id}\t${h.targetKind} ${h.targetId}\tcase ${h.caseNumber}\tby ${h.setBy} ${new Date(h.setAt).toISOString()}\t${h.reason}\n`,
          );
      return 0;
    });
  },
};

export const holdCommand: Command = {
  name: 'hold',
  summary: 'legal holds on reads and hits (policy VI.C)',
  usage: 'hold <set|release|list> ...',
  subcommands: [set, release, list],
};
