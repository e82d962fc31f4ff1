import { z } from 'zod';
import { ENTRY_FIELDS } from './conflicts.js';
import { InputError } from './import.js';
import type { HotlistStore, VersionMeta } from './store.js';
import {
  DEFAULT_PRIORITY,
  listIdProblem,
  LOCAL_LIST,
  LOCAL_SOURCE,
  REASON_MAX_CHARS,
  type AuditSink,
  type EntryInput,
  type HotlistEntry,
  type ListType,
  type Priority,
} from './types.js';

/**
 * Manual local entries (policy III.C): plates an officer or admin adds on the unit, each saying who
 * entered it and why, and removed with a reason. The CLI (`hotlist add|remove`) and the officer
 * console both go through here, so both are audited alike.
 */

/**
 * Manual entries go to this list unless another is named. Only lists made on the unit (source
 * LOCAL_SOURCE) take them: a list from HQ or an import changes only by the next import or sync.
 * Relabelling such a list with a manual change would reset its age, so a stale list would look
 * current (policy IV.C.1), and a plate HQ still wants found could be taken off it on one unit.
 */
export { LOCAL_LIST, LOCAL_SOURCE } from './types.js';

export interface ManualAdd {
  plate: string;
  /** USPS code, or null for any state. */
  state: string | null;
  reason: string;
  listType?: ListType;
  /** UTC ms; null or absent: does not expire. */
  expiresAt?: number | null;
  priority?: Priority;
  vehicle?: string | null;
  reference?: string | null;
  listId?: string;
}

export interface ManualRemove {
  plate: string;
  reason: string;
  /** Only the entry for this state (null: the any-state entry); absent: every state. */
  state?: string | null;
  listType?: ListType;
  listId?: string;
}

function localVersion(listId: string, user: string): VersionMeta {
  return {
    listId,
    type: 'mixed',
    version: new Date().toISOString(),
    generatedAt: Date.now(),
    source: LOCAL_SOURCE,
    importedBy: user,
  };
}

/** Why manual entries cannot be made on `listId` (worded for the user), or null when they can. */
export function manualListProblem(store: HotlistStore, listId: string): string | null {
  const problem = listIdProblem(listId, '--list');
  if (problem) return problem;
  const list = store.list(listId);
  if (!list || list.source === LOCAL_SOURCE) return null; // a new list is made here: local
  return (
    `list "${listId}" came from ${list.source === 'hq' ? 'HQ' : `an import (source ${list.source ? `"${list.source}"` : 'not given'})`}: ` +
    `it changes only by "lpr-edge hotlist import" or sync from HQ. Manual entries go to the list "${LOCAL_LIST}" ` +
    `(leave out --list) or another list made of manual entries`
  );
}

/**
 * `fn` (a manual change of `listId`) after checking the list takes manual entries, in one
 * transaction, so an import cannot make the list another's in between.
 */
function onManualList<T>(store: HotlistStore, listId: string, fn: () => T): T {
  return store.db
    .transaction(() => {
      const problem = manualListProblem(store, listId);
      if (problem) throw new InputError(problem);
      return fn();
    })
    .immediate();
}

/**
 * The reason a person gives for adding or removing a manual entry, on the console's watch form or
 * `lpr-edge hotlist add|remove --reason`: one rule for both, held to the limit of every entry's
 * reason (REASON_MAX_CHARS). Refused when longer, not cut: the one typing it can say it shorter.
 * Trimmed; `missing` is the message for a blank one, worded for where it is asked.
 */
export function manualReason(missing: string) {
  return z
    .string()
    .trim()
    .min(1, missing)
    .max(REASON_MAX_CHARS, {
      error: (issue) =>
        `at most ${REASON_MAX_CHARS} characters (this one has ${String(issue.input).length}): say why in fewer words`,
    });
}

// A renewal adding reasons to an entry keeps them within REASON_MAX_CHARS, the limit of any one
// reason: a plate watched by officer after officer does not grow a reason without end (the console
// shows it whole on every alert, and it goes to HQ with each hit).

/** Of the reasons a renewal keeps, at least this much of the first (whose entry it is) stays. */
const FIRST_REASON_KEPT = 60;
/** The newest note (`user: reason`) of a renewal is kept whole up to this length. */
const NOTE_MAX_CHARS = REASON_MAX_CHARS - FIRST_REASON_KEPT - '; '.length;

/** `text` cut to `max` characters, an ellipsis marking the cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/**
 * The reasons an entry gives so far, with a renewing officer's note added last, within
 * REASON_MAX_CHARS: the note (cut to NOTE_MAX_CHARS) is kept, and the reasons before it are cut
 * from their end, marked "…", so the notes in between go first and the first reason, the entry
 * owner's, keeps its beginning (at least FIRST_REASON_KEPT characters). Every reason stays whole in
 * the audit log's record of each add and renewal.
 */
function mergedReason(reasons: string, note: string): string {
  const newest = cut(note, NOTE_MAX_CHARS);
  const whole = `${reasons}; ${newest}`;
  if (whole.length <= REASON_MAX_CHARS) return whole;
  return `${cut(reasons, REASON_MAX_CHARS - newest.length - 2)}; ${newest}`;
}

/**
 * What a manual add did. `entry` is the entry on the list afterwards.
 * - added: the plate was not on the list, or only with an entry that had expired (`expired`: that
 *   entry, taken off; an expired entry matches nothing, so the add is a fresh entry).
 * - renewed: the plate was on the list and still active (`previous`); see `renewal`.
 * - unchanged: it was, and the add asked for nothing it does not already have.
 */
export type ManualAddResult =
  | { outcome: 'added'; entry: HotlistEntry; expired?: HotlistEntry }
  | { outcome: 'renewed' | 'unchanged'; entry: HotlistEntry; previous: HotlistEntry };

/**
 * An add for a plate already on the list and not expired. Both officers' reasons to look for it
 * hold, so the entry is renewed, not replaced or refused: the later expiry and the higher
 * priority win (a watch never ends sooner or sounds quieter because a colleague asked for less),
 * the entry stays the first officer's (`enteredBy`), and a reason it does not give yet is added
 * under the renewing officer's name, so that a hit shows every reason to stop the car (within
 * REASON_MAX_CHARS: `mergedReason` says what is kept when they do not all fit). A vehicle
 * or reference the entry lacks is filled in; one it has is kept.
 */
function renewal(was: HotlistEntry, add: EntryInput, user: string): EntryInput {
  const note = `${user}: ${add.reason}`;
  const reasons = was.reason ?? '';
  // The first reason, then "; user: reason" for each added: the reason given is known when it is
  // one of them, whole (a reason may itself contain "; ", hence the ends matched too), or the
  // newest note as a capped merge keeps it.
  const all = `; ${reasons}; `;
  const known =
    !add.reason ||
    all.includes(`; ${add.reason}; `) ||
    all.includes(`; ${note}; `) ||
    all.includes(`; ${cut(note, NOTE_MAX_CHARS)}; `);
  return {
    ...was,
    expiresAt:
      was.expiresAt === null || add.expiresAt === null ? null : Math.max(was.expiresAt, add.expiresAt),
    priority: Math.min(was.priority, add.priority) as Priority,
    reason: known ? was.reason : reasons ? mergedReason(reasons, note) : add.reason,
    vehicle: was.vehicle ?? add.vehicle,
    reference: was.reference ?? add.reference,
  };
}

/**
 * Adds a manual entry, or renews the entry already on the list for its plate, state and type
 * (see ManualAddResult); `now` decides whether that entry has expired. Audited as what happened:
 * "add" or "renew" (with the entry before), nothing when nothing changed.
 */
export function addManualEntry(
  store: HotlistStore,
  audit: AuditSink,
  user: string,
  add: ManualAdd,
  now = Date.now(),
): ManualAddResult {
  const listId = add.listId ?? LOCAL_LIST;
  const listType = add.listType ?? 'manual';
  const entry: EntryInput = {
    plate: add.plate,
    state: add.state,
    listType,
    source: LOCAL_SOURCE,
    reference: add.reference ?? null,
    priority: add.priority ?? DEFAULT_PRIORITY[listType],
    expiresAt: add.expiresAt ?? null,
    vehicle: add.vehicle ?? null,
    reason: add.reason,
    enteredBy: user,
  };
  const onList = () =>
    store.findInList(listId, add.plate).find((e) => e.state === add.state && e.listType === listType);
  const result = onManualList(store, listId, (): ManualAddResult => {
    const was = onList();
    const meta = localVersion(listId, user);
    if (!was || (was.expiresAt !== null && was.expiresAt <= now)) {
      // Removed and added in one change: the fresh entry gets a new id, newest on the watch list.
      store.applyManualChange(meta, [entry], was ? [was] : []);
      return { outcome: 'added', entry: onList()!, ...(was ? { expired: was } : {}) };
    }
    const renewed = renewal(was, entry, user);
    if (ENTRY_FIELDS.every((f) => renewed[f] === was[f]))
      return { outcome: 'unchanged', entry: was, previous: was };
    store.applyManualChange(meta, [renewed], []);
    return { outcome: 'renewed', entry: onList()!, previous: was };
  });
  const details = { list: listId, plate: add.plate, state: add.state, listType, reason: add.reason };
  if (result.outcome === 'added')
    audit.append({
      type: 'hotlist.change',
      actor: user,
      details: {
        action: 'add',
        ...details,
        expiresAt: entry.expiresAt,
        priority: entry.priority,
        ...(result.expired ? { replacedExpired: fieldsOf(result.expired) } : {}),
      },
    });
  else if (result.outcome === 'renewed')
    audit.append({
      type: 'hotlist.change',
      actor: user,
      details: {
        action: 'renew',
        ...details,
        before: fieldsOf(result.previous),
        after: fieldsOf(result.entry),
      },
    });
  return result;
}

/** The fields of an entry a renewal may change, and whose it is: for the audit record. */
function fieldsOf(e: HotlistEntry) {
  return {
    enteredBy: e.enteredBy,
    expiresAt: e.expiresAt,
    priority: e.priority,
    reason: e.reason,
    vehicle: e.vehicle,
    reference: e.reference,
  };
}

/** Removes the matching entries; how many (0: nothing matched, and nothing is audited). */
export function removeManualEntries(
  store: HotlistStore,
  audit: AuditSink,
  user: string,
  remove: ManualRemove,
): number {
  const listId = remove.listId ?? LOCAL_LIST;
  const removed = onManualList(store, listId, () => {
    const found = store
      .findInList(listId, remove.plate)
      .filter(
        (e) =>
          (remove.state === undefined || e.state === remove.state) &&
          (!remove.listType || e.listType === remove.listType),
      );
    if (found.length === 0) return 0;
    return store.applyManualChange(
      localVersion(listId, user),
      [],
      found.map((e) => ({ plate: e.plate, state: e.state, listType: e.listType })),
    ).removed;
  });
  if (removed === 0) return 0;
  audit.append({
    type: 'hotlist.change',
    actor: user,
    details: {
      action: 'remove',
      list: listId,
      plate: remove.plate,
      state: remove.state ?? null,
      listType: remove.listType ?? null,
      reason: remove.reason,
      removed,
    },
  });
  return removed;
}
