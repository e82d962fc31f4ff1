import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SdNotifier } from '../src/health/sd-notify.js';
import { HealthServer } from '../src/health/server.js';
import { healthSchema } from '../src/health/config.js';
import { openLiveCamera } from '../src/capture/live.js';
import { CameraService } from '../src/capture/cameras.js';
import { configSchema } from '../src/config/schema.js';
import type { LiveCameraConfig } from '../src/capture/config.js';
import { silentLogger } from '../src/log.js';
import { waitFor, killChild, spawn } from './helpers/proc.js';

const root = path.resolve(import.meta.dirname, '..');
const unitFile = path.join(root, 'systemd/lpr-edge.service');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-sd-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the unit for checking on this machine: ExecStart's node is wherever node is here. */
function unitCopy(edit: (text: string) => string = (t) => t): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'u-'));
  const file = path.join(dir, 'lpr-edge.service');
  fs.writeFileSync(file, edit(fs.readFileSync(unitFile, 'utf8').replace('/usr/bin/node', process.execPath)));
  return file;
}

function analyze(...args: string[]) {
  return spawnSync('systemd-analyze', args, { encoding: 'utf8' });
}

describe('systemd unit', () => {
  it('passes systemd-analyze verify, and a broken copy does not', () => {
    const ok = analyze('verify', unitCopy());
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // verify exits 0 on parse warnings, so the check (here and in CI) is "no output at all".
    const broken = analyze(
      'verify',
      unitCopy((t) => t.replace('Type=notify', 'Type=notfy')),
    );
    expect(broken.stderr).toMatch(/Failed to parse service type/);
    const missing = analyze(
      'verify',
      unitCopy((t) => t.replace(process.execPath, '/nonexistent/node')),
    );
    expect(missing.status).not.toBe(0);
  });

  it('scores at most 2.0 on systemd-analyze security; the same unit without hardening fails the threshold', () => {
    const ok = analyze('security', '--offline=true', '--threshold=20', unitCopy());
    expect(ok.stdout).toMatch(/Overall exposure level for lpr-edge.service: 1\.\d/);
    expect(ok.status).toBe(0);
    const weak = analyze(
      'security',
      '--offline=true',
      '--threshold=20',
      unitCopy((t) => t.split('# Privileges')[0]!),
    );
    expect(weak.status).not.toBe(0);
  });

  it('has what the daemon relies on', () => {
    const t = fs.readFileSync(unitFile, 'utf8');
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'WatchdogSec=30',
      'Restart=on-failure',
      'User=lpr-edge',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/lpr-edge',
      'NoNewPrivileges=yes',
      'DevicePolicy=closed',
      'DeviceAllow=char-video4linux rw',
    ]) {
      expect(t).toContain(line);
    }
  });
});

/** The unit's settings, section by section; a later assignment wins, an empty one resets (as systemd reads them). */
function unitSettings(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1]!;
    else {
      const eq = line.indexOf('=');
      (out[section] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return out;
}

describe('systemd unit: the config folder and reloads', () => {
  it('ConfigurationDirectoryMode= is the mode install.sh gives /etc/lpr-edge (else systemd warns at every start and creates it 0755)', () => {
    // systemd leaves an existing ConfigurationDirectory's mode alone but logs "already exists but
    // the mode is different" when it is not ConfigurationDirectoryMode= (default 0755).
    const service = unitSettings(fs.readFileSync(unitFile, 'utf8')).Service!;
    expect(service.ConfigurationDirectory).toBe('lpr-edge');
    const dest = path.join(tmp, 'installed');
    const r = spawnSync(
      path.join(root, 'scripts/install.sh'),
      ['--root', dest, '--user', 'nobody', '--no-apt', '--prefix', path.join(tmp, 'prefix')],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const installedMode = (fs.statSync(path.join(dest, 'etc/lpr-edge')).mode & 0o7777)
      .toString(8)
      .padStart(4, '0');
    expect(service.ConfigurationDirectoryMode).toBe(installedMode);
  }, 120_000);

  it('reload signals the daemon only: ExecReload=/bin/kill -HUP $MAINPID, since SIGHUP kills its ffmpeg children', async () => {
    const service = unitSettings(fs.readFileSync(unitFile, 'utf8')).Service!;
    expect(service.ExecReload).toBe('/bin/kill -HUP $MAINPID');
    // Stopping still takes the whole control group (ffmpeg included) down.
    expect(service.KillMode ?? 'control-group').toBe('control-group');
    // Why: "systemctl kill -s HUP" signals every process of the unit, and ffmpeg (as the capture
    // runs it) dies on SIGHUP instead of being stopped in order by the daemon.
    const ffmpeg = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=5',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let bytes = 0;
    ffmpeg.stdout!.on('data', (d: Buffer) => (bytes += d.length));
    const exited = new Promise<NodeJS.Signals | null>((res) =>
      ffmpeg.once('exit', (_code, signal) => res(signal)),
    );
    await waitFor(() => bytes > 0, 10_000);
    ffmpeg.kill('SIGHUP');
    expect(await exited).toBe('SIGHUP');
  }, 30_000);
});

describe('systemd unit: restarts', () => {
  it('keeps restarting a failing daemon forever: no start limit ever leaves the reader dead until a reboot', () => {
    const { Unit: unit = {}, Service: service = {} } = unitSettings(fs.readFileSync(unitFile, 'utf8'));
    // Failures that must be retried: a failed start (exit 1), SIGHUP's restart (exit 75), a crash.
    expect(service.Restart).toBe('on-failure');
    for (const key of ['RestartPreventExitStatus', 'SuccessExitStatus']) {
      expect(service[key] ?? '', key).not.toMatch(/\b(1|75)\b/);
    }
    const restartSec = Number(service.RestartSec ?? '0.1');
    expect(restartSec).toBeGreaterThan(0);
    expect(restartSec).toBeLessThanOrEqual(30);
    expect(unit.StartLimitAction ?? 'none').toBe('none');
    // systemd's start rate limit (systemd.unit(5)): more than StartLimitBurst starts within
    // StartLimitIntervalSec and the unit is failed for good; an interval of 0 turns it off.
    // Defaults when unset: 10 s and 5 (DefaultStartLimit* in system.conf).
    const interval = Number(unit.StartLimitIntervalSec ?? '10');
    const burst = Number(unit.StartLimitBurst ?? '5');
    // A fault that lasts two hours: each start fails after about 3 s, then RestartSec passes.
    const starts = Array.from({ length: Math.ceil(7200 / (restartSec + 3)) }, (_, i) => i * (restartSec + 3));
    const refused = starts.findIndex(
      (t, i) => interval > 0 && starts.slice(0, i).filter((s) => s > t - interval).length >= burst,
    );
    expect(refused, `start ${refused + 1} (after ${starts[refused]} s) would be refused for good`).toBe(-1);
    // And every directive is one this systemd knows (Debian 12: 252, so no RestartSteps=).
    const verify = analyze('verify', unitCopy());
    expect(verify.stderr).toBe('');
  });
});

describe('sd_notify through systemd-notify', () => {
  it('sends READY with our PID and watchdog pings from the event loop, and withholds them when unhealthy', async () => {
    const sock = path.join(tmp, 'notify.sock');
    const recv = spawn(
      '/usr/bin/python3',
      [path.join(import.meta.dirname, 'fixtures/notify-socket.py'), sock],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    recv.stdout!.on('data', (d) => (out += String(d)));
    try {
      await waitFor(() => out.includes('READY\n'), 5000, 'notify socket');
      let healthy = true;
      const n = new SdNotifier({
        env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' },
        healthy: () => healthy,
      });
      expect(n.watchdogMs).toBe(400);
      await n.ready('3 cameras streaming');
      await waitFor(() => (out.match(/WATCHDOG=1/g)?.length ?? 0) >= 3, 5000, 'three watchdog pings');
      expect(out).toContain(`READY=1 STATUS=3 cameras streaming MAINPID=${process.pid}`);
      healthy = false;
      // Pings are counted as they are sent (before their systemd-notify child starts): those
      // already on their way arrive, and no new one is sent.
      const received = () => out.match(/WATCHDOG=1/g)!.length;
      const sent = n.pings;
      await waitFor(() => received() === sent, 5000, 'the pings sent while healthy');
      await new Promise((r) => setTimeout(r, 1000));
      expect(n.pings).toBe(sent);
      expect(received()).toBe(sent);
      await n.stopping();
      await waitFor(() => out.includes('STOPPING=1'), 3000, 'STOPPING');
      // Without NOTIFY_SOCKET (not under systemd) nothing is sent and nothing fails.
      const off = new SdNotifier({ env: {} });
      expect(off.enabled).toBe(false);
      await off.ready();
    } finally {
      await killChild(recv);
    }
  });
});

describe('/healthz and /metrics', () => {
  it('refuses to listen anywhere but loopback', () => {
    expect(healthSchema.safeParse({ host: '0.0.0.0' }).success).toBe(false);
    expect(healthSchema.parse({})).toEqual({ enabled: true, host: '127.0.0.1', port: 9108 });
  });

  it('reports per-camera frame rate and problems from real cameras', async () => {
    const cfg = (c: Record<string, unknown>) => configSchema.shape.cameras.parse([c])[0] as LiveCameraConfig;
    const good = openLiveCamera(
      cfg({ id: 'front', kind: 'v4l2', device: '/dev/video0', width: 128, height: 96, fps: 10 }),
      {
        log: silentLogger(),
        v4l2Args: (c) => ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${c.width}x${c.height}:rate=${c.fps}`],
      },
    );
    const bad = openLiveCamera(
      cfg({
        id: 'rear',
        kind: 'rtsp',
        position: 'rear',
        url: 'rtsp://127.0.0.1:1/none',
        width: 128,
        height: 96,
        reconnect: { initialMs: 200 },
      }),
      { log: silentLogger() },
    );
    const cams = new CameraService([good, bad], () => undefined, silentLogger());
    await cams.start();
    const server = new HealthServer({
      host: '127.0.0.1',
      port: 0,
      log: silentLogger(),
      collect: () => ({
        unitId: 'car-12',
        uptimeS: 5,
        cameras: cams.health().cameras,
        gps: null,
        reads: 7,
        outboxDepth: 2,
        hotlistAgeS: { ncic: 3600 },
        hotlistMaxAgeS: 86400,
        inference: { lastMs: 41, avgMs: 38.5, count: 90 },
      }),
    });
    await server.start();
    try {
      await waitFor(() => good.health().fps >= 5, 10_000, 'camera at speed');
      await waitFor(() => bad.health().state === 'reconnecting', 10_000, 'the rear camera reconnecting');
      const base = `http://127.0.0.1:${server.port}`;
      const h = await fetch(`${base}/healthz`);
      expect(h.status).toBe(503);
      const body = (await h.json()) as { status: string; problems: string[] };
      expect(body.status).toBe('degraded');
      expect(body.problems.join('\n')).toMatch(/camera rear reconnecting/);
      const m = await (await fetch(`${base}/metrics`)).text();
      const fps = Number(
        /lpr_camera_fps\{camera="front",position="front",kind="v4l2"\} ([\d.]+)/.exec(m)?.[1],
      );
      // A 10 fps source: the figure is a rate, not a frame count, and it is not zero. The lower
      // bound is loose because a loaded CI machine can slow ffmpeg's -re pacing between reads.
      expect(fps).toBeGreaterThan(2);
      expect(fps).toBeLessThan(15);
      expect(m).toContain('lpr_camera_up{camera="rear",position="rear",kind="rtsp"} 0');
      expect(m).toContain('lpr_reads_stored 7');
      expect(m).toContain('lpr_outbox_depth 2');
      expect(m).toContain('lpr_inference_avg_ms 38.5');
      expect(m).toContain('lpr_hotlist_age_seconds{list="ncic"} 3600');
      expect(m).toContain('lpr_up{unit="car-12"} 0');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await server.stop();
      await cams.stop();
    }
  });
});
