import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HqSink } from '../src/hq/sink.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { freePort } from './helpers/mosquitto.js';
import { unitAnsweringPulls } from './helpers/unit-answering-pulls.js';
import { makeRead, until } from './helpers/unit.js';

// The reference HQ tool: a unit may delete what HQ acknowledged, so only a consumer that stores
// records on disk may take them; and its inputs are checked before it connects.
const execFileAsync = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = useBrokerAndHqSink('lpr-hq-sink-cli-', { sink: false });
const { dir: tmp, hqKeys } = fixture;

async function hqSink(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileAsync(process.execPath, [path.join(root, 'scripts/hq-sink.mjs'), ...args]);
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('hq-sink', () => {
  it('takes no unit record without a database of its own, and takes it with one', async () => {
    const { car, sync } = unitAnsweringPulls(fixture, 'car-1');
    car.reads.save(makeRead(1, 'car-1'), { crop: null, overview: null });
    const auth = { url: fixture.broker.url, username: 'hq', password: 'hq-secret', flushMs: 20 };
    const publisher = new HqSink({ ...auth, dbFile: ':memory:', consume: false });
    await publisher.start();
    await sync.start();
    try {
      // The unit sends its backlog (a read and its audit records); nothing takes or acknowledges it.
      await until(() => sync.stats.published >= 1, 20_000, 'the unit publishing its backlog');
      await new Promise((r) => setTimeout(r, 1000));
      expect(publisher.count()).toBe(0);
      expect(sync.stats.acked).toBe(0);
      const consumer = new HqSink({
        ...auth,
        dbFile: path.join(tmp, 'hq.db'),
        signingKey: hqKeys.privateKeyPem,
      });
      await consumer.start();
      try {
        await until(() => consumer.count('read') === 1, 60_000, 'the read at HQ');
        await until(() => sync.stats.acked >= 1, 20_000, 'the acknowledgement at the unit');
      } finally {
        await consumer.stop();
      }
    } finally {
      await sync.stop();
      await publisher.stop();
      car.db.close();
    }
  }, 120_000);

  it('refuses run without --db or --key, bad pull dates and a public key as --key, before connecting', async () => {
    const run = await hqSink('run', '--url', fixture.broker.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/run: --db FILE is required/);
    // Its acks must be signed: the units take no other.
    const unsigned = await hqSink('run', '--url', fixture.broker.url, '--db', path.join(tmp, 'unsigned.db'));
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(
      /run: --key KEY is required \(hq-signing\.key: the units take only acks signed/,
    );
    expect(() => new HqSink({ url: fixture.broker.url, dbFile: ':memory:' })).toThrow(
      /needs the signing key/,
    );
    const keys = path.join(tmp, 'keys');
    expect((await hqSink('keygen', '--out', keys)).code).toBe(0);
    const pull = ['pull', '--url', fixture.broker.url, '--agency', 'nyspd', '--unit', 'car-1'];
    const badDate = await hqSink(...pull, '--key', path.join(keys, 'hq-signing.key'), '--from', '01/12/2026');
    expect(badDate.code).toBe(1);
    expect(badDate.stderr).toMatch(/--from: got "01\/12\/2026"; give an ISO date/);
    const publicKey = await hqSink(...pull, '--key', path.join(keys, 'hq-signing.pub'));
    expect(publicKey.code).toBe(1);
    expect(publicKey.stderr).toMatch(/hq-signing\.pub: this is a public key; give the private key/);
    // NaN would print the counters every millisecond; an unused loopback port, so a check that
    // came after connecting would fail on the connection instead.
    const run1 = ['run', '--url', 'mqtt://127.0.0.1:1', '--db', path.join(tmp, 'stats.db')];
    for (const ms of ['abc', '0', '1e3']) {
      const stats = await hqSink(...run1, '--key', path.join(keys, 'hq-signing.key'), '--stats-ms', ms);
      expect(stats.code).toBe(1);
      expect(stats.stderr).toContain(`--stats-ms "${ms}": give milliseconds from 100 to 3600000`);
    }
  });

  it('checks a hotlist or roster file before connecting, naming the file and each wrong field', async () => {
    const keys = path.join(tmp, 'doc-keys');
    expect((await hqSink('keygen', '--out', keys)).code).toBe(0);
    const key = path.join(keys, 'hq-signing.key');
    // Nothing listens here: a tool that connected first would report the broker, not the file.
    const nowhere = `mqtt://127.0.0.1:${await freePort()}`;
    const list = path.join(tmp, 'bad-list.json');
    writeFileSync(
      list,
      JSON.stringify({
        type: 'hotlist',
        agency: 'nyspd',
        listId: 'ncic-stolen',
        kind: 'full',
        version: 1,
        issuedAt: 1,
        entries: [{ plate: 'ABC1234', state: 'NY', listType: 'stolen', expires: 5 }],
      }),
    );
    const started = Date.now();
    const bad = await hqSink('hotlist', '--url', nowhere, '--key', key, '--file', list);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`--file ${list}: not a HotlistDocument (docs/asyncapi.yaml): `);
    expect(bad.stderr).toContain('entries.0.listType: Invalid option');
    expect(bad.stderr).toContain('entries.0: Unrecognized key: "expires"');
    expect(bad.stderr).not.toMatch(/could not connect|"code"/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const roster = path.join(tmp, 'bad-roster.json');
    writeFileSync(roster, '{"type": "roster",');
    const notJson = await hqSink('roster', '--url', nowhere, '--key', key, '--file', roster);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(new RegExp(`--file ${roster}: not JSON`));
  });

  it('will not replace a signing key pair the units verify against, unless told to', async () => {
    const keys = path.join(tmp, 'pair');
    expect((await hqSink('keygen', '--out', keys)).code).toBe(0);
    const before = readFileSync(path.join(keys, 'hq-signing.pub'), 'utf8');
    const again = await hqSink('keygen', '--out', keys);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/hq-signing\.key exists; the units verify against that pair.*--force/);
    expect(readFileSync(path.join(keys, 'hq-signing.pub'), 'utf8')).toBe(before);
    expect((await hqSink('keygen', '--out', keys, '--force')).code).toBe(0);
    expect(readFileSync(path.join(keys, 'hq-signing.pub'), 'utf8')).not.toBe(before);
    expect((await hqSink('--help')).code).toBe(0);
  });
});
