import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { Daemon } from '../src/daemon.js';
import type { Vision } from '../src/vision/vision.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { silentLogger } from '../src/log.js';
import { tempDir } from './helpers/tmp.js';
import { freePort, killChild, spawn, waitFor } from './helpers/proc.js';

const dir = tempDir('daemon-watchdog-');
const children: ChildProcess[] = [];
let daemon: Daemon | undefined;
let release = () => {};
afterAll(async () => {
  release();
  await daemon?.stop();
  for (const c of children.reverse()) await killChild(c);
});

function start(cmd: string, args: string[]): () => string {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  return () => out;
}

/** Waits until `count()` has not changed for `ms`; returns it. */
async function unchangedFor(count: () => number, ms: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  let last = count();
  let since = Date.now();
  while (Date.now() - since < ms) {
    if (Date.now() > end) throw new Error(`still changing after ${timeoutMs} ms (at ${last})`);
    await new Promise((r) => setTimeout(r, 50));
    const now = count();
    if (now !== last) [last, since] = [now, Date.now()];
  }
  return last;
}

describe('the systemd watchdog', () => {
  it('keeps being pinged without GPS or broker, and stops when a live camera delivers frames its pipeline does not take', async () => {
    const rtspPort = await freePort();
    const rtsp = start('/usr/bin/python3', [
      path.join(import.meta.dirname, 'fixtures/rtsp-server.py'),
      String(rtspPort),
      '320',
      '240',
      '10',
    ]);
    await waitFor(() => rtsp().includes('READY'), 10_000, 'RTSP server');
    const sock = path.join(dir, 'notify.sock');
    const notify = start('/usr/bin/python3', [
      path.join(import.meta.dirname, 'fixtures/notify-socket.py'),
      sock,
    ]);
    await waitFor(() => notify().includes('READY\n'), 5000, 'notify socket');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        unitId: 'car-5',
        agency: 'nyspd',
        dataDir: path.join(dir, 'data'),
        vision: embeddedDefaults().vision,
        cameras: [
          {
            id: 'front',
            kind: 'rtsp',
            url: `rtsp://127.0.0.1:${rtspPort}/cam`,
            width: 320,
            height: 240,
            fps: 10,
          },
        ],
        // A receiver with no gpsd behind it: never connected, which a restart would not fix.
        gps: { source: 'gpsd', port: await freePort() },
        console: { port: await freePort() },
        health: { port: await freePort() },
      }),
    );
    process.env.NOTIFY_SOCKET = sock;
    process.env.WATCHDOG_USEC = '400000';
    daemon = await Daemon.start({ configPath: config, log: silentLogger(), stuckPipelineMs: 1500 });
    const pings = () => notify().match(/WATCHDOG=1/g)?.length ?? 0;
    await waitFor(() => daemon!.status().inference!.count > 5, 60_000, 'frames through vision');
    // GPS is down (a problem in /healthz), yet the watchdog is pinged: a restart would not help.
    expect(daemon.status().cameras[0]!.state).toBe('streaming');
    const before = pings();
    await waitFor(() => pings() >= before + 3, 5000, 'pings without GPS');

    // Inference hangs: frames keep arriving, none is processed.
    const vision = (daemon as unknown as { vision: Vision }).vision;
    const findPlates = vision.findPlates.bind(vision);
    const gate = new Promise<void>((r) => (release = r));
    vision.findPlates = async (...args) => {
      await gate;
      return findPlates(...args);
    };
    await waitFor(
      () => daemon!.status().problems!.some((p) => /camera front .*pipeline stuck/.test(p)),
      10_000,
      'stuck pipeline reported',
    );
    // Pings already on their way (systemd-notify children) may still arrive: the count is taken
    // once it has not changed for 1 s (it never would be while pings were still sent, every 200 ms).
    const stuckAt = await unchangedFor(pings, 1000, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(pings()).toBe(stuckAt);

    // Unstuck: pings resume.
    release();
    await waitFor(() => pings() > stuckAt, 10_000, 'pings again');
  }, 120_000);
});
