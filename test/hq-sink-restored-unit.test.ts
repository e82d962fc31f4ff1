import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../src/store/database.js';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { openStore, unitConfig, until } from './helpers/unit.js';

// Query-log records and dispositions are numbered per unit database; their message ids are
// `{unit}:{kind}:{install}-{n}`. A unit whose database is restored from a backup keeps its install
// id and numbers its next records again from where the backup stood: the next query-log record got
// the id of one HQ already held. The sink took it for a resend (INSERT OR IGNORE), acknowledged it,
// and the unit marked it held at HQ (its retention may then purge it): an officer's search that HQ
// never had, gone without a trace. HQ now tells a resend from another record under a used id by
// its content, and keeps the other one in `quarantine`, naming why, before acknowledging it.
const fixture = useBrokerAndHqSink('lpr-hq-sink-restored-');

const logQuery = (db: Db, requester: string) =>
  db
    .prepare(
      `INSERT INTO query_log (ts, requester_kind, requester, purpose, case_number, attested, criteria, outcome, result_count)
       VALUES (?, 'user', ?, 'investigation-vehicle', 'C-1', 1, '{}', 'ok', 0)`,
    )
    .run(Date.now(), requester).lastInsertRowid;

/** Open the unit's database, log a search by `requester`, sync until HQ acknowledged everything. */
async function searchAndSync(dataDir: string, requester: string): Promise<void> {
  const unit = openStore(dataDir);
  const config = unitConfig(dataDir, fixture.unitSync());
  const sync = createSyncService({ config, db: unit.db, reads: unit.reads, log: recordingLogger().log });
  try {
    logQuery(unit.db, requester);
    await sync.start();
    await until(() => sync.outbox.depth() === 0, 10_000, `HQ to acknowledge ${requester}'s search`);
  } finally {
    await sync.stop();
    unit.db.close();
  }
}

describe("a unit's database restored from a backup", () => {
  it('has HQ keep a search numbered again after the restore, not take it for a resend', async () => {
    const dataDir = path.join(fixture.dir, 'car-1');
    const dbFile = path.join(dataDir, 'lpr-edge.db');
    await searchAndSync(dataDir, 'officer-a');
    copyFileSync(dbFile, path.join(fixture.dir, 'backup.db')); // closed: nothing left in the WAL
    await searchAndSync(dataDir, 'officer-b');
    // The SD card fails; the technician restores last night's backup.
    rmSync(`${dbFile}-wal`, { force: true });
    rmSync(`${dbFile}-shm`, { force: true });
    copyFileSync(path.join(fixture.dir, 'backup.db'), dbFile);
    await searchAndSync(dataDir, 'officer-c');

    const db = fixture.sink.db;
    const bodies = db
      .prepare("SELECT body FROM records WHERE kind = 'query-log' ORDER BY received_at")
      .pluck();
    const held = (bodies.all() as string[]).map((b) => (JSON.parse(b) as { requester: string }).requester);
    const payloads = db.prepare('SELECT payload FROM quarantine').pluck().all() as Buffer[];
    const kept = payloads.map(
      (b) => (JSON.parse(b.toString()) as { body: { requester: string } }).body.requester,
    );
    expect(held).toEqual(['officer-a', 'officer-b']);
    expect(kept).toEqual(['officer-c']);
    const reasons = db.prepare('SELECT reason FROM quarantine').pluck().all();
    expect(reasons).toEqual([expect.stringMatching(/already holds another record under this id/)]);
  });
});
