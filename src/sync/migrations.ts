import type { Migration } from '../store/database.js';

/** Tables owned by sync: the outbox, its per-stream cursors, applied down-link versions, inbound log. */
export const syncMigrations: Migration[] = [
  {
    module: 'sync',
    version: 1,
    description: 'outbox, stream cursors, down-link versions, inbound message log',
    sql: `
      -- One row per record to deliver. Filled from each source table by cursor (in the same
      -- transaction as the cursor moves), so a record committed before a crash is always enqueued.
      CREATE TABLE sync_outbox (
        oseq INTEGER PRIMARY KEY AUTOINCREMENT,   -- enqueue order = commit order within a stream
        msg_id TEXT NOT NULL UNIQUE,              -- {unit}:{kind}:{record id}: stable across retries
        kind TEXT NOT NULL,                       -- read, hit, disposition, audit, query-log
        source_id TEXT NOT NULL,
        source_seq INTEGER NOT NULL,
        priority INTEGER NOT NULL,                -- lower is sent first
        enqueued_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_sent_at INTEGER,
        acked_at INTEGER                          -- set only by an HQ acknowledgement
      );
      CREATE INDEX sync_outbox_pending ON sync_outbox (priority, oseq) WHERE acked_at IS NULL;
      CREATE INDEX sync_outbox_acked ON sync_outbox (acked_at) WHERE acked_at IS NOT NULL;

      CREATE TABLE sync_cursors (
        kind TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL
      );

      -- Versions of signed documents applied from HQ (hotlists by list id, the roster).
      CREATE TABLE sync_versions (
        name TEXT PRIMARY KEY,                    -- 'hotlist:<listId>' or 'roster:<rosterId>'
        version INTEGER NOT NULL,
        issued_at INTEGER NOT NULL,
        applied_at INTEGER NOT NULL
      );

      -- Every inbound message that was not a plain ack: what it was and what became of it.
      CREATE TABLE sync_inbound (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        topic TEXT NOT NULL,
        kind TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'ignored', 'rejected', 'answered', 'refused')),
        reason TEXT
      );
      CREATE INDEX sync_inbound_ts ON sync_inbound (ts);
    `,
  },
  {
    module: 'sync',
    version: 2,
    description: 'install id: message ids of records numbered per database stay unique at HQ',
    // hit_events and query_log number their rows 1, 2, ...: a unit re-imaged under the same unit
    // id would send "car-1:query-log:5" again, and HQ would drop the new record as a duplicate.
    sql: `
      CREATE TABLE sync_install (id INTEGER PRIMARY KEY CHECK (id = 1), uid TEXT NOT NULL);
      INSERT INTO sync_install (id, uid) VALUES (1, lower(hex(randomblob(8))));
    `,
  },
  {
    module: 'sync',
    version: 3,
    description: 'pull requests answered, so a repeated request gets the same answer, not a new query',
    sql: `
      -- One row per pull request answered while it is valid (a day): HQ that lost the answer
      -- sends the same request id again and gets the first answer's reads again.
      CREATE TABLE sync_pulls (
        request_id TEXT PRIMARY KEY,
        digest TEXT NOT NULL,                     -- sha256 of the request but issuedAt: an id reused for another request is refused
        issued_at INTEGER NOT NULL,               -- the latest issuedAt seen; rows past validity are pruned
        answered_at INTEGER NOT NULL,             -- last answer sent (repeats are rate-limited)
        repeats INTEGER NOT NULL DEFAULT 0,
        status TEXT,                              -- 'answered' or 'refused'; NULL while the first answer is made
        reason TEXT,
        truncated INTEGER NOT NULL DEFAULT 0,
        read_ids TEXT NOT NULL DEFAULT '[]',      -- JSON: the reads of the first answer, in order
        query_seq INTEGER                         -- audit seq of the first answer's query record
      );
      CREATE INDEX sync_pulls_issued ON sync_pulls (issued_at);
    `,
  },
  {
    module: 'sync',
    version: 4,
    description: 'parked records: too large for the broker even without images, kept but not sent',
    sql: `
      -- Set when a record cannot fit the broker's maximum packet size even without its images:
      -- sending it would only get the connection dropped again and again. It stays unacknowledged
      -- (never purged); each start clears the mark, so a raised limit sends it.
      ALTER TABLE sync_outbox ADD COLUMN parked_at INTEGER;
      ALTER TABLE sync_outbox ADD COLUMN parked_reason TEXT;
      CREATE INDEX sync_outbox_parked ON sync_outbox (oseq) WHERE parked_at IS NOT NULL AND acked_at IS NULL;
    `,
  },
  {
    module: 'sync',
    version: 5,
    description: 'hits and hit events HQ acknowledged before they had acked_at',
    // The alerts module's migration 4 gave hits and hit_events an acked_at; the acks HQ sent
    // before it are still in the outbox (unless pruned): a hit retention may purge must be known
    // to be at HQ.
    sql: `
      UPDATE hits SET acked_at = (
        SELECT MAX(o.acked_at) FROM sync_outbox o WHERE o.kind = 'hit' AND o.source_id = hits.id
      ) WHERE acked_at IS NULL;
      UPDATE hit_events SET acked_at = (
        SELECT MAX(o.acked_at) FROM sync_outbox o
        WHERE o.kind = 'disposition' AND o.source_id = CAST(hit_events.id AS TEXT)
      ) WHERE acked_at IS NULL;
    `,
  },
  {
    module: 'sync',
    version: 6,
    description: 'reads sent without their overview frame: their ack does not put the overview at HQ',
    // With sync.sendOverview, an ack marks the read's overview as held at HQ (reads.overview_at_hq),
    // and retention may then delete the unit's copy before the year VI.B keeps one HQ never got. A
    // copy sent without it (too large for the broker) must not count: set once, never cleared, as HQ
    // keeps the first copy it stores and the ack does not say which copy that was.
    sql: `ALTER TABLE sync_outbox ADD COLUMN overview_left_out INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    module: 'sync',
    version: 7,
    description: 'reads sent without their plate crop: their ack does not put the crop at HQ',
    // As overview_left_out, for the crop (left out when the read is too large for the broker even
    // without its overview): retention keeps a crop HQ never received the year VI.B asks.
    sql: `ALTER TABLE sync_outbox ADD COLUMN crop_left_out INTEGER NOT NULL DEFAULT 0;`,
  },
];
