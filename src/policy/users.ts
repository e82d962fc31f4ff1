import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/database.js';
import { AuditLog } from './audit.js';
import type { PolicyConfig } from './config.js';
import { PolicyError } from './errors.js';
import { dummyHash, hashPassword, verifyPassword } from './password.js';
import { isRole, requireRole, type Role, type SignedInUser } from './roles.js';
import { getState, setState } from './state.js';
import { steadyClockFor } from '../util/clock.js';
import { inServiceDue, isOverdue, parseTrainingDate } from './training.js';

export type { SignedInUser, Role, Identity, HqRequester } from './roles.js';
export { requireRole, ROLES, isRole } from './roles.js';

/** policy_state key: set once the agency owns the roster (first admin, or a roster from HQ). */
const ROSTER_OWNED = 'users.rosterOwned';

export interface UserInfo {
  name: string;
  role: Role;
  disabled: boolean;
  lockedUntil: number | null;
  source: string;
  initialTraining: string | null;
  lastTraining: string | null;
  inServiceDue: string | null;
  trainingOverdue: boolean;
}

/** One user as a signed roster from headquarters lists them (the sync module verifies the signature). */
export interface RosterEntry {
  name: string;
  role: Role;
  disabled?: boolean;
  /** scrypt hash in this module's format, set centrally; absent = keep the local password. */
  passwordHash?: string;
  initialTraining?: string;
  inServiceTraining?: string[];
}

interface UserRow {
  name: string;
  role: Role;
  password_hash: string | null;
  disabled: number;
  failed_attempts: number;
  locked_until: number | null;
  source: string;
}

const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The agency's authorised users (policy VI.A, VII): roles, scrypt-hashed passwords, lockout,
 * training records and sessions. Only an admin changes users; every change and every sign-in,
 * successful or not, goes to the audit log.
 */
export class UserDirectory {
  private dummy: string | undefined;

  constructor(
    private readonly db: Db,
    private readonly config: Pick<
      PolicyConfig,
      | 'sessionTtlMinutes'
      | 'lockoutThreshold'
      | 'lockoutMinutes'
      | 'inServiceMonths'
      | 'passwordCostLog2'
      | 'minPasswordLength'
    >,
    readonly audit: AuditLog = new AuditLog(db),
    private readonly now: () => number = Date.now,
    // Lockouts this process sets run on a clock that never steps (the GPS or NTP setting the
    // wall clock after boot would end one early, or lengthen it by the size of the step).
    private readonly steady: () => number = steadyClockFor(now),
  ) {}

  /**
   * Lockouts set by this process: the wall-clock `locked_until` written, and the steady-clock
   * end. Used while the row still holds that value (an unlock or a lockout by another process,
   * the CLI, changes it); lockouts from before a restart have only the stored wall-clock time.
   */
  private readonly lockouts = new Map<string, { until: number; end: number }>();
  /**
   * Console sessions created by this process: steady-clock expiry by token hash. A session must
   * not end when the GPS sets the clock hours forward (signing the officer out mid-shift), nor
   * outlive its time when NTP sets it back. Sessions from before a restart use `expires_at`.
   */
  private readonly sessionEnds = new Map<string, number>();

  /** When the account's lockout ends on the wall clock as it reads now, or null if not locked. */
  private lockEnd(row: UserRow, now: number): number | null {
    if (row.locked_until === null) return null;
    const mine = this.lockouts.get(row.name);
    if (mine && mine.until === row.locked_until) {
      const left = mine.end - this.steady();
      return left > 0 ? Math.round(now + left) : null;
    }
    return row.locked_until > now ? row.locked_until : null;
  }

  /**
   * Whether the agency already owns this unit's roster: an admin was created here (disabled ones
   * count) or headquarters sent a roster. The first-admin bootstrap is a one-time provisioning
   * step, not a way back in for whoever has root after the admins are disabled or demoted
   * (policy VI.A: a vendor may not add users without the agency).
   */
  hasAdmin(): boolean {
    return (
      getState(this.db, ROSTER_OWNED) !== undefined ||
      !!this.db.prepare("SELECT 1 FROM users WHERE role = 'admin' OR source LIKE 'hq:%'").get()
    );
  }

  /** The first admin, at provisioning: refused once any active admin exists. */
  bootstrapAdmin(name: string, secret: string, trained: string): UserInfo {
    return this.db
      .transaction(() => {
        if (this.hasAdmin()) {
          throw new PolicyError(
            'an admin already exists: new users are added by an admin with "lpr-edge users add"',
            'admin-exists',
          );
        }
        this.insertUser(name, 'admin', secret, trained, null);
        setState(this.db, ROSTER_OWNED, { by: 'bootstrap' }, name, this.now());
        this.audit.append({
          type: 'user.add',
          actor: null,
          details: { user: name, role: 'admin', bootstrap: true, initialTraining: trained },
        });
        return this.get(name)!;
      })
      .immediate();
  }

  addUser(actor: SignedInUser, u: { name: string; role: string; secret: string; trained: string }): UserInfo {
    requireRole(actor, 'admin');
    if (!isRole(u.role))
      throw new PolicyError(`--role: got "${u.role}"; use officer, technician, admin or auditor`, 'bad-role');
    const role = u.role;
    return this.db.transaction(() => {
      this.insertUser(u.name, role, u.secret, u.trained, actor.name);
      this.audit.append({
        type: 'user.add',
        actor: actor.name,
        details: { user: u.name, role, initialTraining: u.trained },
      });
      return this.get(u.name)!;
    })();
  }

  setRole(actor: SignedInUser, name: string, role: string): void {
    requireRole(actor, 'admin');
    if (!isRole(role))
      throw new PolicyError(`--role: got "${role}"; use officer, technician, admin or auditor`, 'bad-role');
    const before = this.row(name);
    if (before.role === 'admin' && role !== 'admin') this.assertAnotherAdmin(name);
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE name = ?').run(role, this.now(), name);
      // As on disabling: a session was granted for the role the user had then (the console is for
      // officers only), so a new role means signing in again under it.
      if (role !== before.role) this.db.prepare('DELETE FROM sessions WHERE user_name = ?').run(name);
      this.audit.append({
        type: 'user.change',
        actor: actor.name,
        details: { user: name, from: before.role, role },
      });
    })();
  }

  setDisabled(actor: SignedInUser, name: string, disabled: boolean): void {
    requireRole(actor, 'admin');
    const before = this.row(name);
    if (disabled && before.role === 'admin') this.assertAnotherAdmin(name);
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE name = ?')
        .run(disabled ? 1 : 0, this.now(), name);
      if (disabled) this.db.prepare('DELETE FROM sessions WHERE user_name = ?').run(name);
      this.audit.append({
        type: disabled ? 'user.disable' : 'user.change',
        actor: actor.name,
        details: { user: name, disabled },
      });
    })();
  }

  unlock(actor: SignedInUser, name: string): void {
    requireRole(actor, 'admin');
    this.row(name);
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE users SET failed_attempts = 0, locked_until = NULL, updated_at = ? WHERE name = ?')
        .run(this.now(), name);
      this.audit.append({ type: 'user.unlock', actor: actor.name, details: { user: name } });
    })();
  }

  /** An admin sets anyone's password; a user may change their own. */
  setPassword(actor: SignedInUser, name: string, secret: string): void {
    if (actor.name !== name) requireRole(actor, 'admin');
    this.row(name);
    const hash = this.hash(secret);
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?')
        .run(hash, this.now(), name);
      this.db.prepare('DELETE FROM sessions WHERE user_name = ?').run(name);
      this.audit.append({
        type: 'user.change',
        actor: actor.name,
        details: { user: name, password: 'changed' },
      });
    })();
  }

  recordTraining(actor: SignedInUser, name: string, kind: 'initial' | 'in-service', date: string): void {
    requireRole(actor, 'admin');
    this.row(name);
    parseTrainingDate(date, '--date', this.now());
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO training (user_name, kind, date, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(name, kind, date, actor.name, this.now());
      this.audit.append({ type: 'training.record', actor: actor.name, details: { user: name, kind, date } });
    })();
  }

  /**
   * Check a password and the account's standing. Throws a PolicyError whose `reason` is one of
   * 'bad-credentials', 'locked-out', 'disabled', 'no-initial-training'; every outcome is audited.
   */
  signIn(name: string, secret: string): SignedInUser {
    const now = this.now();
    const row = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    const fail = (
      reason: string,
      message: string,
      extra: Record<string, unknown> = {},
      shownReason = reason,
    ): never => {
      this.audit.append({ type: 'signin.failure', actor: name, details: { user: name, reason, ...extra } });
      throw new PolicyError(`sign-in refused for ${name}: ${message}`, shownReason);
    };
    if (!row) {
      // Spend the same time as a real check so the response does not reveal which names exist.
      verifyPassword(secret, (this.dummy ??= dummyHash(this.config.passwordCostLog2)));
      return fail('bad-credentials', 'unknown user or wrong password');
    }
    const lockedUntil = this.lockEnd(row, now);
    if (lockedUntil !== null) {
      return fail(
        'locked-out',
        `account locked after repeated failures until ${new Date(lockedUntil).toISOString()}; wait or ask an admin to unlock it`,
      );
    }
    if (!row.password_hash || !verifyPassword(secret, row.password_hash)) {
      const attempts = row.failed_attempts + 1;
      const locks = attempts >= this.config.lockoutThreshold;
      const until = locks ? now + this.config.lockoutMinutes * 60_000 : null;
      this.db
        .prepare('UPDATE users SET failed_attempts = ?, locked_until = ? WHERE name = ?')
        .run(locks ? 0 : attempts, until, name);
      if (until !== null)
        this.lockouts.set(name, { until, end: this.steady() + this.config.lockoutMinutes * 60_000 });
      if (locks) {
        // Audited as the lockout it is, but answered exactly like an unknown name: saying "now
        // locked" would tell whoever is guessing that this user exists.
        return fail(
          'locked-out',
          'unknown user or wrong password',
          { attempts, lockedUntil: until },
          'bad-credentials',
        );
      }
      return fail('bad-credentials', 'unknown user or wrong password', { attempts });
    }
    const info = this.get(name)!;
    const refusal = standingRefusal(info);
    if (refusal) return fail(refusal.reason, refusal.message);
    this.db.prepare('UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE name = ?').run(name);
    const warnings: string[] = [];
    if (info.trainingOverdue) {
      warnings.push(
        `in-service LPR training overdue since ${info.inServiceDue} (last training ${info.lastTraining}); tell your agency administrator`,
      );
    }
    this.audit.append({
      type: 'signin.success',
      actor: name,
      details: {
        user: name,
        role: info.role,
        trainingOverdue: info.trainingOverdue,
        ...(info.trainingOverdue ? { inServiceDue: info.inServiceDue } : {}),
      },
    });
    return { kind: 'user', name, role: info.role, warnings, trainingOverdue: info.trainingOverdue };
  }

  /** A random bearer token for the console; only its SHA-256 is stored. */
  createSession(user: SignedInUser): string {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const ttl = this.config.sessionTtlMinutes * 60_000;
    this.db
      .prepare('INSERT INTO sessions (token_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(tokenHash(token), user.name, now, now + ttl);
    this.sessionEnds.set(tokenHash(token), this.steady() + ttl);
    return token;
  }

  /**
   * The user behind a live session as the directory has them now (role, training), or null when
   * unknown, expired, or the account was disabled since.
   */
  session(token: string): SignedInUser | null {
    const now = this.now();
    const s = this.db
      .prepare('SELECT user_name, expires_at FROM sessions WHERE token_hash = ?')
      .get(tokenHash(token)) as { user_name: string; expires_at: number } | undefined;
    if (!s) return null;
    const end = this.sessionEnds.get(tokenHash(token));
    if (end !== undefined ? end <= this.steady() : s.expires_at <= now) {
      this.endSession(token);
      return null;
    }
    // The account's standing as sign-in checks it, again on every use: disabled or without
    // initial training since, the session no longer counts.
    const info = this.get(s.user_name);
    if (!info || standingRefusal(info)) return null;
    return {
      kind: 'user',
      name: info.name,
      role: info.role,
      trainingOverdue: info.trainingOverdue,
      warnings: info.trainingOverdue ? [`in-service LPR training overdue since ${info.inServiceDue}`] : [],
    };
  }

  endSession(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash(token));
    this.sessionEnds.delete(tokenHash(token));
  }

  get(name: string): UserInfo | undefined {
    const row = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return row ? this.info(row) : undefined;
  }

  list(): UserInfo[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY name').all() as UserRow[]).map((r) => this.info(r));
  }

  /**
   * Apply a roster from headquarters (already signature-checked by the caller). Users in the
   * roster are created or updated and marked as coming from `source`. In 'replace' mode every
   * other user is disabled; in 'merge' mode only users that came from an earlier roster of the same
   * source and are now absent are disabled. One audit record lists the changes.
   */
  applyRoster(
    entries: readonly RosterEntry[],
    source: string,
    mode: 'merge' | 'replace' = 'merge',
  ): { added: string[]; updated: string[]; disabled: string[] } {
    for (const e of entries) {
      if (!NAME_RE.test(e.name))
        throw new PolicyError(`roster: user name "${e.name}" is not valid`, 'bad-roster');
      if (!isRole(e.role))
        throw new PolicyError(`roster: user ${e.name} has unknown role "${String(e.role)}"`, 'bad-roster');
      for (const d of [e.initialTraining, ...(e.inServiceTraining ?? [])])
        if (d) parseTrainingDate(d, `roster ${e.name} training`, this.now());
    }
    const src = `hq:${source}`;
    const result = { added: [] as string[], updated: [] as string[], disabled: [] as string[] };
    this.db.transaction(() => {
      const now = this.now();
      setState(this.db, ROSTER_OWNED, { by: src }, src, now);
      const names = new Set(entries.map((e) => e.name));
      for (const e of entries) {
        const existing = this.db.prepare('SELECT * FROM users WHERE name = ?').get(e.name) as
          UserRow | undefined;
        if (existing) {
          this.db
            .prepare(
              'UPDATE users SET role = ?, disabled = ?, source = ?, password_hash = COALESCE(?, password_hash), updated_at = ? WHERE name = ?',
            )
            .run(e.role, e.disabled ? 1 : 0, src, e.passwordHash ?? null, now, e.name);
          result.updated.push(e.name);
        } else {
          this.db
            .prepare(
              `INSERT INTO users (name, role, password_hash, disabled, source, created_at, created_by, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(e.name, e.role, e.passwordHash ?? null, e.disabled ? 1 : 0, src, now, src, now);
          result.added.push(e.name);
        }
        const have = new Set(
          (
            this.db.prepare('SELECT kind, date FROM training WHERE user_name = ?').all(e.name) as {
              kind: string;
              date: string;
            }[]
          ).map((t) => `${t.kind}:${t.date}`),
        );
        const add = this.db.prepare(
          'INSERT INTO training (user_name, kind, date, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)',
        );
        if (e.initialTraining && !have.has(`initial:${e.initialTraining}`))
          add.run(e.name, 'initial', e.initialTraining, src, now);
        for (const d of e.inServiceTraining ?? [])
          if (!have.has(`in-service:${d}`)) add.run(e.name, 'in-service', d, src, now);
      }
      const others = this.db.prepare('SELECT name, source FROM users WHERE disabled = 0').all() as {
        name: string;
        source: string;
      }[];
      for (const o of others) {
        if (names.has(o.name)) continue;
        if (mode === 'replace' || o.source === src) {
          this.db.prepare('UPDATE users SET disabled = 1, updated_at = ? WHERE name = ?').run(now, o.name);
          this.db.prepare('DELETE FROM sessions WHERE user_name = ?').run(o.name);
          result.disabled.push(o.name);
        }
      }
      this.audit.append({ type: 'roster.apply', actor: src, details: { source, mode, ...result } });
    })();
    return result;
  }

  private insertUser(name: string, role: Role, secret: string, trained: string, by: string | null): void {
    if (!NAME_RE.test(name))
      throw new PolicyError(`user name "${name}": use 1-64 letters, digits, ".", "-" or "_"`, 'bad-name');
    parseTrainingDate(trained, '--trained', this.now());
    if (this.db.prepare('SELECT 1 FROM users WHERE name = ?').get(name))
      throw new PolicyError(`user ${name} already exists`, 'user-exists');
    const hash = this.hash(secret);
    const now = this.now();
    this.db
      .prepare(
        'INSERT INTO users (name, role, password_hash, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(name, role, hash, now, by, now);
    this.db
      .prepare(
        "INSERT INTO training (user_name, kind, date, recorded_by, recorded_at) VALUES (?, 'initial', ?, ?, ?)",
      )
      .run(name, trained, by, now);
  }

  private hash(secret: string): string {
    if (secret.length < this.config.minPasswordLength) {
      throw new PolicyError(
        `password too short: use at least ${this.config.minPasswordLength} characters`,
        'weak-password',
      );
    }
    return hashPassword(secret, this.config.passwordCostLog2);
  }

  private row(name: string): UserRow {
    const row = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    if (!row) throw new PolicyError(`no user named ${name}`, 'unknown-user');
    return row;
  }

  private assertAnotherAdmin(name: string): void {
    const n = (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0 AND name != ?")
        .get(name) as { n: number }
    ).n;
    if (n === 0)
      throw new PolicyError(`${name} is the last active admin; add another admin first`, 'last-admin');
  }

  private info(row: UserRow): UserInfo {
    const t = this.db
      .prepare(
        `SELECT MAX(CASE WHEN kind = 'initial' THEN date END) AS initial, MAX(date) AS latest
         FROM training WHERE user_name = ?`,
      )
      .get(row.name) as { initial: string | null; latest: string | null };
    const due =
      t.initial && t.latest
        ? inServiceDue(t.latest, this.config.inServiceMonths).toISOString().slice(0, 10)
        : null;
    return {
      name: row.name,
      role: row.role,
      disabled: row.disabled === 1,
      lockedUntil: this.lockEnd(row, this.now()),
      source: row.source,
      initialTraining: t.initial,
      lastTraining: t.latest,
      inServiceDue: due,
      trainingOverdue: !!(
        t.initial &&
        t.latest &&
        isOverdue(t.latest, this.config.inServiceMonths, this.now())
      ),
    };
  }
}

/**
 * Why the account may not be used now, whatever the password: disabled by the agency, or no
 * initial LPR training on record (policy VII). Sign-in and every session use this one check.
 */
function standingRefusal(info: UserInfo): { reason: string; message: string } | null {
  if (info.disabled) return { reason: 'disabled', message: 'account disabled by the agency administrator' };
  if (!info.initialTraining)
    return {
      reason: 'no-initial-training',
      message: 'no initial LPR training on record (policy VII); an admin records it',
    };
  return null;
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
