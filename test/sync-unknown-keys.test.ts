import { randomUUID } from 'node:crypto';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyServices } from '../src/policy/services.js';
import type { PullResponse } from '../src/sync/schemas.js';
import { createSyncService, type SyncService } from '../src/sync/service.js';
import { loadPrivateKey, signDocument } from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// A key HQ misspells in a pull request or a roster used to be dropped without a word, and the
// document applied without what it meant to say: `form` for `from` searched every sighting of the
// plate, not those of the window asked for (read data disclosed and logged beyond the request);
// `limt` for `limit` sent pullMaxResults reads; `disable` for `disabled` left a user HQ meant to
// disable able to sign in. As hotlist entries already are, these documents are refused, naming
// the key, and nothing of them is applied.
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-sync-unknown-keys-', { sink: false });
const { dir: tmp, hqKeys } = fixture;
const hqKey = loadPrivateKey(hqKeys.privateKeyPem);
let sync: SyncService;
let unit: ReturnType<typeof openStore>;
let policy: ReturnType<typeof policyServices>;
let hq: MqttClient;
const responses: PullResponse[] = [];

const inbound = () =>
  unit.db.prepare('SELECT kind, outcome, reason FROM sync_inbound ORDER BY id').all() as {
    kind: string;
    outcome: string;
    reason: string | null;
  }[];
const queryLogRows = () =>
  (unit.db.prepare('SELECT result_ids FROM query_log ORDER BY id').pluck().all() as string[]).map(
    (r) => JSON.parse(r) as string[],
  );

beforeAll(async () => {
  const dataDir = path.join(tmp, 'unit');
  unit = openStore(dataDir);
  const config = unitConfig(dataDir, fixture.unitSync());
  policy = policyServices({ db: unit.db, config });
  sync = createSyncService(
    { config, db: unit.db, reads: unit.reads, log: recordingLogger().log },
    { roster: policy.users, audit: policy.audit, queries: policy.queries },
  );
  hq = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
  hq.on('message', (topic, payload) => {
    if (topic.endsWith('/up/pull-response')) responses.push(JSON.parse(payload.toString()) as PullResponse);
  });
  await hq.subscribeAsync(`lpr/v1/${AGENCY}/car-1/up/pull-response`, { qos: 1 });
  await sync.start();
  await until(() => sync.link.connected, 10_000, 'unit to connect');
});

afterAll(async () => {
  await hq?.endAsync();
  await sync?.stop();
  unit?.db.close();
});

async function publishSigned(kind: 'pull' | 'roster', doc: unknown): Promise<void> {
  await hq.publishAsync(`lpr/v1/${AGENCY}/car-1/down/${kind}`, JSON.stringify(signDocument(doc, hqKey)), {
    qos: 1,
  });
}

describe('a document from HQ with a key the unit does not know', () => {
  it('a pull request with a misspelt criterion or option gets an error naming the key; nothing is searched or logged', async () => {
    const day = Date.UTC(2026, 10, 28);
    const inWindow = unit.reads.save(
      { ...makeRead(1, 'car-1', day + 3_600_000), plate: 'KEY1234' },
      { crop: null, overview: null },
    );
    unit.reads.save(
      { ...makeRead(2, 'car-1', day - 30 * 86_400_000), plate: 'KEY1234' },
      { crop: null, overview: null },
    );
    const base = {
      v: 1,
      agency: AGENCY,
      unit: 'car-1',
      issuedAt: Date.now(),
      requester: 'det.jones',
      purpose: 'investigation-vehicle',
      caseNumber: 'C-2026-77',
      attestation: true,
      acceptsParts: true,
    };
    const cases = [
      { criteria: { plate: 'KEY1234', form: day, to: day + 86_400_000 }, key: 'criteria', name: 'form' },
      { criteria: { plate: 'KEY1234' }, limt: 1, key: '(root)', name: 'limt' },
    ];
    for (const c of cases) {
      const { key, name, ...fields } = c;
      const requestId = randomUUID();
      await publishSigned('pull', { ...base, requestId, ...fields });
      await until(() => responses.some((r) => r.requestId === requestId), 10_000, `an answer to ${name}`);
      const answer = responses.find((r) => r.requestId === requestId)!;
      expect(answer.status, `${name}: ${JSON.stringify(answer)}`).toBe('error');
      expect(answer.reads ?? []).toEqual([]);
      expect(answer.reason).toContain(`${key}: Unrecognized key: "${name}"`);
    }
    // No search ran: the query log is empty, the read of the window was never disclosed.
    expect(queryLogRows()).toEqual([]);
    expect(JSON.stringify(responses)).not.toContain(inWindow.id);
    expect(inbound().filter((r) => r.kind === 'pull')).toEqual([
      expect.objectContaining({ outcome: 'rejected', reason: expect.stringContaining('"form"') }),
      expect.objectContaining({ outcome: 'rejected', reason: expect.stringContaining('"limt"') }),
    ]);
  });

  it('a malformed pull request for another unit, or older than a day, gets no answer from this one', async () => {
    const malformed = {
      v: 1,
      agency: AGENCY,
      unit: 'car-1',
      issuedAt: Date.now(),
      requester: 'det.jones',
      purpose: 'investigation-vehicle',
      caseNumber: 'C-2026-77',
      attestation: true,
      criteria: { plate: 'KEY1234' },
      limt: 1,
    };
    const pullRows = () => inbound().filter((r) => r.kind === 'pull');
    const before = pullRows().length;
    const forCar2 = randomUUID();
    const stale = randomUUID();
    const control = randomUUID();
    await publishSigned('pull', { ...malformed, requestId: forCar2, unit: 'car-2' });
    await publishSigned('pull', { ...malformed, requestId: stale, issuedAt: Date.now() - 2 * 86_400_000 });
    // This unit's own malformed request is answered with the error, after the two above.
    await publishSigned('pull', { ...malformed, requestId: control });
    await until(() => responses.some((r) => r.requestId === control), 10_000, 'the error to the control');
    // The unit records each request after answering it: wait for all three records, not the answer.
    await until(() => pullRows().length === before + 3, 10_000, 'the three requests recorded');
    expect(responses.filter((r) => r.requestId === forCar2 || r.requestId === stale)).toEqual([]);
    const reasons = pullRows()
      .slice(before)
      .map((r) => r.reason);
    expect(reasons[0]).toMatch(/signed for nyspd\/car-2, this unit is nyspd\/car-1/);
    expect(reasons[1]).toMatch(/outside the day a request is valid/);
    expect(reasons[2]).toMatch(/malformed pull request: \(root\): Unrecognized key: "limt"/);
  });

  it('a roster with a misspelt user field is rejected naming it, and not applied', async () => {
    const roster = (version: number, users: unknown[]) => ({
      type: 'roster',
      agency: AGENCY,
      rosterId: 'main',
      version,
      issuedAt: Date.now(),
      users,
    });
    await publishSigned(
      'roster',
      roster(1, [
        { name: 'jsmith', role: 'officer', initialTraining: '2026-01-10' },
        { name: 'mbrown', role: 'officer', initialTraining: '2026-01-10' },
      ]),
    );
    await until(() => policy.users.get('mbrown') !== undefined, 10_000, 'roster v1 applied');
    // HQ means to disable mbrown, and misspells the field.
    await publishSigned(
      'roster',
      roster(2, [
        { name: 'jsmith', role: 'admin', initialTraining: '2026-01-10' },
        { name: 'mbrown', role: 'officer', initialTraining: '2026-01-10', disable: true },
      ]),
    );
    await until(() => inbound().filter((r) => r.kind === 'roster').length === 2, 10_000, 'roster v2 handled');
    const v2 = inbound().filter((r) => r.kind === 'roster')[1]!;
    expect(v2).toMatchObject({ outcome: 'rejected' });
    expect(v2.reason).toContain('users.1: Unrecognized key: "disable"');
    // Nothing of v2 applied: jsmith is still an officer, and the roster held is v1.
    expect(policy.users.get('jsmith')?.role).toBe('officer');
    expect(
      unit.db.prepare("SELECT version FROM sync_versions WHERE name = 'roster:main'").pluck().get(),
    ).toBe(1);
  });
});
