import type { EntryInput } from './types.js';

/**
 * An entry is its plate, state and list type (one per list); these are its other fields: what an
 * add for an entry already on the list replaces, and what two copies of one entry may differ in.
 */
export const ENTRY_FIELDS = [
  'source',
  'reference',
  'priority',
  'expiresAt',
  'vehicle',
  'reason',
  'enteredBy',
] as const satisfies readonly (keyof EntryInput)[];
export type EntryField = (typeof ENTRY_FIELDS)[number];

/**
 * Where a staged entry came from: `position` names it to the user (a CSV line, an element's
 * index); `line` is the line of the file it starts on (0: not known, or not a file).
 */
export interface EntryOrigin {
  position: number;
  line: number;
}

/** One entry given twice in one list or delta, with fields that differ: which is meant is a guess. */
export interface EntryConflict {
  /** The later copy (the first stays staged). */
  entry: EntryInput;
  origin: EntryOrigin;
  /** The first copy's position (undefined only if it was staged without one). */
  firstPosition: number | undefined;
  differs: EntryField[];
}

/**
 * "ABC1234 NY (stolen-vehicle) is also at line 2, with another expires and reference; ..." with
 * the places and field names as the format spells them.
 */
export function conflictMessage(
  c: EntryConflict,
  place: (position: number) => string,
  fieldName: (field: EntryField) => string = (f) => f,
): string {
  const fields = c.differs.map(fieldName);
  const which = fields.length > 1 ? `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)}` : fields[0];
  const first = c.firstPosition === undefined ? 'earlier' : `at ${place(c.firstPosition)}`;
  return (
    `${c.entry.plate} ${c.entry.state ?? 'any state'} (${c.entry.listType}) is also given ${first}, ` +
    `with another ${which}; give each entry once (which of the two is meant cannot be told)`
  );
}
