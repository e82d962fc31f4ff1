import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { Daemon } from '../src/daemon.js';
import { NY_SEDAN, renderShortDrive } from './helpers/video.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { silentLogger } from '../src/log.js';
import { tempDir } from './helpers/tmp.js';
import { freePort, waitFor } from './helpers/proc.js';

const dir = tempDir('daemon-health-');
let daemon: Daemon | undefined;
const servers: net.Server[] = [];
afterAll(async () => {
  await daemon?.stop();
  for (const s of servers) s.close();
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

describe('/healthz on a unit that is losing reads', () => {
  it('reports failed saves, a stale GPS fix, a recording that cannot be opened and a console that cannot listen; counts inference frames', async () => {
    const video = path.join(dir, 'drive.mp4');
    await renderShortDrive(video, [NY_SEDAN]);
    // A gpsd that gives one fix and then nothing more, while staying connected (a receiver that lost the sky).
    const gpsd = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write(
        JSON.stringify({ class: 'TPV', mode: 3, time: new Date().toISOString(), lat: 42.65, lon: -73.75 }) +
          '\n',
      );
    });
    const gpsPort = await listen(gpsd);
    // Something else already holds the officer console's port.
    const consolePort = await listen(net.createServer());
    const healthPort = await freePort();
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        unitId: 'car-9',
        agency: 'nyspd',
        dataDir: path.join(dir, 'data'),
        vision: embeddedDefaults().vision,
        cameras: [
          { id: 'front', kind: 'file', path: video },
          { id: 'rear', kind: 'file', path: path.join(dir, 'not-there.mp4') },
        ],
        gps: { source: 'gpsd', port: gpsPort, maxFixAgeMs: 1000 },
        console: { port: consolePort },
        health: { port: healthPort },
      }),
    );
    daemon = await Daemon.start({ configPath: config, log: silentLogger() });
    // The disk is full: every save fails as SQLite or the image write would.
    daemon.unit.reads.save = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const healthz = async () =>
      (await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).json()) as {
        status: string;
        problems: string[];
        cameras: { id: string; state: string }[];
      };
    await waitFor(
      async () => (await healthz()).cameras.find((c) => c.id === 'front')?.state === 'ended',
      120_000,
      'the recording to end',
    );
    const res = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect(res.status).toBe(503);
    const body = await healthz();
    expect(body.status).toBe('degraded');
    expect(body.cameras.map((c) => [c.id, c.state])).toEqual([
      ['front', 'ended'],
      ['rear', 'failed'],
    ]);
    const problems = body.problems.join('\n');
    expect(problems).toMatch(/camera front cannot store reads: ENOSPC/);
    expect(problems).toMatch(/camera rear failed: .*not-there\.mp4/);
    expect(problems).toMatch(/GPS fix is \d+ s old/);
    expect(problems).toMatch(new RegExp(`officer console not listening: 127\\.0\\.0\\.1:${consolePort}`));
    // No list was ever imported: every read is checked against nothing.
    expect(problems).toMatch(/no hotlist loaded \(policy IV\.C\.1\): import one/);
    // A recording that played to its end is not a problem.
    expect(problems).not.toMatch(/camera front ended/);
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    expect(Number(/lpr_inference_frames_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/lpr_store_failures_total 1\n/);
    // The mean inference time is measured, as documented; read and hit totals are rows held, which
    // the retention purge lowers: gauges, not counters (a counter that falls reads as a restart).
    expect(Number(/lpr_inference_avg_ms ([\d.]+)\n/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/# TYPE lpr_reads_stored gauge\nlpr_reads_stored 0\n/);
    expect(metrics).toMatch(/# TYPE lpr_hits_stored gauge\nlpr_hits_stored 0\n/);
    expect(metrics).not.toMatch(/lpr_(reads|hits)_total/);
  }, 180_000);
});

describe('/healthz on a unit set up to read nothing', () => {
  it('is degraded, not ok, with no camera configured and no hotlist loaded', async () => {
    const healthPort = await freePort();
    const config = path.join(dir, 'bare.yaml');
    writeFileSync(
      config,
      stringify({
        unitId: 'car-10',
        agency: 'nyspd',
        dataDir: path.join(dir, 'bare-data'),
        vision: embeddedDefaults().vision,
        cameras: [],
        console: { port: await freePort() },
        health: { port: healthPort },
      }),
    );
    const bare = await Daemon.start({ configPath: config, log: silentLogger() });
    try {
      const res = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
      const body = (await res.json()) as { status: string; problems: string[] };
      expect({ code: res.status, status: body.status, problems: body.problems }).toEqual({
        code: 503,
        status: 'degraded',
        problems: [
          'no camera configured: add one under cameras in the config (lpr-edge provision writes them)',
          "no hotlist loaded (policy IV.C.1): import one (lpr-edge hotlist import FILE) or enable sync to receive HQ's",
        ],
      });
      const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
      expect(metrics).toMatch(/lpr_up\{unit="car-10"\} 0\n/);
    } finally {
      await bare.stop();
    }
  }, 60_000);
});
