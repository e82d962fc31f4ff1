import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SinkProcess } from '../src/hq/sink-process.js';
import { AuditLog, GENESIS_HASH } from '../src/policy/audit.js';
import { ReadQueries } from '../src/policy/query.js';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// A unit re-imaged under the same unit id starts with a fresh database: its audit chain, query
// log and read sequence start again at seq 1. HQ keeps both images' records (their message ids
// differ), but ordered each stream by (unit, kind, seq) alone: two records of seq 1, two chains
// interleaved, and no way to tell which record came from which database, so HQ could not verify
// either chain (policy VI.F). The envelope now carries the database's `install` id, and the
// reference sink (the real `hq-sink run` process) stores it beside `seq`.
const fixture = useBrokerAndHqSink('lpr-hq-sink-reimage-', { sink: false });
const { dir: tmp } = fixture;

interface Image {
  install: string;
  audit: { id: string; seq: number }[];
  queryLog: { id: number }[];
  messageIds: string[];
}

/** One image of car-1: a fresh database, a few records of each kind, synced until HQ acknowledged them all. */
async function runImage(dataDir: string): Promise<Image> {
  const unit = openStore(dataDir);
  const config = unitConfig(dataDir, fixture.unitSync());
  const audit = new AuditLog(unit.db);
  for (let i = 1; i <= 3; i++) {
    unit.reads.save(makeRead(i), { crop: null, overview: null });
    audit.append({ type: 'login', actor: `officer-${i}`, details: { image: dataDir } });
    // A search without an identity is refused, and logged as such: one query-log row, one audit record.
    expect(() =>
      new ReadQueries(unit.db, audit).search(null, { plate: 'T000001' }, { purpose: 'investigation' }),
    ).toThrow(/refused/);
  }
  const sync = createSyncService({ config, db: unit.db, reads: unit.reads, log: recordingLogger().log });
  try {
    await sync.start();
    await until(() => sync.outbox.depth() === 0, 30_000, 'HQ to acknowledge every record of the image');
    return {
      install: unit.db.prepare('SELECT uid FROM sync_install').pluck().get() as string,
      audit: unit.db.prepare('SELECT id, seq FROM audit_log ORDER BY seq').all() as Image['audit'],
      queryLog: unit.db.prepare('SELECT id FROM query_log ORDER BY id').all() as Image['queryLog'],
      messageIds: unit.db.prepare('SELECT msg_id FROM sync_outbox').pluck().all() as string[],
    };
  } finally {
    await sync.stop();
    unit.db.close();
  }
}

describe('a unit re-imaged under the same unit id', () => {
  it('has every record of both databases at HQ, each stream kept apart by its database', async () => {
    const dbFile = path.join(tmp, 'hq.db');
    const sink = new SinkProcess([...fixture.hqSinkArgs(dbFile), '--stats-ms', '200']);
    try {
      await sink.ready();
      const before = await runImage(path.join(tmp, 'image-1'));
      const after = await runImage(path.join(tmp, 'image-2'));
      expect(after.install).not.toBe(before.install);
      // The new image numbers its records from 1 again.
      expect(after.audit[0]!.seq).toBe(1);
      expect(after.queryLog.map((q) => q.id)).toEqual(before.queryLog.map((q) => q.id));

      const hq = new Database(dbFile, { readonly: true });
      try {
        // Nothing of either image dropped as a duplicate of the other.
        const ids = hq.prepare("SELECT id FROM records WHERE unit = 'car-1'").pluck().all();
        expect(new Set(ids)).toEqual(new Set([...before.messageIds, ...after.messageIds]));
        expect(ids).toHaveLength(before.messageIds.length + after.messageIds.length);

        for (const image of [before, after]) {
          const stream = (kind: string) =>
            hq
              .prepare(
                "SELECT seq, body FROM records WHERE unit = 'car-1' AND kind = ? AND install = ? ORDER BY seq",
              )
              .all(kind, image.install) as { seq: number; body: string }[];
          // Each database's audit chain, as HQ holds it, is that database's chain and verifies
          // link by link from the start.
          const chain = stream('audit').map(
            (r) => JSON.parse(r.body) as { id: string; prevHash: string; hash: string },
          );
          expect(chain.map((r) => r.id)).toEqual(image.audit.map((r) => r.id));
          let prev = GENESIS_HASH;
          for (const record of chain) {
            expect(record.prevHash).toBe(prev);
            prev = record.hash;
          }
          expect(stream('query-log').map((r) => r.seq)).toEqual(image.queryLog.map((q) => q.id));
          expect(stream('read')).toHaveLength(3);
        }
      } finally {
        hq.close();
      }
    } finally {
      await sink.stop();
    }
  });
});
