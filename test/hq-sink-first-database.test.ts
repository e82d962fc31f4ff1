import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HqSink } from '../src/hq/sink.js';
import { tempDir } from './helpers/tmp.js';

// The first reference sink (2026-11-28) kept pull answers in pull_responses keyed by request id,
// with no pull_response_parts (answers came in parts from 2026-12-02). Moving answers over to the
// (agency, unit, request id) key renamed both tables, and a database without the parts table
// stopped the sink from opening it at all ("no such table: pull_response_parts").
const tmp = tempDir('lpr-hq-sink-first-db-');

describe('an HQ sink database made by the first reference sink', () => {
  it('opens, its records and pull answers kept, each answer under its unit', () => {
    const dbFile = path.join(tmp, 'hq-2026-11-28.db');
    const first = new Database(dbFile);
    first.exec(`
      CREATE TABLE records (
        id TEXT PRIMARY KEY, agency TEXT NOT NULL, unit TEXT NOT NULL, kind TEXT NOT NULL,
        seq INTEGER NOT NULL, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
        body TEXT NOT NULL, crop BLOB
      );
      CREATE INDEX records_unit_kind_seq ON records (unit, kind, seq);
      CREATE TABLE unit_status (
        agency TEXT NOT NULL, unit TEXT NOT NULL, state TEXT NOT NULL, ts INTEGER NOT NULL, payload TEXT NOT NULL,
        PRIMARY KEY (agency, unit)
      );
      CREATE TABLE pull_responses (
        request_id TEXT PRIMARY KEY, agency TEXT NOT NULL, unit TEXT NOT NULL, status TEXT NOT NULL,
        count INTEGER NOT NULL, received_at INTEGER NOT NULL, payload TEXT NOT NULL
      );
      INSERT INTO records VALUES ('car-9:read:r1', 'nyspd', 'car-9', 'read', 1, 900, 950, '{}', NULL);
      INSERT INTO pull_responses VALUES ('req-a', 'nyspd', 'car-9', 'answered', 1, 1000, '{"reads":[{"id":"r1"}]}');
    `);
    first.close();

    const sink = new HqSink({ url: 'mqtt://127.0.0.1:1', dbFile, consume: false });
    try {
      expect(sink.db.prepare('SELECT id, unit, install, overview FROM records').all()).toEqual([
        { id: 'car-9:read:r1', unit: 'car-9', install: null, overview: null },
      ]);
      expect(
        sink.db.prepare('SELECT agency, unit, request_id, count, payload FROM pull_responses').all(),
      ).toEqual([
        { agency: 'nyspd', unit: 'car-9', request_id: 'req-a', count: 1, payload: '{"reads":[{"id":"r1"}]}' },
      ]);
      expect(sink.db.prepare('SELECT COUNT(*) FROM pull_response_parts').pluck().get()).toBe(0);
    } finally {
      sink.db.close();
    }
  });
});
