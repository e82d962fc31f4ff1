import type { Migration } from '../store/database.js';

/** Tables owned by the policy module: audit chain, users, sessions, query log, holds, retention. */
export const policyMigrations: Migration[] = [
  {
    module: 'policy',
    version: 1,
    description: 'audit chain, users, training, sessions, query log, legal holds, exclusion counts',
    sql: `
      -- HQ acknowledgement of a read: retention may only purge reads that carry it (policy VI.B).
      ALTER TABLE reads ADD COLUMN acked_at INTEGER;

      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,          -- position in the chain, 1..n without gaps
        id TEXT NOT NULL UNIQUE,          -- UUID, also the sync message id
        ts INTEGER NOT NULL,              -- UTC ms
        type TEXT NOT NULL,               -- 'signin.success', 'query', 'export', ...
        actor TEXT,                       -- user name, 'hq:<requester>', or NULL for the unit itself
        details TEXT NOT NULL,            -- canonical JSON
        prev_hash TEXT NOT NULL,          -- hash of record seq-1 (64 zeros for the first)
        hash TEXT NOT NULL,               -- SHA-256 over the canonical JSON of the fields above
        acked_at INTEGER                  -- when HQ acknowledged it; not part of the hash
      );
      CREATE INDEX audit_log_type_ts ON audit_log (type, ts);
      -- The head is kept apart from the rows so that cutting records off the end of the chain is
      -- also detected (the last row would no longer match the head).
      CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
      );
      -- Append-only in the database itself: rows cannot be changed except for the ack column, and
      -- cannot be deleted before HQ has acknowledged them. (Root can drop triggers; the hash chain
      -- is what proves tampering then.)
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF seq, id, ts, type, actor, details, prev_hash, hash
        ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_unacked_delete BEFORE DELETE ON audit_log WHEN OLD.acked_at IS NULL
        BEGIN SELECT RAISE(ABORT, 'audit record not acknowledged by HQ'); END;

      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('officer', 'technician', 'admin', 'auditor')),
        password_hash TEXT,               -- scrypt$log2N$r$p$salt$hash; NULL = cannot sign in
        disabled INTEGER NOT NULL DEFAULT 0,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        source TEXT NOT NULL DEFAULT 'local',   -- 'local' or 'hq:<roster id>'
        created_at INTEGER NOT NULL,
        created_by TEXT,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE training (
        id INTEGER PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users (name),
        kind TEXT NOT NULL CHECK (kind IN ('initial', 'in-service')),
        date TEXT NOT NULL,               -- YYYY-MM-DD
        recorded_by TEXT,
        recorded_at INTEGER NOT NULL
      );
      CREATE INDEX training_user ON training (user_name);
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,      -- SHA-256 of the token; the token itself is never stored
        user_name TEXT NOT NULL REFERENCES users (name),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );

      CREATE TABLE query_log (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        requester_kind TEXT NOT NULL,     -- 'user' or 'hq'
        requester TEXT,
        purpose TEXT,
        case_number TEXT,
        attested INTEGER NOT NULL,
        criteria TEXT NOT NULL,           -- JSON
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
        refusal TEXT,
        result_count INTEGER NOT NULL,
        audit_seq INTEGER
      );
      CREATE INDEX query_log_ts ON query_log (ts);

      CREATE TABLE legal_holds (
        id INTEGER PRIMARY KEY,
        target_kind TEXT NOT NULL CHECK (target_kind IN ('read', 'hit')),
        target_id TEXT NOT NULL,
        case_number TEXT NOT NULL,
        reason TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        released_by TEXT,
        released_at INTEGER
      );
      CREATE INDEX legal_holds_target ON legal_holds (target_kind, target_id);

      -- How many reads each exclusion zone dropped or masked: the count is kept, the plate is not.
      CREATE TABLE exclusion_counts (
        zone_id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('drop', 'mask')),
        count INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (zone_id, action)
      );

      -- Small policy state: the approved retention window, the last seen exclusion zones, ...
      CREATE TABLE policy_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,              -- JSON
        updated_by TEXT,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];

policyMigrations.push({
  module: 'policy',
  version: 2,
  description: 'query_log.result_ids: which reads each query returned (export of a case, audits)',
  sql: `ALTER TABLE query_log ADD COLUMN result_ids TEXT NOT NULL DEFAULT '[]';`,
});

policyMigrations.push({
  module: 'policy',
  version: 3,
  description: 'query_log is append-only',
  // The query log is evidence of use (policy III.B, VI.F): rows are never changed or deleted.
  // Root can drop these triggers; `audit verify` then finds the rows that no longer match the
  // query records in the hash chain.
  sql: `
    CREATE TRIGGER query_log_no_update BEFORE UPDATE ON query_log
      BEGIN SELECT RAISE(ABORT, 'query_log is append-only'); END;
    CREATE TRIGGER query_log_no_delete BEFORE DELETE ON query_log
      BEGIN SELECT RAISE(ABORT, 'query_log is append-only'); END;
  `,
});
