import { PolicyError } from './errors.js';

/**
 * officer: queries, hits. technician: installs and maintains the unit (the policy forbids a vendor
 * or technician adding users). admin: the Agency LPR Administrator (III.D, VI.A). auditor: reads
 * the audit log and reports only.
 */
export const ROLES = ['officer', 'technician', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The identity behind an action: a signed-in person on the unit, or headquarters acting for a named requester. */
export interface SignedInUser {
  kind: 'user';
  name: string;
  role: Role;
  /** Warnings shown at sign-in (overdue in-service training). */
  warnings: string[];
  trainingOverdue: boolean;
}

export interface HqRequester {
  kind: 'hq';
  /** The person at headquarters who asked (HQ authenticated them; we record who). */
  requester: string;
}

export type Identity = SignedInUser | HqRequester;

/** The name recorded in the audit log for an identity. */
export function actorName(identity: Identity): string {
  return identity.kind === 'user' ? identity.name : `hq:${identity.requester}`;
}

/** Throws a PolicyError unless the user has one of `roles`. */
export function requireRole(user: SignedInUser, ...roles: Role[]): void {
  if (!roles.includes(user.role)) {
    throw new PolicyError(
      `${user.name} is ${article(user.role)} ${user.role}; this needs the ${roles.join(' or ')} role`,
      'role',
    );
  }
}

function article(role: string): string {
  return /^[aeiou]/.test(role) ? 'an' : 'a';
}
