import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { checkBroker, checkHqKey } from '../src/selftest/broker.js';
import { freePort, waitFor, killChild, spawn, portOpen } from './helpers/proc.js';
import { makeCerts } from './helpers/mosquitto.js';
import { runCli } from './helpers/cli.js';
import { unitConfig, writeConfig } from './helpers/unit.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-broker-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('selftest broker check against Mosquitto', () => {
  it('passes with the unit credentials, fails on a wrong password and on an unreachable broker, skips without one', async () => {
    const port = await freePort();
    const pw = path.join(tmp, 'passwd');
    execFileSync('mosquitto_passwd', ['-b', '-c', pw, 'car-12', 'right-secret']);
    const conf = path.join(tmp, 'mosquitto.conf');
    fs.writeFileSync(
      conf,
      `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${pw}\npersistence false\n${process.getuid?.() === 0 ? 'user root\n' : ''}`,
    );
    const broker = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    try {
      await waitFor(() => portOpen(port), 10_000, 'mosquitto');
      const url = `mqtt://127.0.0.1:${port}`;
      expect(
        await checkBroker({ enabled: true, brokerUrl: url, username: 'car-12', password: 'right-secret' }),
      ).toMatchObject({ status: 'pass', detail: `connected and authenticated to ${url}` });
      const wrong = await checkBroker({
        enabled: true,
        brokerUrl: url,
        username: 'car-12',
        password: 'wrong',
      });
      expect(wrong).toMatchObject({ status: 'fail' });
      expect(wrong.detail).toMatch(/refused the unit's credentials/);
      expect(wrong.fix).toMatch(/unit account/);
      const dead = await freePort();
      const unreachable = await checkBroker(
        {
          enabled: true,
          brokerUrl: `mqtt://127.0.0.1:${dead}`,
          username: 'car-12',
          password: 'right-secret',
        },
        3000,
      );
      expect(unreachable).toMatchObject({ status: 'fail' });
      expect(unreachable.detail).toMatch(/cannot connect|no answer/);
      expect(await checkBroker(undefined)).toMatchObject({ status: 'skip' });
    } finally {
      await killChild(broker);
    }
  });
});

describe("selftest check of headquarters' signing key", () => {
  it('fails without the key or with one that does not load, passes with an Ed25519 public key', () => {
    const sync = { enabled: true, brokerUrl: 'mqtt://127.0.0.1:1883' };
    const missing = checkHqKey(sync);
    expect(missing).toMatchObject({ status: 'fail' });
    expect(missing.detail).toMatch(
      /sync\.hqPublicKey is not set: every hotlist, roster, pull request and ack/,
    );
    expect(missing.fix).toMatch(/provision --hq-key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(checkHqKey({ ...sync, hqPublicKey: String(rsa) }).detail).toMatch(
      /rsa key; an Ed25519 public key/,
    );
    expect(checkHqKey({ ...sync, hqPublicKey: path.join(tmp, 'gone.pub') }).detail).toMatch(/does not exist/);
    const file = path.join(tmp, 'hq.pub');
    fs.writeFileSync(file, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    expect(checkHqKey({ ...sync, hqPublicKey: file })).toMatchObject({
      status: 'pass',
      detail: `Ed25519 public key ${file}`,
    });
    expect(checkHqKey(undefined)).toMatchObject({ status: 'skip' });
  });
});

describe("lpr-edge selftest with a client key that is not the certificate's", () => {
  it('fails the broker check naming sync.cert and sync.key, and keeps every other result', async () => {
    const certs = makeCerts(path.join(tmp, 'pki'));
    const car = certs.client('car-1');
    const other = certs.client('car-2');
    const file = writeConfig(
      path.join(tmp, 'mismatch.json'),
      unitConfig(path.join(tmp, 'mismatch-data'), {
        brokerUrl: `mqtts://127.0.0.1:${await freePort()}`,
        ca: certs.ca,
        cert: car.cert,
        key: other.key,
      }),
    );
    const r = await runCli([
      'selftest',
      '--json',
      '--config',
      file,
      '--gps-seconds',
      '0',
      '--min-free-mb',
      '1',
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at |unexpected error/);
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.stdout) as { check: string; status: string; detail: string; fix?: string }[];
    expect(checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['config', 'models', 'disk', 'database', 'broker']),
    );
    const broker = checks.find((c) => c.check === 'broker')!;
    expect(broker.status).toBe('fail');
    expect(broker.detail).toMatch(
      /sync\.key .*client-car-2\.key does not belong to the client certificate sync\.cert .*client-car-1\.crt/,
    );
    expect(broker.fix).toMatch(/give sync\.key the private key issued with the certificate sync\.cert/);
  }, 120_000);
});
