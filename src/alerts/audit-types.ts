/**
 * The audit record types the alerts module writes (hits and the officer console). The policy
 * module gathers every module's list into AUDIT_TYPES, what `audit list --type` accepts.
 */

/**
 * The steps of a hit after it is first stored, each stored as a hit event. `raised` here is a
 * suppressed repeat raised when the officer rejects the hit it was suppressed behind.
 */
export const HIT_ACTIONS = [
  'raised',
  'seen',
  'confirm-plate',
  'confirm-state',
  'verified',
  'rejected',
  'expired',
  'expiry-acknowledged',
  'withdrawn',
  'superseded',
] as const;
export type HitAction = (typeof HIT_ACTIONS)[number];

/** The actions that end a hit's life: each is one `hit.disposition` audit record. */
export const DISPOSITIONS: readonly HitAction[] = [
  'verified',
  'rejected',
  'expired',
  'withdrawn',
  'superseded',
];

/** The audit record a hit's step is written as. */
export function hitAuditType(action: HitAction): `hit.${string}` {
  return DISPOSITIONS.includes(action) ? 'hit.disposition' : `hit.${action}`;
}

export const ALERT_AUDIT_TYPES = [
  'hit.suppressed',
  ...new Set(HIT_ACTIONS.map(hitAuditType)),
  'console.signin',
  'console.signout',
  'console.refused',
] as const;
