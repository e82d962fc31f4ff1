import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HitLog } from '../src/alerts/hits.js';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';
import { HotlistService } from '../src/hotlist/service.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { policyServices } from '../src/policy/services.js';
import { hotlistPort } from '../src/sync/adapters.js';
import { queryLogMismatch } from '../src/policy/query.js';
import { buildAuditReport, reportMarkdown } from '../src/policy/report.js';
import type { Ack, HotlistDocument, PullResponse } from '../src/sync/schemas.js';
import { createSyncService, type SyncService } from '../src/sync/service.js';
import {
  generateSigningKeys,
  loadPrivateKey,
  loadPublicKey,
  openSigned,
  signDocument,
} from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { makeRead, openStore, plateCrop, unitConfig, until } from './helpers/unit.js';

const execFileAsync = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// HQ's sink over mutual TLS (its certificate, no password).
const fixture = useBrokerAndHqSink('lpr-sync-inbound-', {
  sink: (broker) => ({
    url: broker.tlsUrl,
    ca: broker.certs.ca,
    ...broker.certs.client('hq'),
    username: undefined,
    password: undefined,
  }),
});
const { dir: tmp, hqKeys } = fixture;
let sync: SyncService;
let unit: ReturnType<typeof openStore>;
let store: HotlistStore;
let policy: ReturnType<typeof policyServices>;
const logs: { level: number; msg: string; reason?: string }[] = [];
const AGENCY = 'nyspd';

const inbound = (outcome?: string) =>
  unit.db
    .prepare(
      `SELECT kind, outcome, reason FROM sync_inbound ${outcome ? 'WHERE outcome = ?' : ''} ORDER BY id`,
    )
    .all(...(outcome ? [outcome] : [])) as { kind: string; outcome: string; reason: string | null }[];
const hotlistAudits = () =>
  policy.audit.list({ type: 'hotlist.import' }).map((r) => r.details as { outcome: string; reason?: string });

function hotlist(version: number, plates: string[]): HotlistDocument {
  return {
    type: 'hotlist',
    agency: AGENCY,
    listId: 'ncic-stolen',
    kind: 'full',
    version,
    issuedAt: Date.now(),
    entries: plates.map((plate) => ({
      plate,
      state: 'NY',
      listType: 'stolen-vehicle',
      reference: `NIC/${plate}`,
    })),
  };
}

beforeAll(async () => {
  const dataDir = path.join(tmp, 'unit');
  unit = openStore(dataDir);
  // MQTT 3.1.1 and username/password here; the drain test covers MQTT 5 with mutual TLS.
  const config = unitConfig(dataDir, {
    brokerUrl: fixture.broker.url,
    protocolVersion: 4,
    username: 'unit',
    password: 'unit-secret',
    hqPublicKey: hqKeys.publicKeyPem,
    maxPayloadBytes: 64 * 1024,
    ackTimeoutMs: 2000,
  });
  const sinkStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level: 'info' }, sinkStream);
  store = new HotlistStore(unit.db, new Equivalence(config.hotlists.equivalence));
  policy = policyServices({ db: unit.db, config });
  sync = createSyncService(
    { config, db: unit.db, reads: unit.reads, log },
    { hotlists: hotlistPort(store), roster: policy.users, audit: policy.audit, queries: policy.queries },
  );
  await sync.start();
  await until(() => sync.link.connected, 10_000, 'unit to connect');
});

afterAll(async () => {
  await sync?.stop();
  unit?.db.close();
});

describe('down-link from headquarters', () => {
  it('applies a signed full hotlist sent to the fleet (retained) and a signed delta', async () => {
    await fixture.sink.publishHotlist(hotlist(1, ['ABC1234', 'XYZ999']));
    await until(() => store.list('ncic-stolen') !== undefined, 10_000, 'hotlist v1');
    expect(store.findInList('ncic-stolen', 'ABC1234')).toHaveLength(1);
    await fixture.sink.publishHotlist(
      {
        type: 'hotlist',
        agency: AGENCY,
        unit: 'car-1',
        listId: 'ncic-stolen',
        kind: 'delta',
        version: 2,
        baseVersion: 1,
        issuedAt: Date.now(),
        add: [{ plate: 'NEW1', state: 'NY', listType: 'stolen-vehicle' }],
        remove: [{ plate: 'XYZ999', state: 'NY', listType: 'stolen-vehicle' }],
      },
      { unit: 'car-1' },
    );
    await until(() => store.list('ncic-stolen')?.version === '2', 10_000, 'hotlist v2');
    expect(store.findInList('ncic-stolen', 'NEW1')).toHaveLength(1);
    expect(store.findInList('ncic-stolen', 'XYZ999')).toHaveLength(0);
    expect(hotlistAudits().filter((a) => a.outcome === 'applied')).toHaveLength(2);
  });

  it("cuts an entry's reason longer than the officer's screen takes (1000 characters), applies the list, and says which", async () => {
    // A long agency note is the agency's: the list is applied (refusing it would leave an older
    // list active for one note), but the alert shows at most what any entry's reason holds.
    const note = 'Armed; approach with caution. '.repeat(50).slice(0, 1500);
    const doc: HotlistDocument = {
      type: 'hotlist',
      agency: AGENCY,
      unit: 'car-1',
      listId: 'hq-notes',
      kind: 'full',
      version: 1,
      issuedAt: Date.now(),
      entries: [
        { plate: 'NOTE001', state: 'NY', listType: 'stolen-vehicle', reason: 'short' },
        { plate: 'NOTE002', state: 'NY', listType: 'stolen-vehicle', reason: note },
      ],
    };
    await fixture.sink.publishHotlist(doc, { unit: 'car-1' });
    await until(() => store.list('hq-notes') !== undefined, 10_000, 'the list with a long note');
    expect(store.findInList('hq-notes', 'NOTE002').map((e) => e.reason)).toEqual([note.slice(0, 1000)]);
    expect(store.findInList('hq-notes', 'NOTE001').map((e) => e.reason)).toEqual(['short']);
    // The cut is noted with the message (sync status), counted in the audit record HQ receives,
    // and logged.
    expect(inbound().at(-1)).toEqual({
      kind: 'hotlist',
      outcome: 'applied',
      reason: 'reason cut to its first 1000 characters: entries.1 (1500)',
    });
    expect(hotlistAudits().at(-1)).toMatchObject({ outcome: 'applied', listId: 'hq-notes', cut: 1 });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 40, msg: 'hotlist from HQ: reason cut to its first 1000 characters' }),
    );
  });

  it('sends each hit and every step of its verification to HQ, in the documented shapes', async () => {
    const config = defaultHotlistsConfig();
    const hits = new HitLog(unit.db, config, policy.audit);
    const matching = new HotlistService({
      db: unit.db,
      reads: unit.reads,
      store,
      hits,
      config,
      audit: policy.audit,
      log: pino({ level: 'silent' }),
    });
    await matching.start();
    try {
      const read = unit.reads.save(
        { ...makeRead(7), plate: 'ABC1234', state: 'NY' },
        { crop: null, overview: null },
      );
      const [hit] = hits.open();
      expect(hit!.readId).toBe(read.id);
      hits.markSeen(hit!.id, 'ofc.diaz');
      hits.confirm(hit!.id, 'plate', 'ofc.diaz');
      hits.confirm(hit!.id, 'state', 'ofc.diaz');
      hits.verify(hit!.id, 'ofc.diaz');
      await until(
        () => fixture.sink.count('hit') === 1 && fixture.sink.count('disposition') === 5,
        15_000,
        'the hit and its steps at HQ',
      );
      // The sink stored them only after validating them against the AsyncAPI schemas.
      const bodies = (kind: string) =>
        (
          fixture.sink.db
            .prepare('SELECT body FROM records WHERE kind = ? ORDER BY seq')
            .pluck()
            .all(kind) as string[]
        ).map((b) => JSON.parse(b) as Record<string, unknown>);
      expect(bodies('hit')[0]).toMatchObject({
        id: hit!.id,
        readId: read.id,
        listId: 'ncic-stolen',
        listType: 'stolen-vehicle',
        readPlate: 'ABC1234',
        rule: 'exact',
        stateNotRead: false,
        retroactive: false,
      });
      expect(bodies('disposition').map((b) => [b.action, b.actor])).toEqual([
        ['raised', 'system'],
        ['seen', 'ofc.diaz'],
        ['confirm-plate', 'ofc.diaz'],
        ['confirm-state', 'ofc.diaz'],
        ['verified', 'ofc.diaz'],
      ]);
    } finally {
      await matching.stop();
    }
  });

  it('a unit that connects later gets every fleet list (one retained topic per list), never a fleet delta', async () => {
    const amber = { ...hotlist(1, ['AMB3307']), listId: 'amber-alerts' };
    await fixture.sink.publishHotlist(amber);
    await expect(
      fixture.sink.publishHotlist({
        ...amber,
        kind: 'delta',
        version: 2,
        baseVersion: 1,
        add: [],
        remove: [],
      }),
    ).rejects.toThrow(/fleet topics carry full lists/);
    // A car that was off while both fleet lists were published (ncic-stolen in the test above).
    const dataDir = path.join(tmp, 'car-2');
    const car2 = openStore(dataDir);
    const config = unitConfig(
      dataDir,
      {
        brokerUrl: fixture.broker.url,
        protocolVersion: 4,
        username: 'unit',
        password: 'unit-secret',
        hqPublicKey: hqKeys.publicKeyPem,
      },
      'car-2',
    );
    const store2 = new HotlistStore(car2.db, new Equivalence(config.hotlists.equivalence));
    const policy2 = policyServices({ db: car2.db, config });
    const sync2 = createSyncService(
      { config, db: car2.db, reads: car2.reads, log: pino({ level: 'silent' }) },
      {
        hotlists: hotlistPort(store2),
        roster: policy2.users,
        audit: policy2.audit,
        queries: policy2.queries,
      },
    );
    try {
      await sync2.start();
      await until(
        () => store2.list('ncic-stolen') !== undefined && store2.list('amber-alerts') !== undefined,
        10_000,
        'both fleet lists on the late unit',
      );
      expect(store2.findInList('amber-alerts', 'AMB3307')).toHaveLength(1);
      expect(store2.findInList('ncic-stolen', 'ABC1234')).toHaveLength(1);
      // A list on another list's fleet topic is refused: it would displace that list there.
      const n = inbound('rejected').length;
      await fixture.sink.publishRaw(
        AGENCY,
        'fleet',
        'hotlist/ncic-stolen',
        JSON.stringify(signDocument({ ...amber, version: 5 }, loadPrivateKey(hqKeys.privateKeyPem))),
      );
      await until(() => inbound('rejected').length > n, 10_000, 'the misplaced list refused');
      expect(inbound('rejected').at(-1)!.reason).toMatch(
        /fleet lists go on …\/fleet\/down\/hotlist\/amber-alerts/,
      );
      expect(store.list('amber-alerts')?.version).toBe('1');
    } finally {
      await sync2.stop();
      car2.db.close();
    }
  });

  it('a retained fleet list older than a delta sent to the unit since is ignored at each connect, and never replaces it', async () => {
    // The documented flow: the fleet topic keeps ncic-stolen v1 (the first test), HQ takes one car
    // to v2 with a delta, and the car gets v1 again every time it connects.
    const dataDir = path.join(tmp, 'car-3');
    const car3 = openStore(dataDir);
    const config = unitConfig(
      dataDir,
      {
        brokerUrl: fixture.broker.url,
        protocolVersion: 4,
        username: 'unit',
        password: 'unit-secret',
        hqPublicKey: hqKeys.publicKeyPem,
      },
      'car-3',
    );
    const store3 = new HotlistStore(car3.db, new Equivalence(config.hotlists.equivalence));
    const policy3 = policyServices({ db: car3.db, config });
    const connect = async () => {
      const s = createSyncService(
        { config, db: car3.db, reads: car3.reads, log: pino({ level: 'silent' }) },
        {
          hotlists: hotlistPort(store3),
          roster: policy3.users,
          audit: policy3.audit,
          queries: policy3.queries,
        },
      );
      await s.start();
      return s;
    };
    const fleetTopic = `lpr/v1/${AGENCY}/fleet/down/hotlist/ncic-stolen`;
    const deliveries = () =>
      car3.db
        .prepare('SELECT outcome, reason FROM sync_inbound WHERE topic = ? ORDER BY id')
        .all(fleetTopic) as { outcome: string; reason: string | null }[];
    let sync3 = await connect();
    try {
      await until(() => store3.list('ncic-stolen')?.version === '1', 10_000, 'the fleet list');
      await fixture.sink.publishHotlist(
        {
          type: 'hotlist',
          agency: AGENCY,
          unit: 'car-3',
          listId: 'ncic-stolen',
          kind: 'delta',
          version: 2,
          baseVersion: 1,
          issuedAt: Date.now(),
          add: [{ plate: 'ABC1234', state: 'NY', listType: 'stolen-vehicle', reference: 'NIC/ABC1234/2' }],
          remove: [],
        },
        { unit: 'car-3' },
      );
      await until(() => store3.list('ncic-stolen')?.version === '2', 10_000, 'the delta');
      for (let reconnect = 1; reconnect <= 2; reconnect++) {
        await sync3.stop();
        sync3 = await connect();
        await until(
          () => deliveries().length === 1 + reconnect,
          10_000,
          `fleet v1 again (connect ${reconnect})`,
        );
      }
      expect(deliveries()).toEqual([
        { outcome: 'applied', reason: null },
        ...[1, 2].map(() => ({
          outcome: 'ignored',
          reason: 'version 1 superseded: this unit holds version 2 (a later list or delta sent to it)',
        })),
      ]);
      // Nothing for HQ or an auditor to chase: no rejection in the status, none in the audit chain.
      expect(sync3.inbound.statusSummary().lastRejected).toBeUndefined();
      expect(
        policy3.audit.list({ type: 'hotlist.import' }).map((r) => (r.details as { outcome: string }).outcome),
      ).not.toContain('rejected');
      expect(store3.list('ncic-stolen')?.version).toBe('2');
      expect(store3.findInList('ncic-stolen', 'ABC1234')[0]!.reference).toBe('NIC/ABC1234/2');
    } finally {
      await sync3.stop();
      car3.db.close();
    }
  });

  it('rejects and audits a forged list, a tampered list, malformed envelopes (naming the field) and a stale list; nothing is applied', async () => {
    const before = hotlistAudits().length;
    const forger = loadPrivateKey(generateSigningKeys().privateKeyPem);
    await fixture.sink.publishRaw(
      AGENCY,
      'car-1',
      'hotlist',
      JSON.stringify(signDocument(hotlist(9, ['EVIL1']), forger)),
    );
    const good = signDocument(hotlist(10, ['OK1']), loadPrivateKey(hqKeys.privateKeyPem));
    const tampered = {
      ...good,
      payload: Buffer.from(JSON.stringify(hotlist(10, ['EVIL2']))).toString('base64'),
    };
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'hotlist', JSON.stringify(tampered));
    const unsigned = { v: 1, alg: 'Ed25519', payload: good.payload, signature: '' };
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'hotlist', JSON.stringify(unsigned));
    // Envelopes another signer might send: the reason names the field and what was expected.
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'hotlist', JSON.stringify({ ...good, alg: 'RS256' }));
    const noSignature: Record<string, unknown> = { ...good };
    delete noSignature.signature;
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'hotlist', JSON.stringify(noSignature));
    await fixture.sink.publishHotlist(hotlist(1, ['OLD1']), { unit: 'car-1' }); // genuine, but older than v2
    await until(() => hotlistAudits().length >= before + 6, 10_000, 'six rejections audited');
    const rejected = hotlistAudits().slice(before);
    expect(rejected.map((a) => a.outcome)).toEqual(Array(6).fill('rejected'));
    expect(rejected[0]!.reason).toMatch(/signature does not verify/);
    expect(rejected[1]!.reason).toMatch(/signature does not verify/);
    expect(rejected[2]!.reason).toMatch(/not a signed document: signature: empty/);
    expect(rejected[3]!.reason).toMatch(/not a signed document: alg: expected "Ed25519", got "RS256"/);
    expect(rejected[4]!.reason).toMatch(/not a signed document: signature: missing/);
    expect(rejected[5]!.reason).toMatch(/version 1 is older than the current 2/);
    expect(store.list('ncic-stolen')?.version).toBe('2');
    for (const plate of ['EVIL1', 'EVIL2', 'OLD1'])
      expect(store.findInList('ncic-stolen', plate)).toHaveLength(0);
    expect(policy.audit.verify().ok).toBe(true);
  });

  it('logs and ignores malformed and oversized payloads, and keeps working', async () => {
    const n = inbound('rejected').length;
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'hotlist', '{"v":1,"alg":"Ed25519",');
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'pull', Buffer.from([0xff, 0x00, 0x13]));
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'roster', Buffer.alloc(100 * 1024, 0x41));
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'nonsense', '{}');
    // An ack with the wrong shape must not mark anything synced, signed by HQ or not.
    const c = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
    const badAck = { v: 1, type: 'ack', agency: AGENCY, unit: 'car-1', ids: 'all' };
    const signedBadAck = signDocument(badAck, loadPrivateKey(hqKeys.privateKeyPem));
    for (const ack of [badAck, signedBadAck])
      await c.publishAsync(`lpr/v1/${AGENCY}/car-1/ack`, JSON.stringify(ack), { qos: 1 });
    await c.endAsync();
    await until(() => inbound('rejected').length >= n + 6, 10_000, 'rejections recorded');
    const reasons = inbound('rejected')
      .slice(n)
      .map((r) => r.reason ?? '');
    expect(reasons.some((r) => /not JSON/.test(r))).toBe(true);
    expect(reasons.some((r) => /exceeds sync.maxPayloadBytes/.test(r))).toBe(true);
    expect(reasons.some((r) => /unknown message kind "nonsense"/.test(r))).toBe(true);
    expect(reasons.some((r) => /^ack: not a signed document/.test(r))).toBe(true);
    expect(reasons.some((r) => /^ack: invalid document: ids:/.test(r))).toBe(true);
    await until(
      () =>
        logs.some(
          (l) => l.msg === 'inbound sync message rejected' && /ack: invalid document/.test(l.reason ?? ''),
        ),
      5000,
      'malformed ack logged',
    );
    expect(
      logs.filter((l) => l.msg === 'inbound sync message rejected' && l.level === 50).length,
    ).toBeGreaterThanOrEqual(6);

    // Still alive: a signed roster goes through afterwards.
    await fixture.sink.publishRoster({
      type: 'roster',
      agency: AGENCY,
      rosterId: 'main',
      version: 1,
      issuedAt: Date.now(),
      users: [{ name: 'jsmith', role: 'officer', initialTraining: '2026-01-10' }],
    });
    await until(() => policy.users.list().some((u) => u.name === 'jsmith'), 10_000, 'roster applied');
    expect(policy.users.list().find((u) => u.name === 'jsmith')?.role).toBe('officer');
  });

  it('refuses a pull request without purpose, answers one with purpose; both are in the query log and reach HQ', async () => {
    const crop = await plateCrop();
    const read = unit.reads.save({ ...makeRead(1), plate: 'PULL123' }, { crop, overview: null });
    unit.reads.save(makeRead(2), { crop, overview: null });

    const refused = await fixture.sink.pull(AGENCY, 'car-1', {
      requester: 'det.jones',
      caseNumber: 'C-2026-77',
      attestation: true,
      criteria: { plate: 'PULL123' },
    });
    expect(refused.status).toBe('refused');
    expect(refused.reason).toMatch(/missing purpose/);
    expect(refused.reads).toEqual([]);

    // Not signed by headquarters, or signed long ago: refused before any search, nothing answered.
    const rejectedBefore = inbound('rejected').length;
    const request = {
      v: 1,
      requestId: 'f0d1b0a4-51d7-4d43-9a43-26f0a1f70c11',
      agency: AGENCY,
      unit: 'car-1',
      issuedAt: Date.now(),
      requester: 'det.jones',
      purpose: 'investigation-vehicle',
      caseNumber: 'C-2026-77',
      attestation: true,
      criteria: { plate: 'PULL123' },
    };
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'pull', JSON.stringify(request));
    const key = loadPrivateKey(hqKeys.privateKeyPem);
    const stale = { ...request, issuedAt: Date.now() - 2 * 86_400_000 };
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'pull', JSON.stringify(signDocument(stale, key)));
    const elsewhere = { ...request, unit: 'car-2' };
    await fixture.sink.publishRaw(AGENCY, 'car-1', 'pull', JSON.stringify(signDocument(elsewhere, key)));
    await until(() => inbound('rejected').length >= rejectedBefore + 3, 10_000, 'three pulls rejected');
    expect(
      inbound('rejected')
        .slice(rejectedBefore)
        .map((r) => r.reason),
    ).toEqual([
      expect.stringMatching(/^pull: not a signed document: alg, payload, signature: missing/),
      expect.stringMatching(/^pull: issued .*, outside the day a request is valid/),
      expect.stringMatching(/^pull: signed for nyspd\/car-2, this unit is nyspd\/car-1/),
    ]);

    const answered = await fixture.sink.pull(AGENCY, 'car-1', {
      requester: 'det.jones',
      purpose: 'investigation-vehicle',
      caseNumber: 'C-2026-77',
      attestation: true,
      criteria: { plate: 'PULL123' },
      includeCrops: true,
    });
    expect(answered.status).toBe('answered');
    expect(answered.reads.map((r) => r.id)).toEqual([read.id]);
    expect(answered.reads[0]!.crop?.encoding).toBe('base64');

    const qlog = unit.db
      .prepare('SELECT requester_kind, requester, purpose, outcome FROM query_log ORDER BY id')
      .all();
    expect(qlog).toEqual([
      { requester_kind: 'hq', requester: 'hq:det.jones', purpose: null, outcome: 'refused' },
      { requester_kind: 'hq', requester: 'hq:det.jones', purpose: 'investigation-vehicle', outcome: 'ok' },
    ]);
    // The query log and the audit chain travel up through the outbox and are acknowledged.
    await until(
      () => fixture.sink.count('query-log') === 2 && sync.outbox.depth() === 0,
      15_000,
      'records to reach HQ',
    );
    const auditCount = unit.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
    // This unit's: the other cars of these tests send their audit chains to the same HQ.
    const atHq = fixture.sink.db
      .prepare("SELECT COUNT(*) FROM records WHERE kind = 'audit' AND unit = 'car-1'")
      .pluck()
      .get() as number;
    expect(atHq).toBe(auditCount);
    expect(unit.db.prepare('SELECT COUNT(*) FROM audit_log WHERE acked_at IS NULL').pluck().get()).toBe(0);
    expect(unit.db.prepare('SELECT COUNT(*) FROM reads WHERE acked_at IS NULL').pluck().get()).toBe(0);
  });

  it('answers a pull request HQ sends again (its answer was lost) with the same reads, audited as a repeat, at a limited pace', async () => {
    // A unit of its own, with a clock the test can move past the pace of repeats.
    const dataDir = path.join(tmp, 'unit-repeat');
    const car = openStore(dataDir);
    const config = unitConfig(
      dataDir,
      {
        brokerUrl: fixture.broker.url,
        username: 'unit',
        password: 'unit-secret',
        hqPublicKey: hqKeys.publicKeyPem,
      },
      'car-3',
    );
    const carPolicy = policyServices({ db: car.db, config });
    let clockAhead = 0;
    const s3 = createSyncService(
      { config, db: car.db, reads: car.reads, log: pino({ level: 'silent' }) },
      { audit: carPolicy.audit, queries: carPolicy.queries, now: () => Date.now() + clockAhead },
    );
    // HQ's side of the answers: every one published, repeats included.
    const hq = await mqtt.connectAsync(fixture.broker.url, { username: 'unit', password: 'unit-secret' });
    const answers: PullResponse[] = [];
    hq.on('message', (_topic, payload) => answers.push(JSON.parse(String(payload)) as PullResponse));
    await hq.subscribeAsync(`lpr/v1/${AGENCY}/car-3/up/pull-response`, { qos: 1 });
    const carInbound = (outcome: string) =>
      // Only pulls: this unit has no hotlist store and rejects the fleet lists retained on the broker.
      car.db
        .prepare("SELECT reason FROM sync_inbound WHERE kind = 'pull' AND outcome = ? ORDER BY id")
        .pluck()
        .all(outcome);
    await s3.start();
    try {
      await until(() => s3.link.connected, 10_000, 'car-3 to connect');
      const crop = await plateCrop();
      const first = car.reads.save({ ...makeRead(1, 'car-3'), plate: 'AGAIN12' }, { crop, overview: null });
      const request = {
        v: 1,
        requestId: '7c0e8a52-3b7f-4c55-9a55-2f5d3e0b9a01',
        agency: AGENCY,
        unit: 'car-3',
        issuedAt: Date.now(),
        requester: 'det.jones',
        purpose: 'investigation-vehicle',
        caseNumber: 'C-2026-81',
        attestation: true,
        criteria: { plate: 'AGAIN12' },
        includeCrops: true,
      };
      const key = loadPrivateKey(hqKeys.privateKeyPem);
      const signed = JSON.stringify(signDocument(request, key));
      await fixture.sink.publishRaw(AGENCY, 'car-3', 'pull', signed);
      await until(() => answers.length === 1, 10_000, 'the first answer');
      expect(answers[0]).toMatchObject({ status: 'answered', count: 1 });
      expect(answers[0]!.repeat).toBeUndefined();

      // The same plate read again after the answer: a repeat must not slip it in unaudited.
      car.reads.save({ ...makeRead(9, 'car-3'), plate: 'AGAIN12' }, { crop, overview: null });
      // At once (a redelivery, an impatient HQ): dropped, within the pace of repeats.
      await fixture.sink.publishRaw(AGENCY, 'car-3', 'pull', signed);
      await until(() => carInbound('ignored').length === 1, 10_000, 'the early repeat to be dropped');
      expect(carInbound('ignored')[0]).toMatch(/repeats are answered at most every 30 s/);

      // Later, the answer having been lost: the same signed request gets the same answer again.
      clockAhead = 31_000;
      await fixture.sink.publishRaw(AGENCY, 'car-3', 'pull', signed);
      await until(() => answers.length === 2, 10_000, 'the answer to the repeat');
      expect(answers[1]).toMatchObject({
        requestId: request.requestId,
        status: 'answered',
        count: 1,
        repeat: 1,
      });
      expect(answers[1]!.reads.map((r) => r.id)).toEqual([first.id]);
      expect(answers[1]!.reads[0]!.crop?.encoding).toBe('base64');

      // Read data disclosed again: a query-log row of its own, its record pointing at the first.
      const audits = carPolicy.audit.list({ type: 'query' });
      expect(audits).toHaveLength(2);
      expect(audits[1]!.details).toMatchObject({
        purpose: 'investigation-vehicle',
        caseNumber: 'C-2026-81',
        resultIds: [first.id],
        repeat: { of: audits[0]!.seq, requestId: request.requestId, count: 1 },
      });
      expect(car.db.prepare('SELECT result_ids FROM query_log ORDER BY id').pluck().all()).toEqual([
        JSON.stringify([first.id]),
        JSON.stringify([first.id]),
      ]);
      expect(queryLogMismatch(car.db)).toBeNull();
      // The supervisors' audit report (VI.G) counts one query, answered once more for HQ.
      const report = buildAuditReport(car.db, { from: 0, to: Date.now() + 60_000 });
      expect(report.queries).toMatchObject({ total: 1, refused: 0, repeats: 1 });
      expect(reportMarkdown(report)).toContain('1 total, 0 refused; 1 answered again for HQ');

      // A refused request sent again is refused again, and logged again as a refused inquiry.
      const unjustified = {
        ...request,
        requestId: '7c0e8a52-3b7f-4c55-9a55-2f5d3e0b9a02',
        purpose: undefined,
      };
      const signedRefusal = JSON.stringify(signDocument(unjustified, key));
      await fixture.sink.publishRaw(AGENCY, 'car-3', 'pull', signedRefusal);
      await until(() => answers.length === 3, 10_000, 'the refusal');
      clockAhead = 62_000;
      await fixture.sink.publishRaw(AGENCY, 'car-3', 'pull', signedRefusal);
      await until(() => answers.length === 4, 10_000, 'the repeated refusal');
      expect(answers[3]).toMatchObject({ status: 'refused', repeat: 1 });
      expect(car.db.prepare('SELECT outcome FROM query_log ORDER BY id').pluck().all()).toEqual([
        'ok',
        'ok',
        'refused',
        'refused',
      ]);
      expect(buildAuditReport(car.db, { from: 0, to: Date.now() + 120_000 }).queries).toMatchObject({
        total: 2,
        refused: 1,
        repeats: 2,
      });

      // The same request id with other criteria is not a repeat: rejected, nothing answered.
      const other = { ...request, criteria: { plate: 'OTHER99' } };
      await fixture.sink.publishRaw(AGENCY, 'car-3', 'pull', JSON.stringify(signDocument(other, key)));
      await until(() => carInbound('rejected').length === 1, 10_000, 'the reused id to be rejected');
      expect(carInbound('rejected')[0]).toMatch(/already used for another request/);
      expect(answers).toHaveLength(4);
    } finally {
      await hq.endAsync();
      await s3.stop();
      car.db.close();
    }
  });

  it('the hq-sink CLI signs and publishes a hotlist and sends a pull request', async () => {
    const keyFile = path.join(tmp, 'hq-signing.key');
    writeFileSync(keyFile, hqKeys.privateKeyPem);
    const docFile = path.join(tmp, 'list-v3.json');
    writeFileSync(docFile, JSON.stringify(hotlist(3, ['CLI777'])));
    const cli = (...args: string[]) =>
      execFileAsync(process.execPath, [
        path.join(root, 'scripts/hq-sink.mjs'),
        ...args,
        '--url',
        fixture.broker.url,
        '--username',
        'hq',
        '--password',
        'hq-secret',
      ]);
    await cli('hotlist', '--key', keyFile, '--file', docFile);
    await until(() => store.list('ncic-stolen')?.version === '3', 10_000, 'hotlist v3 from the CLI');
    expect(store.findInList('ncic-stolen', 'CLI777')).toHaveLength(1);
    const { stdout } = await cli(
      'pull',
      '--key',
      keyFile,
      '--agency',
      AGENCY,
      '--unit',
      'car-1',
      '--requester',
      'det.smith',
      '--purpose',
      'safety-threat',
      '--case',
      'I-42',
      '--plate',
      'PULL123',
    );
    const answer = JSON.parse(stdout) as { status: string; count: number };
    expect(answer).toMatchObject({ status: 'answered', count: 1 });
  });

  it('falls back to MQTT 3.1.1 when the broker refuses MQTT 5', async () => {
    // A 3.1.1-only broker in front of Mosquitto: it answers a v5 CONNECT with CONNACK 0x01
    // ("unacceptable protocol version", as MQTT 3.1.1 requires) and forwards v4 connections.
    const levels: number[] = [];
    const proxy = net.createServer((s) => {
      s.once('data', (first) => {
        // Fixed header: type byte, remaining length (1-4 bytes, 7 bits each), then "\0\4MQTT" and the level.
        let i = 1;
        while (first[i]! & 0x80) i++;
        const level = first[i + 7]!;
        levels.push(level);
        if (level === 5) return void s.end(Buffer.from([0x20, 0x02, 0x00, 0x01]));
        const up = net.connect(fixture.broker.port, '127.0.0.1', () => {
          up.write(first);
          s.pipe(up).pipe(s);
        });
        up.on('error', () => s.destroy());
        s.on('error', () => up.destroy());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as net.AddressInfo).port;
    const dataDir = path.join(tmp, 'unit-v311');
    const other = openStore(dataDir);
    const config = unitConfig(
      dataDir,
      {
        brokerUrl: `mqtt://127.0.0.1:${port}`,
        protocolVersion: 5,
        username: 'unit',
        password: 'unit-secret',
        reconnectInitialMs: 100,
        hqPublicKey: hqKeys.publicKeyPem,
      },
      'car-2',
    );
    const s2 = createSyncService({
      config,
      db: other.db,
      reads: other.reads,
      log: pino({ level: 'silent' }),
    });
    await s2.start();
    try {
      const read = other.reads.save(makeRead(5, 'car-2'), { crop: await plateCrop(), overview: null });
      const atHq = () =>
        fixture.sink.db
          .prepare('SELECT COUNT(*) FROM records WHERE id = ?')
          .pluck()
          .get(`car-2:read:${read.id}`);
      await until(() => atHq() === 1 && s2.outbox.depth() === 0, 15_000, 'read through the 3.1.1 link');
      expect(levels.slice(0, 2)).toEqual([5, 4]);
      expect(s2.health()).toMatchObject({ protocolVersion: 4, fallbacks: 1 });
    } finally {
      await s2.stop();
      other.db.close();
      proxy.close();
    }
  });

  it('HQ quarantines a record it cannot store and acknowledges it, so the unit stops resending it', async () => {
    const c = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
    const acked: string[] = [];
    const hqPublicKey = loadPublicKey(hqKeys.publicKeyPem);
    c.on('message', (_t, p) => acked.push(...(openSigned(JSON.parse(p.toString()), hqPublicKey) as Ack).ids));
    await c.subscribeAsync(`lpr/v1/${AGENCY}/car-9/ack`, { qos: 1 });
    const bad = {
      v: 1,
      id: 'car-9:read:not-a-valid-read',
      kind: 'read',
      agency: AGENCY,
      unit: 'car-9',
      seq: 'x',
    };
    await c.publishAsync(`lpr/v1/${AGENCY}/car-9/up/read`, JSON.stringify(bad), { qos: 1 });
    await c.publishAsync(`lpr/v1/${AGENCY}/car-9/up/read`, 'no envelope at all', { qos: 1 });
    await until(() => acked.includes(bad.id), 10_000, 'the quarantined record acknowledged');
    const kept = fixture.sink.db
      .prepare('SELECT unit, reason, payload FROM quarantine WHERE id = ?')
      .get(bad.id) as {
      unit: string;
      reason: string;
      payload: Buffer;
    };
    expect(kept.unit).toBe('car-9');
    expect(kept.reason).toMatch(/seq/);
    expect(JSON.parse(kept.payload.toString())).toEqual(bad);
    expect(fixture.sink.db.prepare('SELECT COUNT(*) FROM quarantine').pluck().get()).toBe(1); // no id: dropped
    await c.endAsync();
  });

  it('keeps a retained status topic: online while connected, offline after stop', async () => {
    await until(
      () =>
        fixture.sink.db.prepare("SELECT state FROM unit_status WHERE unit = 'car-1'").pluck().get() ===
        'online',
      10_000,
      'online status',
    );
    const c = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
    const seen: string[] = [];
    c.on('message', (_t, p) => seen.push((JSON.parse(p.toString()) as { state: string }).state));
    await c.subscribeAsync(`lpr/v1/${AGENCY}/car-1/status`, { qos: 1 });
    await until(() => seen.length >= 1, 5000, 'retained status');
    expect(seen[0]).toBe('online');
    const status = JSON.parse(
      fixture.sink.db.prepare("SELECT payload FROM unit_status WHERE unit = 'car-1'").pluck().get() as string,
    ) as {
      software: string;
      hotlists: { listId: string; version: number; ageSec: number }[];
      queueDepth: number;
      roster: unknown;
      lastRejected: unknown;
    };
    // HQ learns from the status which roster the unit holds and what it last refused, and why.
    expect(status.roster).toEqual({ rosterId: 'main', version: 1 });
    expect(status.lastRejected).toEqual({
      ts: expect.any(Number),
      topic: expect.stringMatching(/^lpr\/v1\/nyspd\//),
      reason: inbound('rejected').at(-1)!.reason,
    });
    expect(status.software).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.hotlists).toEqual(
      expect.arrayContaining([
        { listId: 'ncic-stolen', version: 3, ageSec: expect.any(Number) },
        { listId: 'amber-alerts', version: 1, ageSec: expect.any(Number) },
        { listId: 'hq-notes', version: 1, ageSec: expect.any(Number) },
      ]),
    );
    expect(status.hotlists).toHaveLength(3);
    expect(status.queueDepth).toBe(0);
    await sync.stop();
    await until(() => seen.at(-1) === 'offline', 5000, 'offline status');
    await c.endAsync();
  });
});
