import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load.js';
import { HqSink } from '../src/hq/sink.js';
import { silentLogger } from '../src/log.js';
import { checkHqKey } from '../src/selftest/broker.js';
import { syncFilesProblem } from '../src/sync/files.js';
import { createSyncService } from '../src/sync/service.js';
import { loadPrivateKey, signDocument } from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { killChild } from './helpers/proc.js';
import { unitAnsweringPulls } from './helpers/unit-answering-pulls.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// Every HQ consumer signs acks, so every one held HQ's only private key: the key that also signs
// hotlists, rosters and pull requests. A unit may now list more HQ keys by keyId, each for what it
// signs: a consumer holding an ack key acknowledges records and can do nothing else.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-sync-ack-key-', { sink: false });
const { dir: tmp } = fixture;
const keys = path.join(tmp, 'keys');

beforeAll(async () => {
  // As headquarters makes them: its main pair, and a pair for the consumers' acks.
  for (const name of [[], ['--name', 'hq-ack']]) {
    const r = await hqSinkCli('keygen', '--out', keys, ...name);
    expect(r.code).toBe(0);
  }
});

async function hqSinkCli(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(root, 'scripts/hq-sink.mjs'), ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

const key = (name: string) => path.join(keys, name);
const ackOnly = () => [{ keyId: 'hq-ack', publicKey: key('hq-ack.pub'), signs: ['ack'] }];

describe('a separate ack key', () => {
  it('a consumer holding only the ack key (hq-sink run --key-id) gets records acknowledged, and can sign nothing else the unit takes', async () => {
    const { car, sync } = unitAnsweringPulls(fixture, 'car-1', {
      hqPublicKey: key('hq-signing.pub'),
      hqKeys: ackOnly(),
      // Sent again soon: the consumer (a process of its own) may subscribe after the first send.
      ackTimeoutMs: 1500,
    });
    const reads = Array.from({ length: 5 }, (_, i) =>
      car.reads.save({ ...makeRead(i), plate: 'ACK1234' }, { crop: null, overview: null }),
    );
    const consumer = spawn(process.execPath, [
      path.join(root, 'scripts/hq-sink.mjs'),
      'run',
      ...fixture.hqSinkArgs(path.join(tmp, 'hq.db'), key('hq-ack.key')),
      '--key-id',
      'hq-ack',
    ]);
    let consumerErr = '';
    consumer.stderr.on('data', (d: Buffer) => (consumerErr += String(d)));
    const inbound = (outcome: string) =>
      car.db.prepare('SELECT kind, reason FROM sync_inbound WHERE outcome = ? ORDER BY id').all(outcome) as {
        kind: string;
        reason: string;
      }[];
    // Whoever holds the ack key (a consumer's disk, a leaked backup), signing as it likes.
    const ackKey = loadPrivateKey(key('hq-ack.key'));
    const publish = async (kind: string, doc: object, keyId?: string) => {
      const raw = new HqSink({
        url: fixture.broker.url,
        username: 'hq',
        password: 'hq-secret',
        dbFile: ':memory:',
        consume: false,
      });
      await raw.start();
      try {
        await raw.publishRaw(AGENCY, 'car-1', kind, JSON.stringify(signDocument(doc, ackKey, keyId)));
      } finally {
        await raw.stop();
      }
    };
    await sync.start();
    try {
      // The consumer's acks, signed with the ack key and its keyId, are taken: the outbox empties.
      await until(() => sync.outbox.depth() === 0, 30_000, 'every read acknowledged');
      expect(car.db.prepare('SELECT COUNT(*) FROM reads WHERE acked_at IS NOT NULL').pluck().get()).toBe(5);
      expect(inbound('rejected')).toEqual([]);

      // The same key signs no pull request (the one path read data leaves by), hotlist or roster:
      // under its own keyId it is refused for them, under another (or none) it is not HQ's key.
      const pull = {
        v: 1,
        requestId: randomUUID(),
        agency: AGENCY,
        unit: 'car-1',
        issuedAt: Date.now(),
        requester: 'mallory',
        purpose: 'investigation-vehicle',
        caseNumber: 'C-1',
        attestation: true,
        criteria: { plate: 'ACK1234' },
      };
      const hotlist = {
        type: 'hotlist',
        agency: AGENCY,
        listId: 'ncic',
        kind: 'full',
        version: 99,
        issuedAt: Date.now(),
        entries: [],
      };
      await publish('pull', pull, 'hq-ack');
      await publish('hotlist', hotlist, 'hq-ack');
      await publish(
        'roster',
        { type: 'roster', agency: AGENCY, rosterId: 'r', version: 9, issuedAt: Date.now(), users: [] },
        'hq-ack',
      );
      await publish('pull', { ...pull, requestId: randomUUID() });
      await publish('hotlist', hotlist, 'hq-main');
      await until(() => inbound('rejected').length === 5, 10_000, 'five documents rejected');
      // (Pulls are recorded once handled, after the search: not necessarily in arrival order.)
      const byReason = (a: { reason: string }, b: { reason: string }) => a.reason.localeCompare(b.reason);
      expect(inbound('rejected').sort(byReason)).toEqual(
        [
          {
            kind: 'pull',
            reason: 'pull: signed with key "hq-ack", which signs ack only, not a pull request',
          },
          {
            kind: 'hotlist',
            reason: 'hotlist: signed with key "hq-ack", which signs ack only, not a hotlist',
          },
          { kind: 'roster', reason: 'roster: signed with key "hq-ack", which signs ack only, not a roster' },
          { kind: 'pull', reason: 'pull: signature does not verify against headquarters’ public key' },
          { kind: 'hotlist', reason: 'hotlist: signature does not verify against headquarters’ public key' },
        ].sort(byReason),
      );
      expect(car.db.prepare('SELECT COUNT(*) FROM query_log').pluck().get()).toBe(0);

      // HQ's main key signs everything as before, acks included (no keyId).
      const hq = new HqSink({
        url: fixture.broker.url,
        username: 'hq',
        password: 'hq-secret',
        dbFile: ':memory:',
        consume: false,
        signingKey: key('hq-signing.key'),
      });
      await hq.start();
      try {
        const answer = await hq.pull(
          AGENCY,
          'car-1',
          {
            requester: 'det.jones',
            purpose: 'investigation-vehicle',
            caseNumber: 'C-2',
            attestation: true,
            criteria: { plate: 'ACK1234' },
          },
          { resendMs: 20_000, attempts: 1 },
        );
        expect(answer).toMatchObject({ status: 'answered', count: 5 });
        expect(new Set(answer.reads.map((r) => r.id))).toEqual(new Set(reads.map((r) => r.id)));
      } finally {
        await hq.stop();
      }
      expect(consumerErr).toBe('');
    } finally {
      await killChild(consumer);
      await sync.stop();
      car.db.close();
    }
  });

  it('a unit that does not list the ack key refuses its acks (sync.hqPublicKey alone, as before)', async () => {
    const dataDir = path.join(tmp, 'car-2');
    const car = openStore(dataDir);
    car.reads.save(makeRead(1, 'car-2'), { crop: null, overview: null });
    const config = unitConfig(
      dataDir,
      fixture.unitSync({
        hqPublicKey: key('hq-signing.pub'),
        ackTimeoutMs: 60_000,
      }),
      'car-2',
    );
    const sync = createSyncService({ config, db: car.db, reads: car.reads, log: silentLogger() });
    const consumer = new HqSink({
      url: fixture.broker.url,
      username: 'hq',
      password: 'hq-secret',
      dbFile: path.join(tmp, 'hq-2.db'),
      group: 'hq-2',
      signingKey: key('hq-ack.key'),
      signingKeyId: 'hq-ack',
    });
    await consumer.start();
    await sync.start();
    try {
      await until(
        () => consumer.count() >= 1 && consumer.stats.acksSent >= 1,
        10_000,
        'the read at HQ, acknowledged',
      );
      await until(
        () =>
          car.db
            .prepare("SELECT COUNT(*) FROM sync_inbound WHERE kind = 'ack' AND outcome = 'rejected'")
            .pluck()
            .get() === 1,
        10_000,
        'the ack rejected',
      );
      expect(car.db.prepare("SELECT reason FROM sync_inbound WHERE kind = 'ack'").pluck().get()).toBe(
        'ack: signature does not verify against headquarters’ public key',
      );
      expect(sync.outbox.depth()).toBe(1);
    } finally {
      await sync.stop();
      await consumer.stop();
      car.db.close();
    }
  });

  it('config: keyIds are unique and each key says what it signs; relative paths are from the config; selftest and the daemon check every key', () => {
    const dir = path.join(tmp, 'config');
    const file = path.join(tmp, 'config.yaml');
    const write = (hqKeys: string) =>
      writeFileSync(
        file,
        `unitId: u\nagency: a\ndataDir: ${dir}\nvision:\n  detector: { model: d.onnx }\n  recogniser: { model: r.onnx }\n` +
          `sync: { enabled: true, brokerUrl: "mqtt://h:1883", hqPublicKey: keys/hq-signing.pub, hqKeys: ${hqKeys} }\n`,
      );
    write('[{ keyId: hq-ack, publicKey: keys/hq-ack.pub, signs: [ack] }]');
    const sync = loadConfigFile(file).sync;
    expect(sync.hqKeys).toEqual([{ keyId: 'hq-ack', publicKey: key('hq-ack.pub'), signs: ['ack'] }]);
    expect(syncFilesProblem(sync)).toBeNull();
    expect(checkHqKey(sync)).toMatchObject({
      status: 'pass',
      detail: `Ed25519 public key ${key('hq-signing.pub')}; keys by keyId: "hq-ack" (ack) ${key('hq-ack.pub')}`,
    });
    write(
      '[{ keyId: k1, publicKey: keys/hq-ack.pub, signs: [ack] }, { keyId: k1, publicKey: keys/hq-ack.pub, signs: [pull] }]',
    );
    expect(() => loadConfigFile(file)).toThrow(/sync\.hqKeys: .*two keys with one keyId/);
    write('[{ keyId: k1, publicKey: keys/hq-ack.pub, signs: [] }]');
    expect(() => loadConfigFile(file)).toThrow(
      /sync\.hqKeys\[0\]\.signs: got \[\]; name what this key signs/,
    );
    write('[{ keyId: k1, publicKey: keys/hq-ack.pub, signs: [acks] }]');
    expect(() => loadConfigFile(file)).toThrow(/sync\.hqKeys\[0\]\.signs\[0\]: got "acks"; allowed: /);
    // A key file missing: the daemon runs without sync, saying which; selftest fails on it.
    const missing = {
      ...sync,
      hqKeys: [{ keyId: 'hq-ack', publicKey: key('nope.pub'), signs: ['ack' as const] }],
    };
    expect(syncFilesProblem(missing)).toMatch(/^sync\.hqKeys\[0\]\.publicKey .*nope\.pub: no such file/);
    expect(checkHqKey(missing)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/sync\.hqKeys\[0\]\.publicKey: file .*nope\.pub does not exist/),
    });
    // Not a public key (the private one, by mistake).
    const secret = {
      ...sync,
      hqKeys: [{ keyId: 'hq-ack', publicKey: key('hq-ack.key'), signs: ['ack' as const] }],
    };
    expect(checkHqKey(secret)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^sync\.hqKeys\[0\]\.publicKey: this is a private key; give the public one/,
      ),
    });
    // Only an ack key: HQ's hotlists, rosters and pull requests would all be refused.
    const ackOnly = { ...sync, hqPublicKey: undefined };
    expect(checkHqKey(ackOnly)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^no HQ key signs hotlist, roster, pull /),
    });
    expect(readFileSync(key('hq-ack.key'), 'utf8')).toMatch(/PRIVATE KEY/);
  });
});

describe('hq-sink', () => {
  it('keygen --name writes a pair of that name, and refuses to overwrite it; --key-id needs --key and a plain id', async () => {
    const again = await hqSinkCli('keygen', '--out', keys, '--name', 'hq-ack');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/hq-ack\.key exists; the units verify against that pair/);
    const bad = await hqSinkCli('keygen', '--out', keys, '--name', '../x');
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/--name "\.\.\/x": a file name/) });
    const noKey = await hqSinkCli('pull', '--url', fixture.broker.url, '--key-id', 'hq-ack');
    expect(noKey.stderr).toMatch(/--key-id names the key given with --key/);
    const badId = await hqSinkCli(
      'run',
      '--url',
      fixture.broker.url,
      '--db',
      path.join(tmp, 'x.db'),
      '--key',
      key('hq-ack.key'),
      '--key-id',
      'a b',
    );
    expect(badId.stderr).toMatch(/--key-id "a b": letters, digits/);
  });
});
