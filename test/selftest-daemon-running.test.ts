import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { DataDirLock } from '../src/store/data-dir-lock.js';
import { HealthServer } from '../src/health/server.js';
import type { UnitStatus } from '../src/health/metrics.js';
import { silentLogger } from '../src/log.js';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { freePort } from './helpers/proc.js';

/**
 * `lpr-edge selftest` on a unit whose daemon is running: a USB camera or a serial GPS receiver
 * opened a second time is either refused (EBUSY) or steals frames and sentences from the daemon,
 * so selftest must not open them and must say why, taking their state from the daemon's /healthz.
 */
const tmp = tempDir('lpr-selftest-busy-');
const locks: DataDirLock[] = [];
afterAll(() => {
  for (const l of locks) l.release();
});

/** The CLI, asynchronously: the test process serves the daemon's /healthz meanwhile. */
function selftest(config: string): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const c = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/lpr-edge.js'),
        'selftest',
        '--json',
        '--config',
        config,
        '--gps-seconds',
        '1',
        '--min-free-mb',
        '1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += String(d)));
    c.stderr.on('data', (d) => (stderr += String(d)));
    c.once('exit', (status) => resolve({ stdout, stderr, status }));
  });
}

/** A unit with a USB camera and a serial GPS receiver that do not exist here (no V4L2 on this kernel). */
async function unit(
  name: string,
  health: boolean,
): Promise<{ config: string; dataDir: string; port: number }> {
  const dataDir = path.join(tmp, name, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const config = path.join(tmp, name, 'config.yaml');
  fs.writeFileSync(
    config,
    stringify({
      unitId: 'car-12',
      agency: 'pd',
      dataDir,
      cameras: [{ kind: 'v4l2', id: 'front', device: '/dev/video-lpr-test-none', width: 640, height: 480 }],
      gps: { source: 'serial', path: '/dev/ttyLPR-test-none', baud: 4800 },
      vision: embeddedDefaults().vision,
      health: { enabled: health, host: '127.0.0.1', port },
    }),
  );
  return { config, dataDir, port };
}

type Check = { check: string; status: string; detail: string; fix?: string };
const by = (out: string, name: string) => (JSON.parse(out) as Check[]).find((c) => c.check === name)!;

describe('selftest while the daemon runs', () => {
  it("does not open the USB camera or the serial GPS; says they are the daemon's, with its /healthz state", async () => {
    const u = await unit('with-health', true);
    // The daemon's lock on the data folder (held by this test process, a live pid).
    locks.push(DataDirLock.acquire(u.dataDir, { holder: 'daemon' }));
    const status: UnitStatus = {
      unitId: 'car-12',
      uptimeS: 600,
      cameras: [
        {
          id: 'front',
          name: 'front',
          position: 'front',
          kind: 'v4l2',
          state: 'streaming',
          fps: 14.8,
          lastFrameAgeMs: 40,
          frames: 8800,
          dropped: 0,
          errors: 0,
        } as UnitStatus['cameras'][number],
      ],
      gps: {
        connected: true,
        fixAgeMs: 600,
        mode: 3,
        satellites: 9,
        hdop: 0.9,
        fixes: 590,
        lost: 0,
      } as UnitStatus['gps'],
    };
    const server = new HealthServer({
      host: '127.0.0.1',
      port: u.port,
      log: silentLogger(),
      collect: () => status,
    });
    await server.start();
    try {
      const r = await selftest(u.config);
      expect(r.stderr).toBe('');
      const cam = by(r.stdout, 'camera front');
      expect(cam.status).toBe('pass');
      expect(cam.detail).toBe(
        `in use by the running lpr-edge daemon (pid ${process.pid}), not opened a second time; its /healthz: streaming, 14.8 frames/s`,
      );
      const gps = by(r.stdout, 'gps');
      expect(gps.status).toBe('pass');
      expect(gps.detail).toBe(
        `serial /dev/ttyLPR-test-none in use by the running lpr-edge daemon (pid ${process.pid}), not opened a second time; its /healthz: connected, fix 0.6 s old`,
      );
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('without /healthz, skips them naming the daemon and how to see their state', async () => {
    const u = await unit('no-health', false);
    locks.push(DataDirLock.acquire(u.dataDir, { holder: 'daemon' }));
    const r = await selftest(u.config);
    expect(r.stderr).toBe('');
    const cam = by(r.stdout, 'camera front');
    expect(cam).toEqual({
      check: 'camera front',
      status: 'skip',
      detail: `in use by the running lpr-edge daemon (pid ${process.pid}), not opened a second time; enable health in the config to see its state here, or stop the daemon (sudo systemctl stop lpr-edge) to test it`,
    });
    expect(by(r.stdout, 'gps').status).toBe('skip');
  }, 120_000);
});
