import type { HotlistStore, VersionMeta } from './store.js';
import { DEFAULT_PRIORITY, type AuditSink, type ListType, type Priority } from './types.js';

/**
 * Manual local entries (policy III.C): plates an officer or admin adds on the unit, each saying who
 * entered it and why, and removed with a reason. The CLI (`hotlist add|remove`) and the officer
 * console both go through here, so both are audited alike.
 */

/** Manual entries go to this list unless another is named. */
export const LOCAL_LIST = 'local';
/** The source recorded on manual entries and on the versions they make. */
export const LOCAL_SOURCE = 'local';

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

/** Adds the entry; false when the same plate, state and type were already on the list. */
export function addManualEntry(store: HotlistStore, audit: AuditSink, user: string, add: ManualAdd): boolean {
  const listId = add.listId ?? LOCAL_LIST;
  const listType = add.listType ?? 'manual';
  const expiresAt = add.expiresAt ?? null;
  const result = store.applyDelta(
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
  const found = store
    .findInList(listId, remove.plate)
    .filter(
      (e) =>
        (remove.state === undefined || e.state === remove.state) &&
        (!remove.listType || e.listType === remove.listType),
    );
  if (found.length === 0) return 0;
  const { removed } = store.applyDelta(
    localVersion(listId, user),
    [],
    found.map((e) => ({ plate: e.plate, state: e.state, listType: e.listType })),
  );
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
