import { authenticateCli, NEW_PASSWORD_ENV } from '../../policy/cli-identity.js';
import { readSecret } from '../../policy/prompt.js';
import { PolicyError } from '../../policy/errors.js';
import { requireRole, ROLES } from '../../policy/roles.js';
import type { UserInfo } from '../../policy/users.js';
import { UsageError, type Command } from '../command.js';
import { required, str, withPolicy } from './policy-common.js';

const AS = { as: { type: 'string' } } as const;

async function newPassword(name: string): Promise<string> {
  const first = await readSecret(NEW_PASSWORD_ENV, `new password for ${name}`);
  // Typed at a prompt (not from the environment): ask twice so a typo does not lock the user out.
  if (!process.env[NEW_PASSWORD_ENV]) {
    const again = await readSecret(NEW_PASSWORD_ENV, `repeat the new password for ${name}`);
    if (again !== first)
      throw new PolicyError('the two passwords differ; nothing was changed', 'password-mismatch');
  }
  return first;
}

function oneName(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`give exactly one user name\nUsage: lpr-edge ${usage}`);
  return positionals[0]!;
}

function describe(u: UserInfo): string {
  const state = u.disabled
    ? 'disabled'
    : u.lockedUntil
      ? `locked until ${new Date(u.lockedUntil).toISOString()}`
      : 'active';
  const training = u.initialTraining
    ? `trained ${u.initialTraining}, last ${u.lastTraining}, in-service due ${u.inServiceDue}${u.trainingOverdue ? ' (OVERDUE)' : ''}`
    : 'NO initial training';
  return `${u.name}\t${u.role}\t${state}\t${training}\tsource ${u.source}`;
}

const bootstrap: Command = {
  name: 'bootstrap-admin',
  summary: 'create the first agency LPR administrator (only while no admin exists)',
  usage:
    'users bootstrap-admin NAME --trained YYYY-MM-DD   (password from LPR_EDGE_NEW_PASSWORD or a prompt)',
  options: { trained: { type: 'string' } },
  async run(ctx, positionals, values) {
    const name = oneName(positionals, this.usage);
    const trained = required(values, 'trained', this.usage);
    return withPolicy(ctx, async (_unit, p) => {
      // Refuse before prompting for a password that would not be used.
      if (p.users.hasAdmin()) {
        throw new PolicyError(
          'an admin already exists: new users are added by an admin with "lpr-edge users add"',
          'admin-exists',
        );
      }
      const u = p.users.bootstrapAdmin(name, await newPassword(name), trained);
      ctx.stdout.write(`created admin ${u.name} (initial training ${u.initialTraining})\n`);
      return 0;
    });
  },
};

const add: Command = {
  name: 'add',
  summary: 'add a user (admin only)',
  usage: `users add NAME --role ${ROLES.join('|')} --trained YYYY-MM-DD --as ADMIN   (new password from LPR_EDGE_NEW_PASSWORD or a prompt)`,
  options: { ...AS, role: { type: 'string' }, trained: { type: 'string' } },
  async run(ctx, positionals, values) {
    const name = oneName(positionals, this.usage);
    const role = required(values, 'role', this.usage);
    const trained = required(values, 'trained', this.usage);
    return withPolicy(ctx, async (_unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      // Check the role before asking for the new user's password, so a technician is refused at once
      // (addUser checks again).
      requireRole(admin, 'admin');
      const u = p.users.addUser(admin, { name, role, secret: await newPassword(name), trained });
      ctx.stdout.write(`added ${u.role} ${u.name} (initial training ${u.initialTraining})\n`);
      return 0;
    });
  },
};

const list: Command = {
  name: 'list',
  summary: 'list users with role, state and training (admin or auditor)',
  usage: 'users list --as NAME [--json]',
  options: { ...AS, json: { type: 'boolean' } },
  async run(ctx, _positionals, values) {
    return withPolicy(ctx, async (_unit, p) => {
      const me = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(me, 'admin', 'auditor');
      const users = p.users.list();
      ctx.stdout.write(
        values.json ? `${JSON.stringify(users, null, 2)}\n` : users.map(describe).join('\n') + '\n',
      );
      return 0;
    });
  },
};

const setRole: Command = {
  name: 'set-role',
  summary: "change a user's role (admin only)",
  usage: `users set-role NAME --role ${ROLES.join('|')} --as ADMIN`,
  options: { ...AS, role: { type: 'string' } },
  async run(ctx, positionals, values) {
    const name = oneName(positionals, this.usage);
    const role = required(values, 'role', this.usage);
    return withPolicy(ctx, async (_unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      p.users.setRole(admin, name, role);
      ctx.stdout.write(`${name} is now ${role}\n`);
      return 0;
    });
  },
};

function toggle(name: 'disable' | 'enable'): Command {
  return {
    name,
    summary: `${name} a user (admin only)`,
    usage: `users ${name} NAME --as ADMIN`,
    options: { ...AS },
    async run(ctx, positionals, values) {
      const user = oneName(positionals, this.usage);
      return withPolicy(ctx, async (_unit, p) => {
        const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
        p.users.setDisabled(admin, user, name === 'disable');
        ctx.stdout.write(`${user} ${name}d\n`);
        return 0;
      });
    },
  };
}

const unlock: Command = {
  name: 'unlock',
  summary: 'clear a lockout after repeated failed sign-ins (admin only)',
  usage: 'users unlock NAME --as ADMIN',
  options: { ...AS },
  async run(ctx, positionals, values) {
    const user = oneName(positionals, this.usage);
    return withPolicy(ctx, async (_unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      p.users.unlock(admin, user);
      ctx.stdout.write(`${user} unlocked\n`);
      return 0;
    });
  },
};

const passwd: Command = {
  name: 'passwd',
  summary: "set a password: your own, or anyone's as admin (new one from LPR_EDGE_NEW_PASSWORD or a prompt)",
  usage: 'users passwd NAME --as NAME',
  options: { ...AS },
  async run(ctx, positionals, values) {
    const user = oneName(positionals, this.usage);
    return withPolicy(ctx, async (_unit, p) => {
      const me = await authenticateCli({ users: p.users }, str(values, 'as'));
      p.users.setPassword(me, user, await newPassword(user));
      ctx.stdout.write(`password for ${user} changed\n`);
      return 0;
    });
  },
};

const train: Command = {
  name: 'train',
  summary: 'record initial or in-service training (admin only)',
  usage: 'users train NAME --kind initial|in-service --date YYYY-MM-DD --as ADMIN',
  options: { ...AS, kind: { type: 'string' }, date: { type: 'string' } },
  async run(ctx, positionals, values) {
    const user = oneName(positionals, this.usage);
    const kind = required(values, 'kind', this.usage);
    if (kind !== 'initial' && kind !== 'in-service')
      throw new UsageError(`--kind: got "${kind}"; use initial or in-service`);
    const date = required(values, 'date', this.usage);
    return withPolicy(ctx, async (_unit, p) => {
      const admin = await authenticateCli({ users: p.users }, str(values, 'as'));
      p.users.recordTraining(admin, user, kind, date);
      ctx.stdout.write(`${kind} training on ${date} recorded for ${user}\n`);
      return 0;
    });
  },
};

export const usersCommand: Command = {
  name: 'users',
  summary: 'authorised users, roles and training (policy III.D, VI.A, VII)',
  usage: 'users <bootstrap-admin|add|list|set-role|disable|enable|unlock|passwd|train> ...',
  subcommands: [bootstrap, add, list, setRole, toggle('disable'), toggle('enable'), unlock, passwd, train],
};
