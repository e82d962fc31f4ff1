import { InputError } from './import.js';
import type { HotlistStore, VersionMeta } from './store.js';
import {
  DEFAULT_PRIORITY,
  LIST_ID,
  LOCAL_LIST,
  LOCAL_SOURCE,
  type AuditSink,
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
  if (!LIST_ID.test(listId)) return `--list "${listId}": use letters, digits, "-" or "_"`;
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

/** Adds the entry; false when the same plate, state and type were already on the list. */
export function addManualEntry(store: HotlistStore, audit: AuditSink, user: string, add: ManualAdd): boolean {
  const listId = add.listId ?? LOCAL_LIST;
  const listType = add.listType ?? 'manual';
  const expiresAt = add.expiresAt ?? null;
  const result = onManualList(store, listId, () =>
    store.applyManualChange(
      localVersion(listId, user),
      [
        {
          plate: add.plate,
          state: add.state,
          listType,
          source: LOCAL_SOURCE,
          reference: add.reference ?? null,
          priority: add.priority ?? DEFAULT_PRIORITY[listType],
          expiresAt,
          vehicle: add.vehicle ?? null,
          reason: add.reason,
          enteredBy: user,
        },
      ],
      [],
    ),
  );
  audit.append({
    type: 'hotlist.change',
    actor: user,
    details: {
      action: 'add',
      list: listId,
      plate: add.plate,
      state: add.state,
      listType,
      reason: add.reason,
      expiresAt,
      duplicate: result.added === 0,
    },
  });
  return result.added > 0;
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
