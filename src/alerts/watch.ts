import { z } from 'zod';
import { normalisePlate, normaliseState, plateProblem } from '../hotlist/normalise.js';
import { addManualEntry, LOCAL_LIST, manualReason, removeManualEntries } from '../hotlist/manual.js';
import type { HotlistStore } from '../hotlist/store.js';
import {
  PRIORITIES,
  priorityName,
  type AuditSink,
  type HotlistEntry,
  type PriorityName,
} from '../hotlist/types.js';
import { PURPOSES, type PurposeCode } from '../policy/purposes.js';

/**
 * The officer's own watch list on the console: plates to look out for during a shift, kept as
 * manual local entries (policy III.C: who entered each and why) that expire by themselves.
 */

/** How long an officer's entry lasts: at most three days, so none outlives its reason unnoticed. */
export const WATCH_HOURS = [4, 8, 12, 24, 72] as const;

const plate = z
  .string()
  .max(20)
  .superRefine((v, ctx) => {
    const problem = plateProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(normalisePlate);

const state = z
  .string()
  .max(3)
  .nullable()
  .transform((v, ctx) => {
    try {
      return normaliseState(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/**
 * Looking for the plate among the reads already stored is an LPR inquiry (policy III.B, VI.E): it
 * names a purpose and a case or incident number, carries the officer's attestation (V), and goes
 * to the query log. Without it the watch applies to new reads only.
 */
const lookBack = z.strictObject({
  purpose: z.enum(PURPOSES.map((p) => p.code) as [PurposeCode, ...PurposeCode[]], {
    message: `choose the purpose of the search (one of ${PURPOSES.map((p) => p.code).join(', ')})`,
  }),
  caseNumber: z.string().trim().min(1, 'give the case or incident number').max(100),
  attested: z.literal(true, {
    message: 'confirm the search is not based solely on protected activity or association',
  }),
});

export const watchBody = z.strictObject({
  plate,
  state,
  reason: manualReason('say why you are watching for this plate'),
  hours: z
    .number()
    .refine((h) => (WATCH_HOURS as readonly number[]).includes(h), `one of ${WATCH_HOURS.join(', ')} hours`),
  /** How its hit sounds: the officer chooses (low tones can be muted, and manual entries default low). */
  priority: z.enum(['high', 'medium', 'low']),
  lookBack: lookBack.optional(),
});

export const unwatchBody = z.strictObject({
  plate,
  state,
  reason: manualReason('say why the plate is no longer watched for'),
});

export interface WatchedPlate {
  plate: string;
  state: string | null;
  reason: string | null;
  enteredBy: string | null;
  expiresAt: number | null;
  priority: PriorityName;
}

function watched(e: HotlistEntry): WatchedPlate {
  return {
    plate: e.plate,
    state: e.state,
    reason: e.reason,
    enteredBy: e.enteredBy,
    expiresAt: e.expiresAt,
    priority: priorityName(e.priority),
  };
}

/** The manual entries on the unit's local list, newest first (what the console shows). */
export function watchedPlates(store: HotlistStore, now: number): WatchedPlate[] {
  return store
    .activeEntriesOf(LOCAL_LIST, now)
    .filter((e) => e.listType === 'manual')
    .map(watched);
}

/**
 * The answer to "watch this plate": whether it was added, or renewed (the plate was already
 * watched: `previous` says by whom, until when and why), and the watch as it now is. The page
 * tells the officer which, rather than closing as if the plate were added.
 */
export interface WatchOutcome {
  added: boolean;
  renewed: boolean;
  watch: WatchedPlate;
  previous?: WatchedPlate;
}

export function watchPlate(
  store: HotlistStore,
  audit: AuditSink,
  user: string,
  body: z.infer<typeof watchBody>,
  now: number,
): WatchOutcome {
  const r = addManualEntry(
    store,
    audit,
    user,
    {
      plate: body.plate,
      state: body.state,
      reason: body.reason,
      expiresAt: now + body.hours * 3_600_000,
      priority: PRIORITIES[body.priority],
    },
    now,
  );
  return {
    added: r.outcome === 'added',
    renewed: r.outcome === 'renewed',
    watch: watched(r.entry),
    ...(r.outcome === 'added' ? {} : { previous: watched(r.previous) }),
  };
}

export function unwatchPlate(
  store: HotlistStore,
  audit: AuditSink,
  user: string,
  body: z.infer<typeof unwatchBody>,
): number {
  return removeManualEntries(store, audit, user, {
    plate: body.plate,
    state: body.state,
    reason: body.reason,
    listType: 'manual',
  });
}
