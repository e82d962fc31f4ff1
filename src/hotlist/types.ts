import { z } from 'zod';

/** The list categories of policy III.C, as written in files and on the CLI. */
export const LIST_TYPES = [
  'stolen-vehicle',
  'stolen-plate',
  'wanted-person',
  'suspended-registration',
  'ncic',
  'amber-alert',
  'missing-person',
  'manual',
] as const;
export type ListType = (typeof LIST_TYPES)[number];

export const LIST_TYPE_LABELS: Record<ListType, string> = {
  'stolen-vehicle': 'Stolen vehicle',
  'stolen-plate': 'Stolen plate',
  'wanted-person': 'Wanted person',
  'suspended-registration': 'Suspended/revoked registration',
  ncic: 'NCIC',
  'amber-alert': 'AMBER alert',
  'missing-person': 'Missing person / vulnerable adult',
  manual: 'Manual local entry',
};

/** A list id as files, the CLI and sync name it. */
export const LIST_ID = /^[A-Za-z0-9_-]+$/;

/**
 * The longest list id. It is named on every alert, audit record, sync status and console line of
 * the list: an id of any length would push the alert's plate and reason off the officer's screen
 * and fill records with it. 64 takes an agency's names (`ncic-stolen-vehicles-2026`) with room.
 */
export const LIST_ID_MAX_CHARS = 64;

/**
 * A list id, however it is given (`--list`, a CSV file's name, a JSON list's `list.id`, a list
 * from HQ, a manual entry's list): letters, digits, "-" and "_" (no spaces or control characters),
 * 1 to LIST_ID_MAX_CHARS of them. The length is checked first (and alone), and no message repeats
 * the id: one of thousands of characters would bury the message.
 */
export const listIdSchema = z
  .string()
  .min(1, 'give a list id (letters, digits, "-" or "_")')
  .max(LIST_ID_MAX_CHARS, {
    abort: true,
    error: (issue) => `at most ${LIST_ID_MAX_CHARS} characters (this one has ${String(issue.input).length})`,
  })
  .regex(LIST_ID, 'use letters, digits, "-" or "_"');

/**
 * Why `id`, given as `name` (`--list`), is no list id, or null when it is one: listIdSchema's
 * message, after the id when it is short enough to show.
 */
export function listIdProblem(id: string, name: string): string | null {
  const r = listIdSchema.safeParse(id);
  if (r.success) return null;
  const shown = id.length <= LIST_ID_MAX_CHARS ? `${name} "${id}"` : name;
  return `${shown}: ${r.error.issues[0]!.message}`;
}

/**
 * The longest text a list or an entry carries, however it comes (a file, `hotlist add|import`
 * options): a list's version label and source, an entry's reference and vehicle. An imported row
 * is cut to them; an option longer is refused (`text` in import.ts).
 */
export const TEXT_MAX_CHARS = { version: 100, source: 100, reference: 100, vehicle: 500 } as const;

/**
 * The longest reason (why a plate is wanted) an entry carries, however it comes: a manual entry
 * (the console's watch form, `hotlist add|remove --reason`) longer is refused, an imported row's
 * or an HQ list's is cut to it and the cut reported. One limit because the officer reads the
 * reason on the alert whichever way the entry came. 1000: the alert shows the reason whole, and
 * scrolls with a "More below" cue over its buttons on an 800 x 600 screen (console-e2e shows a
 * 987-character one); an agency's cautions (armed, medical, what to look for) fit in it, where 200
 * (the watch form's old limit) cut them from imported lists; HQ's old 2000 was never on screen
 * tested and needs several screens at 800 x 600.
 */
export const REASON_MAX_CHARS = 1000;

/** 1 is the most urgent. A higher-priority alert pre-empts a lower one on the console. */
export const PRIORITIES = { high: 1, medium: 2, low: 3 } as const;
export type PriorityName = keyof typeof PRIORITIES;
export type Priority = 1 | 2 | 3;

/** Priority of an entry whose file gives none. */
export const DEFAULT_PRIORITY: Record<ListType, Priority> = {
  'amber-alert': 1,
  'wanted-person': 1,
  'missing-person': 1,
  'stolen-vehicle': 2,
  'stolen-plate': 2,
  ncic: 2,
  'suspended-registration': 3,
  manual: 3,
};

export function priorityName(p: number): PriorityName {
  return p <= 1 ? 'high' : p === 2 ? 'medium' : 'low';
}

/** One hotlist entry as imported (before it gets an id). */
export interface EntryInput {
  plate: string;
  /** USPS code, or null for "any state". */
  state: string | null;
  listType: ListType;
  source: string | null;
  reference: string | null;
  priority: Priority;
  /** UTC ms; null = does not expire. */
  expiresAt: number | null;
  vehicle: string | null;
  reason: string | null;
  /** Manual entries: who entered it (the reason is `reason`). */
  enteredBy: string | null;
}

export interface HotlistEntry extends EntryInput {
  id: number;
  listId: string;
}

/** A named list (e.g. "ncic-stolen") and its active version. */
export interface HotlistInfo {
  id: string;
  type: ListType | 'mixed';
  version: string;
  generatedAt: number;
  receivedAt: number;
  entryCount: number;
  source: string | null;
}

/** Anything that can take an audit record: policy's AuditLog fits. */
export interface AuditSink {
  append(event: { type: string; actor: string; details: Record<string, unknown> }): unknown;
}

/** The unit's own manual entries (hotlist add, the console's watch list) go to this list. */
export const LOCAL_LIST = 'local';
/** The source recorded on manual entries and on the versions they make. */
export const LOCAL_SOURCE = 'local';
