import type { Migration } from '../store/database.js';

/**
 * Lists, their versions and entries. Entries belong to a version; a list points at its active
 * version, so replacing a list is one pointer flip in one transaction (readers in WAL mode see the
 * old or the new version, never a mix).
 */
export const hotlistMigrations: Migration[] = [
  {
    module: 'hotlist',
    version: 1,
    description: 'hotlists, versions, entries',
    sql: `
      CREATE TABLE hotlists (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,                 -- a list type code, or "mixed"
        active_version_id INTEGER,          -- NULL until the first import completes
        created_at INTEGER NOT NULL
      );
      CREATE TABLE hotlist_versions (
        id INTEGER PRIMARY KEY,
        list_id TEXT NOT NULL REFERENCES hotlists(id),
        version TEXT NOT NULL,              -- label from the file, or generated
        generated_at INTEGER NOT NULL,      -- when HQ produced it (UTC ms): the list's age counts from here
        received_at INTEGER NOT NULL,
        entry_count INTEGER NOT NULL DEFAULT 0,
        source TEXT,
        status TEXT NOT NULL,               -- staging | active | retired
        imported_by TEXT NOT NULL
      );
      CREATE TABLE hotlist_entries (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL,
        plate TEXT NOT NULL,                -- normalised A-Z0-9
        ekey TEXT NOT NULL,                 -- plate with each character replaced by its equivalence class
        rkey TEXT NOT NULL,                 -- ekey reversed: suffix scans for one-difference matching
        ends TEXT NOT NULL,                 -- first two + last two characters of ekey (one difference in the middle)
        state TEXT NOT NULL,                -- USPS code, '' = any state
        list_type TEXT NOT NULL,
        source TEXT,
        reference TEXT,
        priority INTEGER NOT NULL,
        expires_at INTEGER,
        vehicle TEXT,
        reason TEXT,
        entered_by TEXT
      );
      -- One index serves key lookups (its prefix) and keeps entries unique per version (the plate
      -- decides the key, so this is plate+state+type per version); fewer indexes, faster imports.
      CREATE UNIQUE INDEX hotlist_entries_key ON hotlist_entries (ekey, plate, state, list_type, version_id);
      CREATE INDEX hotlist_entries_rkey ON hotlist_entries (rkey);
      CREATE INDEX hotlist_entries_ends ON hotlist_entries (ends);
    `,
  },
  {
    module: 'hotlist',
    version: 2,
    description: 'drop the "ends" key and index (N-difference search uses the key and reversed key only)',
    // One index fewer to maintain makes imports faster (2,000,000 rows: 45 s of CPU instead of
    // 58 s); one difference is found with the key and reversed-key indexes alone (a prefix scan,
    // a suffix scan, and exact probes of the keys with one edit in the middle).
    sql: `
      DROP INDEX hotlist_entries_ends;
      ALTER TABLE hotlist_entries DROP COLUMN ends;
    `,
  },
  {
    module: 'hotlist',
    version: 3,
    description: 'the look-alike classes the entries are keyed by',
    // Entries are found by a key made with hotlists.equivalence: when the config's classes change,
    // the keys are made again (HotlistStore.ensureKeys), or a plate read exactly as listed would
    // no longer find its entry. No row: keyed by classes not recorded (before this migration).
    sql: `
      CREATE TABLE hotlist_keying (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        classes TEXT NOT NULL               -- each of A-Z0-9 as the equivalence keys it
      );
    `,
  },
];
