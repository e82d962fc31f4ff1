import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HqSink } from '../src/hq/sink.js';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// With sync.sendOverview the unit sends each read's overview frame, and once HQ acknowledges the
// read it marks the overview as held at HQ (reads.overview_at_hq), so retention may purge the
// unit's copy before the year policy VI.B keeps an overview HQ never got. So (1) HQ must store the
// overview it acknowledges, and (2) the unit must not take an ack for a read sent without its
// overview (left out to fit the broker's packet size) as HQ holding it.
const fixture = useBrokerAndHqSink('lpr-sync-overview-');
const { dir: tmp } = fixture;

function unitSetup(unitId: string, sync: Record<string, unknown>) {
  const dataDir = path.join(tmp, unitId);
  const store = openStore(dataDir);
  const config = unitConfig(
    dataDir,
    fixture.unitSync({
      ackTimeoutMs: 2000,
      sendOverview: true,
      ...sync,
    }),
    unitId,
  );
  return { ...store, config };
}

const overviewAtUnit = (db: ReturnType<typeof openStore>['db'], id: string) =>
  db.prepare('SELECT acked_at, overview_at_hq FROM reads WHERE id = ?').get(id) as {
    acked_at: number | null;
    overview_at_hq: number;
  };

describe('overview frames sent to HQ (sync.sendOverview)', () => {
  for (const imageEncoding of ['base64', 'binary'] as const) {
    it(`${imageEncoding}: the reference sink keeps the overview it acknowledges, byte for byte`, async () => {
      const unitId = `car-ov-${imageEncoding}`;
      const { db, reads, config } = unitSetup(unitId, { imageEncoding });
      const crop = randomBytes(1_500);
      const overview = randomBytes(6_000);
      const read = reads.save(makeRead(1, unitId), { crop, overview });
      const sync = createSyncService({ config, db, reads, log: recordingLogger().log });
      try {
        await sync.start();
        await until(
          () => overviewAtUnit(db, read.id).acked_at !== null,
          20_000,
          'HQ to acknowledge the read',
        );
      } finally {
        await sync.stop();
      }
      // The unit now counts the overview as held at HQ: HQ must hold it.
      expect(overviewAtUnit(db, read.id).overview_at_hq).toBe(1);
      const row = fixture.sink.db
        .prepare('SELECT * FROM records WHERE id = ?')
        .get(`${unitId}:read:${read.id}`) as Record<string, unknown>;
      expect(row).toBeDefined();
      expect(Buffer.compare(row.crop as Buffer, crop)).toBe(0);
      expect(Buffer.isBuffer(row.overview), 'records.overview at HQ').toBe(true);
      expect(Buffer.compare(row.overview as Buffer, overview)).toBe(0);
      db.close();
    });
  }

  it('a sink database made before records kept overviews gets the column', () => {
    const file = path.join(tmp, 'old-hq.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE records (id TEXT PRIMARY KEY, agency TEXT NOT NULL, unit TEXT NOT NULL,
      kind TEXT NOT NULL, seq INTEGER NOT NULL, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
      body TEXT NOT NULL, crop BLOB)`);
    old.close();
    const reopened = new HqSink({ url: fixture.broker.url, dbFile: file, consume: false });
    const columns = reopened.db.prepare('PRAGMA table_info(records)').all() as { name: string }[];
    reopened.db.close();
    expect(columns.map((c) => c.name)).toContain('overview');
  });

  it('a read sent without its overview (too large for maxMessageBytes) keeps overview_at_hq = 0 after its ack', async () => {
    const unitId = 'car-ov-left-out';
    const { db, reads, config } = unitSetup(unitId, { maxMessageBytes: 8192 });
    const fits = reads.save(makeRead(1, unitId), { crop: randomBytes(1_000), overview: randomBytes(2_000) });
    const tooBig = reads.save(makeRead(2, unitId), {
      crop: randomBytes(1_000),
      overview: randomBytes(20_000),
    });
    const sync = createSyncService({ config, db, reads, log: recordingLogger().log });
    try {
      await sync.start();
      await until(
        () =>
          overviewAtUnit(db, fits.id).acked_at !== null && overviewAtUnit(db, tooBig.id).acked_at !== null,
        20_000,
        'HQ to acknowledge both reads',
      );
    } finally {
      await sync.stop();
    }
    const atHq = fixture.sink.db
      .prepare('SELECT body FROM records WHERE id = ?')
      .pluck()
      .get(`${unitId}:read:${tooBig.id}`) as string;
    expect(JSON.parse(atHq)).toMatchObject({ imagesLeftOut: [{ image: 'overview' }] });
    // HQ never got that overview: the unit's copy is the only one, kept the year VI.B asks.
    expect(overviewAtUnit(db, tooBig.id).overview_at_hq).toBe(0);
    expect(overviewAtUnit(db, fits.id).overview_at_hq).toBe(1);
    db.close();
  });
});
