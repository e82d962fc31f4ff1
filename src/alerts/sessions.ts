import { randomBytes } from 'node:crypto';

export interface ConsoleUser {
  name: string;
  role: string;
}

/** Checks a name and secret; throws (name "PolicyError") when they are wrong. policy's UserDirectory fits. */
export interface Authenticator {
  signIn(name: string, secret: string): ConsoleUser | Promise<ConsoleUser>;
}

interface Session {
  token: string;
  user: ConsoleUser;
  lastSeen: number;
}

/** Console sign-ins: random bearer tokens held in memory (a daemon restart signs everyone out). */
export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: ConsoleUser): string {
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { token, user, lastSeen: this.now() });
    return token;
  }

  /** The session's user, or undefined for an unknown, forged or idle token. */
  get(token: string | undefined): ConsoleUser | undefined {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    if (this.now() - s.lastSeen > this.idleMs) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastSeen = this.now();
    return s.user;
  }

  end(token: string): void {
    this.sessions.delete(token);
  }
}
