import type { Migration } from '../store/database.js';

/** Hits and every transition of their lifecycle. */
export const alertMigrations: Migration[] = [
  {
    module: 'alerts',
    version: 1,
    description: 'hits and hit events',
    sql: `
      CREATE TABLE hits (
        id TEXT PRIMARY KEY,                -- UUID, also the sync message id
        seq INTEGER NOT NULL UNIQUE,
        read_id TEXT NOT NULL REFERENCES reads(id),
        entry_id INTEGER NOT NULL,          -- hotlist_entries.id at the time (entries go when a list is replaced)
        entry_key TEXT NOT NULL,            -- list|plate|state|type: the entry across list versions (duplicates)
        entry TEXT NOT NULL,                -- JSON snapshot of the entry
        list_id TEXT NOT NULL,
        list_version TEXT NOT NULL,         -- IV.C.1: which version produced the hit
        list_generated_at INTEGER NOT NULL,
        list_type TEXT NOT NULL,
        priority INTEGER NOT NULL,
        read_plate TEXT NOT NULL,
        read_state TEXT,
        matched_text TEXT NOT NULL,         -- the reading (best or a candidate) that matched
        via TEXT NOT NULL,                  -- best | candidate
        rule TEXT NOT NULL,                 -- exact | equivalent | differences
        differences TEXT NOT NULL,          -- JSON [{position, read, entry, kind}]
        state_not_read INTEGER NOT NULL,
        retroactive INTEGER NOT NULL,
        duplicate_of TEXT,                  -- set when suppressed as a duplicate (recorded, not alerted)
        status TEXT NOT NULL,               -- raised | seen | verified | rejected | expired | suppressed
        raised_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        seen_at INTEGER, seen_by TEXT,
        plate_confirmed_at INTEGER, plate_confirmed_by TEXT,
        state_confirmed_at INTEGER, state_confirmed_by TEXT,
        decided_at INTEGER, decided_by TEXT,
        reject_reason TEXT, reject_text TEXT
      );
      CREATE INDEX hits_status ON hits (status);
      CREATE INDEX hits_dup ON hits (entry_key, raised_at);
      CREATE INDEX hits_read ON hits (read_id);
      CREATE TABLE hit_events (
        id INTEGER PRIMARY KEY,
        hit_id TEXT NOT NULL REFERENCES hits(id),
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,               -- raised | seen | confirm-plate | confirm-state | verified | rejected | expired | suppressed
        from_status TEXT,
        to_status TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX hit_events_hit ON hit_events (hit_id);
    `,
  },
  {
    module: 'alerts',
    version: 2,
    description: 'an expired hit waits on the console until an officer acknowledges it',
    // hit_events gains the action "expiry-acknowledged" (expired → expired).
    sql: `
      ALTER TABLE hits ADD COLUMN expiry_acked_at INTEGER;
      ALTER TABLE hits ADD COLUMN expiry_acked_by TEXT;
      -- Hits that expired before this version were never announced on the console and are
      -- already at HQ as expired: they are not put before the officer of today as new.
      UPDATE hits SET expiry_acked_at = decided_at, expiry_acked_by = 'system' WHERE status = 'expired';
    `,
  },
  {
    module: 'alerts',
    version: 3,
    description:
      "each officer's own confirmations; hits withdrawn with their entry or superseded by a newer sighting",
    // Statuses gain "withdrawn" (its entry left the list or expired while it was open: no stop) and
    // "superseded" (a newer sighting of the same car took its place on the console); hit_events
    // gains the actions of the same names.
    sql: `
      ALTER TABLE hits ADD COLUMN withdrawn_reason TEXT;
      ALTER TABLE hits ADD COLUMN superseded_by TEXT;
      -- One row per officer and confirmation: a partner confirming too no longer overwrites whose
      -- confirmation it was (plate_confirmed_by/state_confirmed_by keep only the latest).
      CREATE TABLE hit_confirmations (
        hit_id TEXT NOT NULL REFERENCES hits(id),
        officer TEXT NOT NULL,
        what TEXT NOT NULL,                 -- plate | state
        at INTEGER NOT NULL,
        PRIMARY KEY (hit_id, officer, what)
      );
      -- Every confirmation given before this version is in hit_events, with its officer.
      INSERT INTO hit_confirmations (hit_id, officer, what, at)
        SELECT hit_id, actor, substr(action, 9), MAX(ts) FROM hit_events
        WHERE action IN ('confirm-plate', 'confirm-state') GROUP BY hit_id, actor, action;
    `,
  },
  {
    module: 'alerts',
    version: 4,
    description: "HQ's acknowledgement of hits and their events; hit and event numbers that never go back",
    // Retention may purge a closed hit once HQ holds it and every event of it (policy VI.B, VI.D):
    // sync sets acked_at on a signed ack, as for reads. Purging the newest hits or events would
    // hand their numbers out again (MAX + 1, or SQLite's rowid), below the sync cursor: those
    // records would never be sent. The last numbers given are kept, as read_seq does for reads.
    sql: `
      ALTER TABLE hits ADD COLUMN acked_at INTEGER;
      ALTER TABLE hit_events ADD COLUMN acked_at INTEGER;
      CREATE TABLE hit_seq (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        hits_last INTEGER NOT NULL,
        events_last INTEGER NOT NULL
      );
      INSERT INTO hit_seq (id, hits_last, events_last)
        SELECT 1, (SELECT COALESCE(MAX(seq), 0) FROM hits), (SELECT COALESCE(MAX(id), 0) FROM hit_events);
      CREATE TRIGGER hits_seq_advance AFTER INSERT ON hits
      BEGIN
        UPDATE hit_seq SET hits_last = NEW.seq WHERE id = 1 AND NEW.seq > hits_last;
      END;
      CREATE TRIGGER hit_events_seq_advance AFTER INSERT ON hit_events
      BEGIN
        UPDATE hit_seq SET events_last = NEW.id WHERE id = 1 AND NEW.id > events_last;
      END;
    `,
  },
];
