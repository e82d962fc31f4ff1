import type { Role } from '../policy/roles.js';

export interface ConsoleUser {
  name: string;
  role: Role;
  /** Shown on the console while signed in, e.g. overdue in-service training (policy VII). */
  warnings?: string[];
  trainingOverdue?: boolean;
}

/**
 * Sign-in and sessions for the console. policy's UserDirectory fits: it checks the password,
 * lockout and training, audits every sign-in, and keeps sessions (only token hashes stored).
 */
export interface ConsoleUsers {
  /** Throws (name "PolicyError") when the name, secret or account standing is wrong. */
  signIn(name: string, secret: string): ConsoleUser;
  createSession(user: ConsoleUser): string;
  /** The user behind a live token, or null for an unknown, forged or expired one. */
  session(token: string): ConsoleUser | null;
  endSession(token: string): void;
}
