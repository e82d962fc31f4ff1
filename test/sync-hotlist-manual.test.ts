import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { hotlistPort } from '../src/sync/adapters.js';
import { InboundRouter } from '../src/sync/inbound.js';
import type { Outbox } from '../src/sync/outbox.js';
import { hotlistDocumentSchema, type HotlistDocument, type HotlistEntry } from '../src/sync/schemas.js';
import { generateSigningKeys, loadPrivateKey, loadPublicKey, signDocument } from '../src/sync/signing.js';
import { Topics } from '../src/sync/topics.js';
import { openStore } from './helpers/unit.js';

/**
 * Policy III.C over the down-link: a manual entry from HQ must say who entered it and why, as the
 * CSV and JSON importers already require. Without both the signed list is rejected and not applied.
 */

const keys = generateSigningKeys();
let dir: string;
let unit: ReturnType<typeof openStore>;
let store: HotlistStore;
let audits: { type: string; details: Record<string, unknown> }[];
let router: InboundRouter;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sync-hotlist-manual-'));
  unit = openStore(dir);
  store = new HotlistStore(unit.db, new Equivalence(defaultHotlistsConfig().equivalence));
  audits = [];
  router = new InboundRouter({
    db: unit.db,
    log: pino({ level: 'silent' }),
    topics: new Topics('nyspd', 'car-1'),
    outbox: {} as Outbox, // not used by a hotlist
    reads: unit.reads,
    publicKey: loadPublicKey(keys.publicKeyPem),
    maxPayloadBytes: 1 << 20,
    pullMaxResults: 100,
    hotlists: hotlistPort(store),
    audit: { append: (e) => void audits.push(e) },
    // Not used by a hotlist.
    buildAnswer: () => {
      throw new Error('no pull here');
    },
    sendAnswer: async () => ({ unsentParts: [] }),
  });
});
afterEach(() => {
  unit.db.close();
  rmSync(dir, { recursive: true, force: true });
});

function doc(entries: HotlistEntry[]): HotlistDocument {
  return {
    type: 'hotlist',
    agency: 'nyspd',
    listId: 'bolo',
    kind: 'full',
    version: 1,
    issuedAt: Date.now(),
    entries: [{ plate: 'ABC1234', state: 'NY', listType: 'stolen-vehicle' }, ...entries],
  };
}

function send(d: HotlistDocument) {
  const payload = Buffer.from(JSON.stringify(signDocument(d, loadPrivateKey(keys.privateKeyPem))));
  return router.handle('lpr/v1/nyspd/car-1/down/hotlist', payload);
}

describe('manual entries in a hotlist from HQ', () => {
  it('the schema names each missing field of a manual entry', () => {
    const r = hotlistDocumentSchema.safeParse(
      doc([
        { plate: 'MAN001', state: 'NY', listType: 'manual', reason: 'seen at the scene' },
        { plate: 'MAN002', state: null, listType: 'manual', enteredBy: 'sgt.lee', reason: '  ' },
        { plate: 'MAN003', state: null, listType: 'manual', enteredBy: 'sgt.lee', reason: 'BOLO' },
      ]),
    );
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'entries.1.enteredBy: a manual entry needs enteredBy (who entered it; policy III.C)',
      'entries.2.reason: a manual entry needs reason (why; policy III.C)',
    ]);
  });

  it('rejects and audits a list whose manual entry does not say who entered it; nothing is applied', async () => {
    expect(await send(doc([{ plate: 'MAN001', state: 'NY', listType: 'manual', reason: 'BOLO' }]))).toBe(
      'rejected',
    );
    const reason = /entries\.1\.enteredBy: a manual entry needs enteredBy/;
    expect(audits).toEqual([
      { type: 'hotlist.import', actor: 'hq', details: expect.objectContaining({ outcome: 'rejected' }) },
    ]);
    expect(audits[0]!.details.reason).toMatch(reason);
    expect(unit.db.prepare('SELECT outcome, reason FROM sync_inbound').get()).toEqual({
      outcome: 'rejected',
      reason: expect.stringMatching(reason),
    });
    expect(store.list('bolo')).toBeUndefined();

    // The same list with who and why is applied.
    const ok = {
      plate: 'MAN001',
      state: 'NY',
      listType: 'manual' as const,
      enteredBy: 'sgt.lee',
      reason: 'BOLO',
    };
    expect(await send(doc([ok]))).toBe('applied');
    expect(store.findInList('bolo', 'MAN001')).toEqual([
      expect.objectContaining({ enteredBy: 'sgt.lee', reason: 'BOLO' }),
    ]);
  });

  it("rejects a list from HQ under the unit's own list id", async () => {
    expect(await send({ ...doc([]), listId: 'local' })).toBe('rejected');
    expect(audits[0]!.details.reason).toMatch(/the list id "local" is the unit's own manual entries/);
    expect(store.list('local')).toBeUndefined();
  });
});
