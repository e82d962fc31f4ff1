import { EARLIEST_GPS_TIME } from '../gps/clock-check.js';
import type { Migration } from './database.js';

/** Tables owned by the store itself: reads and their images. */
export const storeMigrations: Migration[] = [
  {
    module: 'store',
    version: 1,
    description: 'reads',
    sql: `
      CREATE TABLE reads (
        id TEXT PRIMARY KEY,              -- stable id (UUID), also the sync message id
        seq INTEGER NOT NULL UNIQUE,      -- commit order on this unit
        unit_id TEXT NOT NULL,
        camera_id TEXT NOT NULL,
        ts INTEGER NOT NULL,              -- UTC ms of the best observation
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        plate TEXT NOT NULL,
        state TEXT,
        state_confidence REAL,
        confidence REAL NOT NULL,
        char_confidences TEXT NOT NULL,   -- JSON number[]
        candidates TEXT NOT NULL,         -- JSON [{plate, confidence}]
        frames INTEGER NOT NULL,
        box TEXT NOT NULL,                -- JSON [x, y, w, h] in the best frame
        crop_path TEXT,                   -- relative to the data dir
        overview_path TEXT,
        crop_bytes INTEGER NOT NULL DEFAULT 0,
        overview_bytes INTEGER NOT NULL DEFAULT 0,
        lat REAL,
        lon REAL,
        gps_fix_age_ms INTEGER,
        gps TEXT,                         -- JSON of the fix (speed, heading, hdop, ...) or NULL
        flags TEXT NOT NULL DEFAULT '[]'  -- JSON string[] e.g. "no-gps-fix"
      );
      CREATE INDEX reads_ts ON reads (ts);
      CREATE INDEX reads_plate ON reads (plate);
    `,
  },
  {
    module: 'store',
    version: 2,
    description: 'read sequence that never goes back',
    // seq was MAX(seq) + 1, so purging the newest reads (retention) handed their numbers out
    // again, below the sync cursor: those reads were never sent. The last number given is kept.
    sql: `
      CREATE TABLE read_seq (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
      INSERT INTO read_seq (id, last) SELECT 1, COALESCE(MAX(seq), 0) FROM reads;
      CREATE TRIGGER reads_seq_advance AFTER INSERT ON reads
      BEGIN
        UPDATE read_seq SET last = NEW.seq WHERE id = 1 AND NEW.seq > last;
      END;
    `,
  },
  {
    module: 'store',
    version: 3,
    description: 'when the unit stored each read',
    // A read's ts is when it was captured, by whatever clock stamped it (a wrong one, a replayed
    // recording's); retention must also know how long the unit has kept it. NULL: stored while the
    // unit's clock was not believable; retention dates it. Reads stored before this column are
    // taken as stored when captured, unless that time is not believable either.
    sql: `
      ALTER TABLE reads ADD COLUMN stored_at INTEGER;
      UPDATE reads SET stored_at = ts WHERE ts >= ${EARLIEST_GPS_TIME};
      CREATE INDEX reads_stored_at ON reads (stored_at);
    `,
  },
];
