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

policyMigrations.push({
  module: 'policy',
  version: 4,
  description: "the audit chain's ack, head and base change only as sync, append and purge change them",
  // Policy VI.F. Without these, plain SQL (no trigger dropped) could cut records off the chain:
  // set acked_at on an unacknowledged record so that it may be deleted, delete it, and move the
  // head (or the base, for the start of the chain) to match, and `audit verify` found nothing.
  // Root can still drop triggers; the hash chain and HQ's copy of it are the defence then.
  sql: `
    -- HQ's acknowledgement is given once: never taken back (the delete trigger keys on it) nor moved.
    CREATE TRIGGER audit_log_ack_once BEFORE UPDATE OF acked_at ON audit_log
      WHEN OLD.acked_at IS NOT NULL OR NEW.acked_at IS NULL
      BEGIN SELECT RAISE(ABORT, 'audit_log.acked_at is set once, by HQ''s acknowledgement'); END;
    -- Records are appended right after the head, and deleted only at or below the chain base
    -- (purgeAcknowledged records the base first), so never the newest. (An unacknowledged one is
    -- refused by audit_log_no_unacked_delete, with its own message.)
    CREATE TRIGGER audit_log_append_at_head BEFORE INSERT ON audit_log
      WHEN NEW.seq <> COALESCE((SELECT seq FROM audit_head WHERE id = 1), 0) + 1
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: a record goes right after the chain head'); END;
    CREATE TRIGGER audit_log_delete_below_base BEFORE DELETE ON audit_log
      WHEN OLD.acked_at IS NOT NULL AND OLD.seq > COALESCE((SELECT json_extract(value, '$.seq') FROM policy_state WHERE key = 'audit.base'), 0)
      BEGIN SELECT RAISE(ABORT, 'audit record above the chain base: only an acknowledged prefix is purged'); END;
    -- The head only moves forward, to the newest record and its hash.
    CREATE TRIGGER audit_head_insert BEFORE INSERT ON audit_head
      WHEN NEW.seq IS NOT (SELECT MAX(seq) FROM audit_log)
        OR NEW.hash IS NOT (SELECT hash FROM audit_log WHERE seq = NEW.seq)
        OR NEW.seq <= COALESCE((SELECT seq FROM audit_head WHERE id = 1), 0)
      BEGIN SELECT RAISE(ABORT, 'audit_head only advances to the newest record'); END;
    CREATE TRIGGER audit_head_update BEFORE UPDATE ON audit_head
      WHEN NEW.id <> OLD.id OR NEW.seq <= OLD.seq
        OR NEW.seq IS NOT (SELECT MAX(seq) FROM audit_log)
        OR NEW.hash IS NOT (SELECT hash FROM audit_log WHERE seq = NEW.seq)
      BEGIN SELECT RAISE(ABORT, 'audit_head only advances to the newest record'); END;
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
      BEGIN SELECT RAISE(ABORT, 'audit_head only advances to the newest record'); END;
    -- The base (where the chain starts after a purge) only advances, to a record still there
    -- with that hash, below the head, with every record up to it acknowledged by HQ. (IS NOT 1:
    -- a condition that comes out NULL refuses too.)
    CREATE TRIGGER audit_base_insert BEFORE INSERT ON policy_state
      WHEN NEW.key = 'audit.base' AND (
        json_valid(NEW.value)
        AND EXISTS (SELECT 1 FROM audit_log WHERE seq = json_extract(NEW.value, '$.seq')
                      AND hash = json_extract(NEW.value, '$.hash'))
        AND json_extract(NEW.value, '$.seq') < (SELECT seq FROM audit_head WHERE id = 1)
        AND NOT EXISTS (SELECT 1 FROM audit_log WHERE seq <= json_extract(NEW.value, '$.seq') AND acked_at IS NULL)
        AND json_extract(NEW.value, '$.seq') >
          COALESCE((SELECT json_extract(value, '$.seq') FROM policy_state WHERE key = 'audit.base'), 0)) IS NOT 1
      BEGIN SELECT RAISE(ABORT, 'audit.base only advances over acknowledged records still in the chain'); END;
    CREATE TRIGGER audit_base_update BEFORE UPDATE ON policy_state
      WHEN (OLD.key = 'audit.base' OR NEW.key = 'audit.base') AND (
        OLD.key = NEW.key
        AND json_valid(NEW.value)
        AND EXISTS (SELECT 1 FROM audit_log WHERE seq = json_extract(NEW.value, '$.seq')
                      AND hash = json_extract(NEW.value, '$.hash'))
        AND json_extract(NEW.value, '$.seq') < (SELECT seq FROM audit_head WHERE id = 1)
        AND NOT EXISTS (SELECT 1 FROM audit_log WHERE seq <= json_extract(NEW.value, '$.seq') AND acked_at IS NULL)
        AND json_extract(NEW.value, '$.seq') > COALESCE(json_extract(OLD.value, '$.seq'), 0)) IS NOT 1
      BEGIN SELECT RAISE(ABORT, 'audit.base only advances over acknowledged records still in the chain'); END;
    CREATE TRIGGER audit_base_no_delete BEFORE DELETE ON policy_state WHEN OLD.key = 'audit.base'
      BEGIN SELECT RAISE(ABORT, 'audit.base only advances over acknowledged records still in the chain'); END;
  `,
});

policyMigrations.push({
  module: 'policy',
  version: 5,
  description: 'query_log.hit_ids: which hits an export released',
  // An export of a case's held hits released hits, not only reads (III.B, IV.D): its row said
  // "0 reads" and nothing else. Searches return reads only, so theirs stays '[]'.
  sql: `ALTER TABLE query_log ADD COLUMN hit_ids TEXT NOT NULL DEFAULT '[]';`,
});

policyMigrations.push({
  module: 'policy',
  version: 6,
  description: 'reads.overview_at_hq: whether HQ received the overview frame it acknowledged',
  // With sync.sendOverview false (the default) HQ acknowledges a read without its overview, so the
  // unit holds the only copy; retention keeps it the year VI.B asks. Reads acknowledged before
  // this column are not known to have had theirs sent: 0, kept the year.
  sql: `ALTER TABLE reads ADD COLUMN overview_at_hq INTEGER NOT NULL DEFAULT 0;`,
});

policyMigrations.push({
  module: 'policy',
  version: 7,
  description: 'reads.crop_at_hq: whether HQ received the plate crop it acknowledged',
  // A read too large for the broker is sent without its crop (sync's imagesLeftOut) and HQ
  // acknowledges it all the same: the unit then holds the only copy, which retention keeps the
  // year VI.B asks, as an overview HQ never received. Reads acknowledged before this column are
  // not known to have had theirs sent: 0, kept the year (the safe side; crops are small).
  sql: `ALTER TABLE reads ADD COLUMN crop_at_hq INTEGER NOT NULL DEFAULT 0;`,
});
