import type { Migration } from '../store/database.js';

/** Tables owned by the field-test tooling: which recordings were replayed into this data folder. */
export const fieldtestMigrations: Migration[] = [
  {
    module: 'fieldtest',
    version: 1,
    description: 'recordings replayed',
    // Without --gps a replay's reads carry the time of the replay, so nothing in the reads tells
    // an earlier replay of a recording: this does. No plate or place, only what the refusal names.
    sql: `
      CREATE TABLE replays (
        id INTEGER PRIMARY KEY,
        recording TEXT NOT NULL,          -- content fingerprint (recordingFingerprint)
        name TEXT NOT NULL,               -- the file's name when replayed
        camera_id TEXT NOT NULL,
        replayed_at INTEGER NOT NULL,     -- UTC ms, by the unit's clock
        reads INTEGER NOT NULL            -- reads it stored so far
      );
      CREATE INDEX replays_recording ON replays (recording);
    `,
  },
];
