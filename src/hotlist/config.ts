import { z } from 'zod';
import { LIST_TYPES } from './types.js';

const listType = z.enum(LIST_TYPES);

/** The fields of a hotlist row, as CSV headers and column mappings name them. */
export const ROW_FIELDS = [
  'plate',
  'state',
  'list_type',
  'source',
  'reference',
  'priority',
  'expires',
  'vehicle',
  'reason',
  'entered_by',
  'action',
] as const;
export type RowField = (typeof ROW_FIELDS)[number];

const fieldName = z.enum(ROW_FIELDS);

/**
 * How to read a delimited extract as an agency receives it: its delimiter, which column holds each
 * field (a header name, or a 1-based column number when the file has no header), and how its
 * list-type codes map to ours.
 */
export const mappingSchema = z.strictObject({
  delimiter: z.string().length(1, 'one character, e.g. "," or "|" or "\t"').default(','),
  header: z.boolean().default(true),
  columns: z.partialRecord(fieldName, z.union([z.string().min(1), z.number().int().min(1)])).default({}),
  listTypeValues: z.record(z.string(), z.enum(LIST_TYPES)).default({}),
});
export type ColumnMapping = z.infer<typeof mappingSchema>;

/** `hotlists:` in the unit's config. */
export const hotlistsSchema = z.strictObject({
  /** A list older than this (since generated at HQ) warns the officer and is audited (IV.C.1). */
  maxAgeHours: z
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  /** Characters an OCR reader confuses; each string is one class, its first character the representative. */
  equivalence: z
    .array(z.string().regex(/^[A-Z0-9]{2,}$/, 'each class is two or more of A–Z, 0–9, e.g. "0ODQ"'))
    .default(['0ODQ', '1I', '2Z', '5S', '8B', '6G'])
    .superRefine((classes, ctx) => {
      // A character belongs to one class (its key); one given in a later class too would be taken
      // out of the earlier one without a word ("0ODQ", "Q9": Q no longer looks like 0).
      const seen = new Map<string, string>();
      for (const cls of classes)
        for (const c of new Set(cls)) {
          const first = seen.get(c);
          if (first === undefined) seen.set(c, cls);
          else
            ctx.addIssue({
              code: 'custom',
              message: `"${c}" is in "${first}" and in "${cls}"; a character is in one class only: merge them ("${first}${[...cls].filter((x) => !first.includes(x)).join('')}") or take it out of one`,
            });
        }
    }),
  /** Named column mappings for `hotlist import --mapping NAME`. */
  mappings: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), mappingSchema).default({}),
  /**
   * Character differences (insert, delete or substitute, on top of look-alikes) tolerated per list
   * type, 0–3 (0 = exact or equivalent only). A reading of L characters never gets more than
   * floor((L - 2) / 2): none for 3 characters, 1 for 4–5, 2 for 6–7, 3 for 8 or more.
   */
  maxDifferences: z.partialRecord(listType, z.number().int().min(0).max(3)).default({}),
  /** For list types not named in maxDifferences (0–3). */
  defaultMaxDifferences: z.number().int().min(0).max(3).default(1),
  /** Lists with more entries than this match exactly/equivalently only (the largest national extracts). */
  exactOnlyAbove: z.number().int().positive().default(5_000_000),
  /** How many of the read's top candidates (besides the best reading) are checked too. */
  candidates: z.number().int().min(0).max(10).default(3),
  /** The same plate hitting the same entry within this window is recorded but does not alert again. */
  duplicateWindowMinutes: z.number().positive().default(10),
  /** A hit nobody verifies or rejects within this time becomes "expired". */
  hitExpiryMinutes: z.number().positive().default(15),
  /**
   * A hit an officer is working is not taken from under them: after each act on it (shown on a
   * console, a confirmation) it stays open at least this long, though never past twice
   * hitExpiryMinutes from when it was raised. Enough to finish checking the crop and press Verify.
   */
  hitGraceMinutes: z.number().positive().default(2),
  /** When a list arrives, reads of this window are re-checked and hits raised as retroactive. */
  recheckWindowMinutes: z.number().min(0).default(60),
  /** Reasons offered on the console for rejecting a hit ("other" always asks for text). */
  rejectionReasons: z
    .array(z.string().min(1).max(60))
    .min(1)
    .default(['misread', 'wrong state', 'plate not visible', 'vehicle does not match', 'duplicate', 'other']),
});
export type HotlistsConfig = z.infer<typeof hotlistsSchema>;

/** `console:` in the unit's config: the officer console web app. */
export const consoleSchema = z.strictObject({
  /** Loopback by default: the in-car computer's browser runs on the same machine. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8088),
  /** Reads shown in the console's feed: the latest made since the daemon started (none from the store). */
  feedSize: z.number().int().min(1).max(200).default(20),
});
export type ConsoleConfig = z.infer<typeof consoleSchema>;

export const defaultHotlistsConfig = (): HotlistsConfig => hotlistsSchema.parse({});
export const defaultConsoleConfig = (): ConsoleConfig => consoleSchema.parse({});
