import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Equivalence } from '../src/hotlist/normalise.js';
import { addManualEntry } from '../src/hotlist/manual.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { policyServices } from '../src/policy/services.js';
import { hotlistPort } from '../src/sync/adapters.js';
import type { HotlistDocument } from '../src/sync/schemas.js';
import { createSyncService, type SyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { openStore, unitConfig, until } from './helpers/unit.js';

/**
 * A list officers made on the unit (`hotlist add --list watch`) is theirs: a list from HQ under
 * the same id would replace their entries, reasons and entered_by, as an import would
 * (refused since 8762687). It is refused the same way, over the real broker and unit sync.
 */
const fixture = useBrokerAndHqSink('lpr-sync-hotlist-unit-list-');
const AGENCY = 'nyspd';
let sync: SyncService;
let unit: ReturnType<typeof openStore>;
let store: HotlistStore;
let policy: ReturnType<typeof policyServices>;
const logs: { level: number; msg: string; reason?: string }[] = [];

const hotlistAudits = () =>
  policy.audit.list({ type: 'hotlist.import' }).map((r) => r.details as { outcome: string; reason?: string });

function hqList(listId: string, plate: string): HotlistDocument {
  return {
    type: 'hotlist',
    agency: AGENCY,
    listId,
    kind: 'full',
    version: 1,
    issuedAt: Date.now(),
    entries: [{ plate, state: 'NY', listType: 'stolen-vehicle', reference: `NIC/${plate}` }],
  };
}

beforeAll(async () => {
  const dataDir = path.join(fixture.dir, 'unit');
  unit = openStore(dataDir);
  const config = unitConfig(dataDir, fixture.unitSync());
  const sinkStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  store = new HotlistStore(unit.db, new Equivalence(config.hotlists.equivalence));
  policy = policyServices({ db: unit.db, config });
  sync = createSyncService(
    { config, db: unit.db, reads: unit.reads, log: pino({ level: 'info' }, sinkStream) },
    { hotlists: hotlistPort(store), roster: policy.users, audit: policy.audit, queries: policy.queries },
  );
  await sync.start();
  await until(() => sync.link.connected, 10_000, 'unit to connect');
});

afterAll(async () => {
  await sync?.stop();
  unit?.db.close();
});

describe('a list from HQ under the id of a list officers made on the unit', () => {
  it('is refused, audited and logged naming the list; the officers’ list is kept', async () => {
    addManualEntry(store, policy.audit, 'ofc.diaz', {
      plate: 'WCH001',
      state: 'NY',
      reason: 'seen leaving the burglary',
      listId: 'watch',
    });
    await fixture.sink.publishHotlist(hqList('watch', 'AGY001'), { unit: 'car-1' });
    // Another list from HQ after it is applied: the refusal did not stop the down-link.
    await fixture.sink.publishHotlist(hqList('ncic-stolen', 'AGY002'), { unit: 'car-1' });
    await until(() => store.list('ncic-stolen') !== undefined, 10_000, 'the next list from HQ');

    const refusal =
      /hotlist watch v1 not applied: the list id "watch" holds manual entries officers made on this unit \(hotlist add --list watch\); HQ may not replace it: send the list under another id/;
    expect(hotlistAudits()).toEqual([
      expect.objectContaining({ outcome: 'rejected', reason: expect.stringMatching(refusal) }),
      expect.objectContaining({ outcome: 'applied', listId: 'ncic-stolen' }),
    ]);
    expect(
      unit.db.prepare(`SELECT outcome, reason FROM sync_inbound WHERE kind = 'hotlist' ORDER BY id`).all(),
    ).toEqual([
      { outcome: 'rejected', reason: expect.stringMatching(refusal) },
      { outcome: 'applied', reason: null },
    ]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'inbound sync message rejected',
        reason: expect.stringMatching(refusal),
      }),
    );
    expect(store.findInList('watch', 'WCH001')).toEqual([
      expect.objectContaining({ enteredBy: 'ofc.diaz', reason: 'seen leaving the burglary' }),
    ]);
    expect(store.findInList('watch', 'AGY001')).toEqual([]);
    expect(store.list('watch')?.source).toBe('local');
  });
});
