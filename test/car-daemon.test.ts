import { describe, it, expect, afterAll, afterEach } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { freePort, waitFor, killChild, spawn, portOpen } from './helpers/proc.js';
import { nmeaLog, straightDrive } from './helpers/nmea-track.js';
import { importCurrentHotlist } from './helpers/hotlist-fixtures.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-daemon-'));
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0).reverse()) await killChild(c);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function start(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): { child: ChildProcess; out: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  return { child, out: () => out };
}

describe('lpr-edge run under a systemd-like supervisor', () => {
  it('notifies READY, pings the watchdog, serves health for its RTSP camera and gpsd, survives the camera going away, and stops cleanly', async () => {
    const rtspPort = await freePort();
    const gpsPort = await freePort();
    const healthPort = await freePort();
    const startRtsp = async () => {
      const s = start('/usr/bin/python3', [
        path.join(import.meta.dirname, 'fixtures/rtsp-server.py'),
        String(rtspPort),
        '320',
        '240',
        '10',
      ]);
      await waitFor(() => s.out().includes('READY'), 10_000, 'RTSP server');
      return s.child;
    };
    // A unit without a hotlist is degraded (nothing to alert on): this one has the agency's list.
    // Imported before the GPS log is made, so its time does not put GPS time behind the clock.
    await importCurrentHotlist(path.join(tmp, 'data'));
    let rtsp = await startRtsp();
    const log = path.join(tmp, 'drive.nmea');
    // Ten minutes of drive from about now, one burst (6 sentences) a second as a receiver sends it:
    // gpsd's TPV times then agree with the unit's clock, which /healthz checks (a faster pace, or
    // the log looping back, would put GPS time seconds off the clock and the unit degraded).
    fs.writeFileSync(log, nmeaLog(straightDrive(Date.now() + 2000, 600)));
    start('gpsfake', ['-P', String(gpsPort), '-n', '-c', '0.166', '-q', log]);
    const sock = path.join(tmp, 'notify.sock');
    const notify = start('/usr/bin/python3', [
      path.join(import.meta.dirname, 'fixtures/notify-socket.py'),
      sock,
    ]);
    await waitFor(() => notify.out().includes('READY\n'), 5000, 'notify socket');

    const { vision } = embeddedDefaults();
    const cfgFile = path.join(tmp, 'config.yaml');
    fs.writeFileSync(
      cfgFile,
      stringify({
        unitId: 'car-12',
        agency: 'nyspd',
        dataDir: path.join(tmp, 'data'),
        vision,
        cameras: [
          {
            id: 'front',
            kind: 'rtsp',
            url: `rtsp://127.0.0.1:${rtspPort}/cam`,
            width: 320,
            height: 240,
            fps: 10,
            reconnect: { initialMs: 300, maxMs: 1000 },
          },
        ],
        gps: { source: 'gpsd', port: gpsPort },
        // A port of its own: a console that cannot listen makes /healthz degraded.
        console: { port: await freePort() },
        health: { port: healthPort },
        log: { level: 'warn' },
      }),
    );
    const daemon = start(process.execPath, [path.join(root, 'bin/lpr-edge.js'), 'run', '--config', cfgFile], {
      NOTIFY_SOCKET: sock,
      WATCHDOG_USEC: '1000000',
    });
    const exited = new Promise<number | null>((r) => daemon.child.once('exit', (code) => r(code)));

    await waitFor(() => notify.out().includes('READY=1'), 60_000, `READY from the daemon: ${daemon.out()}`);
    expect(notify.out()).toContain(`MAINPID=${daemon.child.pid}`);
    await waitFor(() => (notify.out().match(/WATCHDOG=1/g)?.length ?? 0) >= 2, 5000, 'watchdog pings');

    const base = `http://127.0.0.1:${healthPort}`;
    const metric = async (re: RegExp) => Number(re.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
    await waitFor(
      async () => (await metric(/lpr_camera_up\{camera="front",position="front",kind="rtsp"\} (\d)/)) === 1,
      30_000,
      'camera up in /metrics',
    );
    await waitFor(async () => (await metric(/lpr_gps_connected (\d)/)) === 1, 15_000, 'GPS in /metrics');
    let lastProblems: unknown;
    await waitFor(
      async () => {
        const res = await fetch(`${base}/healthz`);
        lastProblems = ((await res.json()) as { problems: string[] }).problems;
        return res.status === 200;
      },
      15_000,
      '/healthz ok',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; problems: ${JSON.stringify(lastProblems)}`);
    });
    // Inference time of the last frame is reported once the camera's frames go through vision.
    await waitFor(
      async () => (await metric(/lpr_inference_last_ms ([\d.]+)/)) > 0,
      15_000,
      'inference ms in /metrics',
    );

    // The camera goes away: the daemon keeps running (watchdog still pinged) and reports it.
    await killChild(rtsp);
    await waitFor(async () => (await fetch(`${base}/healthz`)).status === 503, 20_000, '/healthz degraded');
    const body = (await (await fetch(`${base}/healthz`)).json()) as { problems: string[] };
    expect(body.problems.join(' ')).toMatch(/camera front reconnecting/);
    const pings = notify.out().match(/WATCHDOG=1/g)!.length;
    await waitFor(
      () => notify.out().match(/WATCHDOG=1/g)!.length > pings,
      5000,
      'pings while a camera is down',
    );
    await waitFor(async () => !(await portOpen(rtspPort)), 5000, 'RTSP port released');
    rtsp = await startRtsp();
    await waitFor(async () => (await fetch(`${base}/healthz`)).status === 200, 30_000, 'camera back');
    expect(
      await metric(/lpr_camera_reconnects_total\{camera="front",position="front",kind="rtsp"\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);

    daemon.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(notify.out()).toContain('STOPPING=1');
  }, 180_000);
});
