import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { checkBroker } from '../src/selftest/broker.js';
import { freePort, waitFor, killChild, spawn, portOpen } from './helpers/proc.js';

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
