import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { authenticateCli } from '../src/policy/cli-identity.js';
import { policySchema } from '../src/policy/config.js';
import type { PolicyError } from '../src/policy/errors.js';
import { hashPassword } from '../src/policy/password.js';
import { UserDirectory } from '../src/policy/users.js';
import { listQueryLog } from '../src/policy/query.js';
import { ADMIN_PW, cli, OFFICER_PW, openTestDb, provision, root, tempDir } from './policy-helpers.js';

const config = policySchema.parse({ passwordCostLog2: 14 });

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect((err as Error).name).toBe('PolicyError');
    return (err as PolicyError).reason;
  }
  return undefined;
}

describe('users through the CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the first admin only once', () => {
    const again = cli(dir, ['users', 'bootstrap-admin', 'mallory', '--trained', '2026-01-10'], {
      LPR_EDGE_NEW_PASSWORD: 'whatever-123',
    });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/an admin already exists/);
  });

  it('a technician cannot add users (policy VI.A), an admin can, and both attempts are audited', () => {
    const add = cli(
      dir,
      ['users', 'add', 'tech', '--role', 'technician', '--trained', '2026-03-01', '--as', 'ada'],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
        LPR_EDGE_NEW_PASSWORD: 'tech-pass-1',
      },
    );
    expect(add.status).toBe(0);
    const refused = cli(
      dir,
      ['users', 'add', 'vendor2', '--role', 'admin', '--trained', '2026-03-01', '--as', 'tech'],
      {
        LPR_EDGE_PASSWORD: 'tech-pass-1',
        LPR_EDGE_NEW_PASSWORD: 'vendor-pass-1',
      },
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/tech is a technician; this needs the admin role/);
    // Nor grant a role, their own or anyone's.
    const promote = cli(dir, ['users', 'set-role', 'tech', '--role', 'admin', '--as', 'tech'], {
      LPR_EDGE_PASSWORD: 'tech-pass-1',
    });
    expect(promote.status).not.toBe(0);
    expect(promote.stderr).toMatch(/tech is a technician; this needs the admin role/);
    const db = openTestDb(dir);
    try {
      expect(new UserDirectory(db, config).get('tech')!.role).toBe('technician');
      expect(new UserDirectory(db, config).get('vendor2')).toBeUndefined();
      const adds = new AuditLog(db).list({ type: 'user.add' }).map((r) => r.details.user);
      expect(adds).toEqual(['ada', 'olly', 'tech']);
    } finally {
      db.close();
    }
  });

  it('needs --as, and a password from the environment when there is no terminal', () => {
    const noAs = cli(dir, ['users', 'list']);
    expect(noAs.status).not.toBe(0);
    expect(noAs.stderr).toMatch(/needs an identity: add --as NAME/);
    const noPw = cli(dir, ['users', 'list', '--as', 'ada']);
    expect(noPw.status).not.toBe(0);
    expect(noPw.stderr).toMatch(/set LPR_EDGE_PASSWORD or run on a terminal/);
  });

  it('prompts for the password without echo on a terminal (a real pty via script(1))', async () => {
    const cmd = `${process.execPath} ${path.join(root, 'bin/lpr-edge.js')} users list --as ada --data-dir ${dir}`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      // Answer once the prompt is on the terminal.
      if (out.includes('password for ada: ') && !child.stdin.writableEnded) child.stdin.end(`${ADMIN_PW}\r`);
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(out).toMatch(/ada\tadmin\tactive/);
    expect(out).not.toContain(ADMIN_PW);
  });

  it('locks an account after repeated failures: even the right password is refused until unlocked', () => {
    for (let i = 1; i <= 4; i++) {
      const r = cli(dir, ['users', 'list', '--as', 'olly'], { LPR_EDGE_PASSWORD: 'wrong-guess' });
      expect(r.stderr).toMatch(/unknown user or wrong password/);
    }
    const fifth = cli(dir, ['users', 'list', '--as', 'olly'], { LPR_EDGE_PASSWORD: 'wrong-guess' });
    // The failure that locks the account looks exactly like an unknown name (docs/policy.md).
    const unknown = cli(dir, ['users', 'list', '--as', 'nobody'], { LPR_EDGE_PASSWORD: 'wrong-guess' });
    expect(fifth.stderr).toBe('lpr-edge: sign-in refused for olly: unknown user or wrong password\n');
    expect(unknown.stderr).toBe('lpr-edge: sign-in refused for nobody: unknown user or wrong password\n');
    expect(fifth.status).toBe(unknown.status);
    const right = cli(
      dir,
      ['query', '--plate', 'A1', '--purpose', 'safety-threat', '--case', '9', '--attest', '--as', 'olly'],
      {
        LPR_EDGE_PASSWORD: OFFICER_PW,
      },
    );
    expect(right.status).not.toBe(0);
    expect(right.stderr).toMatch(/account locked/);
    // The query attempt itself is in the query log, under the claimed name.
    const db0 = openTestDb(dir);
    expect(listQueryLog(db0).at(-1)).toMatchObject({
      requesterKind: 'unauthenticated',
      requester: 'olly',
      outcome: 'refused',
    });
    db0.close();
    const unlock = cli(dir, ['users', 'unlock', 'olly', '--as', 'ada'], { LPR_EDGE_PASSWORD: ADMIN_PW });
    expect(unlock.status).toBe(0);
    const after = cli(
      dir,
      ['query', '--plate', 'A1', '--purpose', 'safety-threat', '--case', '9', '--attest', '--as', 'olly'],
      {
        LPR_EDGE_PASSWORD: OFFICER_PW,
      },
    );
    expect(after.status).toBe(0);
    const db = openTestDb(dir);
    try {
      const failures = new AuditLog(db).list({ type: 'signin.failure', actor: 'olly' });
      expect(failures.map((f) => f.details.reason)).toEqual([
        'bad-credentials',
        'bad-credentials',
        'bad-credentials',
        'bad-credentials',
        'locked-out',
        'locked-out',
      ]);
    } finally {
      db.close();
    }
  });
});

describe('UserDirectory on a real database file', () => {
  let dir: string;
  let now = Date.parse('2026-11-28T12:00:00Z');
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses sign-in without initial training (policy VII), e.g. for a roster entry without it', () => {
    const db = openTestDb(dir);
    const users = new UserDirectory(db, config, new AuditLog(db), () => now);
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    users.applyRoster(
      [{ name: 'newbie', role: 'officer', passwordHash: hashPassword('newbie-pass-1', 14) }],
      'roster-1',
    );
    expect(reasonOf(() => users.signIn('newbie', 'newbie-pass-1'))).toBe('no-initial-training');
    const ada = users.signIn('ada', ADMIN_PW);
    users.recordTraining(ada, 'newbie', 'initial', '2026-11-01');
    expect(users.signIn('newbie', 'newbie-pass-1').role).toBe('officer');
    db.close();
  });

  it('shows and logs overdue in-service training at sign-in', async () => {
    const db = openTestDb(dir);
    const users = new UserDirectory(db, { ...config, inServiceMonths: 12 }, new AuditLog(db), () => now);
    const ada = users.signIn('ada', ADMIN_PW);
    users.addUser(ada, { name: 'old', role: 'officer', secret: 'old-pass-12', trained: '2025-06-01' });
    const lines: string[] = [];
    const user = await authenticateCli({ users }, 'old', {
      env: { LPR_EDGE_PASSWORD: 'old-pass-12' },
      stdin: process.stdin,
      stderr: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream,
    });
    expect(user.trainingOverdue).toBe(true);
    expect(lines.join('')).toMatch(/in-service LPR training overdue since 2026-06-01/);
    expect(new AuditLog(db).list({ type: 'signin.success', actor: 'old' }).at(-1)!.details).toMatchObject({
      trainingOverdue: true,
      inServiceDue: '2026-06-01',
    });
    users.recordTraining(ada, 'old', 'in-service', '2026-11-15');
    expect(users.signIn('old', 'old-pass-12').trainingOverdue).toBe(false);
    db.close();
  });

  it('sessions expire, and end when the user is disabled or their role changes', () => {
    const db = openTestDb(dir);
    const users = new UserDirectory(db, { ...config, sessionTtlMinutes: 30 }, new AuditLog(db), () => now);
    const ada = users.signIn('ada', ADMIN_PW);
    const token = users.createSession(users.signIn('old', 'old-pass-12'));
    expect(users.session(token)?.name).toBe('old');
    now += 31 * 60_000;
    expect(users.session(token)).toBeNull();
    // A session was granted for the role held then: a new one means signing in again under it.
    const officer = users.createSession(users.signIn('old', 'old-pass-12'));
    users.setRole(ada, 'old', 'officer'); // no change: the session stands
    expect(users.session(officer)?.role).toBe('officer');
    users.setRole(ada, 'old', 'technician');
    expect(users.session(officer)).toBeNull();
    users.setRole(ada, 'old', 'officer');
    const t2 = users.createSession(users.signIn('old', 'old-pass-12'));
    users.setDisabled(ada, 'old', true);
    expect(users.session(t2)).toBeNull();
    expect(reasonOf(() => users.signIn('old', 'old-pass-12'))).toBe('disabled');
    db.close();
  });

  it('a lockout runs on the steady clock: the wall clock stepped after it neither ends nor lengthens it', () => {
    const db = openTestDb(path.join(dir, 'lockout'));
    let steady = 0; // the unit's monotonic clock, apart from the wall clock `now`
    const locking = { ...config, lockoutThreshold: 2, lockoutMinutes: 15 };
    const users = new UserDirectory(
      db,
      locking,
      new AuditLog(db),
      () => now,
      () => steady,
    );
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    users.applyRoster([{ name: 'olly', role: 'officer', passwordHash: hashPassword(OFFICER_PW, 14) }], 'r');
    users.recordTraining(users.signIn('ada', ADMIN_PW), 'olly', 'initial', '2026-01-01');
    const lock = () => {
      expect(reasonOf(() => users.signIn('olly', 'wrong-guess'))).toBe('bad-credentials');
      expect(reasonOf(() => users.signIn('olly', 'wrong-guess'))).toBe('bad-credentials'); // locks
    };
    try {
      // A minute after the lockout the GPS sets the clock 3 hours forward: 14 minutes still to go.
      lock();
      steady += 60_000;
      now += 60_000 + 3 * 3_600_000;
      expect(reasonOf(() => users.signIn('olly', OFFICER_PW))).toBe('locked-out');
      expect(users.get('olly')!.lockedUntil).toBe(now + 14 * 60_000);
      steady += 14 * 60_000;
      now += 14 * 60_000;
      expect(users.signIn('olly', OFFICER_PW).name).toBe('olly');

      // NTP sets it 3 hours back: the lockout still ends after 15 minutes, not 3 hours 15.
      lock();
      steady += 15 * 60_000;
      now += 15 * 60_000 - 3 * 3_600_000;
      expect(users.get('olly')!.lockedUntil).toBeNull();
      expect(users.signIn('olly', OFFICER_PW).name).toBe('olly');

      // An admin's unlock from another process (the CLI) still ends it at once.
      lock();
      const cli = new UserDirectory(db, locking, new AuditLog(db), () => now);
      cli.unlock(cli.signIn('ada', ADMIN_PW), 'olly');
      expect(users.signIn('olly', OFFICER_PW).name).toBe('olly');
    } finally {
      db.close();
    }
  });

  it('a console session runs on the steady clock: a wall-clock step neither signs the officer out nor prolongs it', () => {
    const db = openTestDb(path.join(dir, 'session-step'));
    let steady = 0;
    const users = new UserDirectory(
      db,
      { ...config, sessionTtlMinutes: 60 },
      new AuditLog(db),
      () => now,
      () => steady,
    );
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    try {
      // Ten minutes in, the GPS sets the clock 3 hours forward: the officer stays signed in.
      const token = users.createSession(users.signIn('ada', ADMIN_PW));
      steady += 10 * 60_000;
      now += 10 * 60_000 + 3 * 3_600_000;
      expect(users.session(token)?.name).toBe('ada');
      steady += 50 * 60_000;
      now += 50 * 60_000;
      expect(users.session(token)).toBeNull(); // an hour after sign-in, as configured

      // NTP sets it 3 hours back: the session still ends after its hour, not four.
      const again = users.createSession(users.signIn('ada', ADMIN_PW));
      steady += 60 * 60_000;
      now += 60 * 60_000 - 3 * 3_600_000;
      expect(users.session(again)).toBeNull();
    } finally {
      db.close();
    }
  });

  it('a roster that demotes every admin does not reopen the first-admin bootstrap (policy VI.A)', () => {
    const db = openTestDb(path.join(dir, 'demoted'));
    const users = new UserDirectory(db, config, new AuditLog(db), () => now);
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    users.applyRoster([{ name: 'ada', role: 'officer', initialTraining: '2026-01-01' }], 'roster-9');
    expect(users.list().filter((u) => u.role === 'admin')).toEqual([]);
    // Whoever has a shell on the unit (a vendor) cannot make themselves admin now.
    expect(reasonOf(() => users.bootstrapAdmin('vendor', 'vendor secret 1', '2026-01-01'))).toBe(
      'admin-exists',
    );
    expect(users.get('vendor')).toBeUndefined();
    db.close();
    // Nor on a unit whose only users ever came from headquarters' roster.
    const db2 = openTestDb(path.join(dir, 'hq-only'));
    const users2 = new UserDirectory(db2, config, new AuditLog(db2), () => now);
    users2.applyRoster([{ name: 'ofc', role: 'officer', initialTraining: '2026-01-01' }], 'roster-1');
    expect(reasonOf(() => users2.bootstrapAdmin('vendor', 'vendor secret 1', '2026-01-01'))).toBe(
      'admin-exists',
    );
    db2.close();
  });

  it('a roster from headquarters in replace mode disables users it does not list', () => {
    const db = openTestDb(dir);
    const users = new UserDirectory(db, config, new AuditLog(db), () => now);
    const r = users.applyRoster(
      [{ name: 'ada', role: 'admin', initialTraining: '2026-01-01' }],
      'roster-2',
      'replace',
    );
    expect(r.disabled.sort()).toEqual(['newbie']);
    expect(users.get('ada')!.source).toBe('hq:roster-2');
    expect(new AuditLog(db).verify().ok).toBe(true);
    db.close();
  });
});
