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
import { generateSigningKeys, loadPrivateKey, loadPublicKey, signDocument } from '../src/sync/signing.js';
import { Topics } from '../src/sync/topics.js';
import { openStore } from './helpers/unit.js';

/**
 * Hotlists and deltas from HQ, signed and handed to the unit's inbound router as they arrive off
 * its own topic, applied to the hotlist store on disk: what a delta does to entries already on the
 * list, and which documents are refused (audited, nothing applied).
 */

const keys = generateSigningKeys();
const DAY = 86_400_000;
let dir: string;
let unit: ReturnType<typeof openStore>;
let store: HotlistStore;
let audits: { type: string; details: Record<string, unknown> }[];
let router: InboundRouter;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sync-hotlist-apply-'));
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

// Plain objects, not the schema's types: several of these documents are wrong on purpose.
type Entry = Record<string, unknown>;
const full = (version: number, entries: Entry[], over: object = {}) => ({
  type: 'hotlist',
  agency: 'nyspd',
  listId: 'ncic',
  kind: 'full',
  version,
  issuedAt: Date.now(),
  entries,
  ...over,
});
const delta = (version: number, add: Entry[], remove: Entry[]) => ({
  type: 'hotlist',
  agency: 'nyspd',
  unit: 'car-1',
  listId: 'ncic',
  kind: 'delta',
  version,
  baseVersion: version - 1,
  issuedAt: Date.now(),
  add,
  remove,
});
const sv = (plate: string, more: Entry = {}): Entry => ({
  plate,
  state: 'NY',
  listType: 'stolen-vehicle',
  ...more,
});

function send(doc: object) {
  const payload = Buffer.from(JSON.stringify(signDocument(doc, loadPrivateKey(keys.privateKeyPem))));
  return router.handle('lpr/v1/nyspd/car-1/down/hotlist', payload);
}
const lastInbound = () =>
  unit.db.prepare('SELECT outcome, reason FROM sync_inbound ORDER BY id DESC LIMIT 1').get() as {
    outcome: string;
    reason: string | null;
  };
const entry = (plate: string) => store.findInList('ncic', plate)[0];

describe('a delta from HQ', () => {
  it('renews an entry already on the list (a later expiry, a new reference): counted as updated', async () => {
    const later = Date.now() + 30 * DAY;
    expect(
      await send(
        full(1, [
          sv('ABC1234', { expiresAt: Date.now() - DAY, reference: 'OLD' }),
          sv('SAME001', { reference: 'S' }),
        ]),
      ),
    ).toBe('applied');
    expect(
      await send(
        delta(
          2,
          [sv('ABC1234', { expiresAt: later, reference: 'NEW' }), sv('SAME001', { reference: 'S' })],
          [],
        ),
      ),
    ).toBe('applied');
    expect(entry('ABC1234')).toMatchObject({ expiresAt: later, reference: 'NEW' });
    expect(store.lookupKey(store.equivalence.key('ABC1234'), Date.now())).toHaveLength(1);
    expect(audits.at(-1)!.details).toMatchObject({
      outcome: 'applied',
      version: 2,
      added: 0,
      updated: 1,
      duplicates: 1,
      removed: 0,
      notFound: 0,
    });
  });

  it('that removes and adds one entry leaves the added one (removes go first)', async () => {
    await send(full(1, [sv('XYZ999', { reference: 'X1' })]));
    expect(
      await send(
        delta(
          2,
          [sv('XYZ999', { reference: 'X2' })],
          [{ plate: 'XYZ999', state: 'NY', listType: 'stolen-vehicle' }],
        ),
      ),
    ).toBe('applied');
    expect(entry('XYZ999')).toMatchObject({ reference: 'X2' });
    expect(audits.at(-1)!.details).toMatchObject({ added: 1, removed: 1 });
  });

  it('reads the plates and states of removes as the importers do, refuses ones that are none, and reports removes that found nothing', async () => {
    await send(full(1, [sv('ABC1234'), sv('KEEP001')]));
    // Once reported "applied" while ABC1234 stayed on the list.
    expect(await send(delta(2, [], [{ plate: 'abc-1234', state: 'ny', listType: 'stolen-vehicle' }]))).toBe(
      'applied',
    );
    expect(entry('ABC1234')).toBeUndefined();
    expect(audits.at(-1)!.details).toMatchObject({ removed: 1, notFound: 0 });

    expect(await send(delta(3, [], [{ plate: 'ÄBC', state: 'NY', listType: 'stolen-vehicle' }]))).toBe(
      'rejected',
    );
    expect(lastInbound().reason).toMatch(/remove\.0\.plate: plate "ÄBC" has characters outside A–Z and 0–9/);
    expect(
      await send(delta(3, [], [sv('KEEP001'), { plate: 'KEEP001', state: 'XX', listType: 'ncic' }])),
    ).toBe('rejected');
    expect(lastInbound().reason).toMatch(/remove\.1\.state: state "XX" is not a USPS code/);
    expect(entry('KEEP001')).toBeDefined();
    expect(store.list('ncic')?.version).toBe('2');

    expect(await send(delta(3, [], [sv('GONE001')]))).toBe('applied');
    expect(lastInbound()).toEqual({ outcome: 'applied', reason: '1 remove named no entry on the list' });
    expect(audits.at(-1)!.details).toMatchObject({ outcome: 'applied', removed: 0, notFound: 1 });
  });
});

describe('a list from HQ is refused, audited and not applied', () => {
  async function refused(doc: object, reason: RegExp) {
    const before = audits.length;
    expect(await send(doc)).toBe('rejected');
    expect(audits.slice(before)).toEqual([
      { type: 'hotlist.import', actor: 'hq', details: expect.objectContaining({ outcome: 'rejected' }) },
    ]);
    expect(audits.at(-1)!.details.reason).toMatch(reason);
    expect(lastInbound()).toEqual({ outcome: 'rejected', reason: expect.stringMatching(reason) });
    expect(store.list('ncic')).toBeUndefined();
  }

  it('with an entry key it does not know: a misspelt expiresAt would leave the entry never expiring', async () => {
    await refused(
      full(1, [sv('EXP001', { expires: Date.now() + DAY })]),
      /entries\.0: Unrecognized key: "expires"/,
    );
  });

  it('with a list id over 64 characters (it is named on every alert and audit record)', async () => {
    const long = `ncic-${'a'.repeat(60)}`;
    await refused(
      full(1, [sv('ABC1234')], { listId: long }),
      /listId: at most 64 characters \(this one has 65\)/,
    );
    expect(store.list(long)).toBeUndefined();
    // 64 is taken.
    expect(await send(full(1, [sv('ABC1234')], { listId: long.slice(0, 64) }))).toBe('applied');
  });

  it('with a state that is no USPS code', async () => {
    await refused(
      full(1, [sv('ABC1234'), sv('XXS001', { state: 'XX' })]),
      /entries\.1\.state: state "XX" is not a USPS code/,
    );
  });

  it('giving one entry twice with different fields, naming both', async () => {
    await refused(
      full(1, [
        sv('ABC1234', { expiresAt: Date.now() - DAY }),
        sv('OTHER01'),
        sv('ABC1234', { expiresAt: Date.now() + DAY }),
      ]),
      /entries\.2: ABC1234 NY \(stolen-vehicle\) is also given at entries\.0, with another expiresAt/,
    );
    // Identical copies are one entry.
    expect(await send(full(1, [sv('ABC1234'), sv('ABC1234')]))).toBe('applied');
    expect(store.list('ncic')?.entryCount).toBe(1);
  });

  it("issued more than 5 minutes ahead of the unit's clock (its age would count from then)", async () => {
    const ahead = Date.now() + 3_600_000;
    await refused(
      full(1, [sv('ABC1234')], { issuedAt: ahead }),
      new RegExp(
        `issuedAt ${new Date(ahead).toISOString()} is in the future .*5 minutes of clock difference are allowed`,
      ),
    );
    // A couple of minutes is clock skew.
    expect(await send(full(1, [sv('ABC1234')], { issuedAt: Date.now() + 2 * 60_000 }))).toBe('applied');
  });
});
