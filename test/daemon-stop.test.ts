import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { Daemon } from '../src/daemon.js';
import type { Vision } from '../src/vision/vision.js';
import { NY_SEDAN, renderShortDrive } from './helpers/video.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { silentLogger } from '../src/log.js';
import { tempDir } from './helpers/tmp.js';
import { recordingLogger } from './helpers/logger.js';
import { freePort, portOpen, waitFor } from './helpers/proc.js';

const dir = tempDir('daemon-stop-');
const daemons: Daemon[] = [];
let release = () => {};
afterAll(async () => {
  release();
  for (const d of daemons) await d.stop();
});

/** This process's ffmpeg children (the daemon runs in the test's process). */
function ffmpegChildren(): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** `work`'s outcome, or 'still waiting' when it has not settled within `ms`. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<'still waiting'>((r) => (timer = setTimeout(() => r('still waiting'), ms)));
  try {
    return await Promise.race([work, timeUp]);
  } finally {
    clearTimeout(timer);
  }
}

async function writeConfig(name: string, extra: Record<string, unknown>): Promise<string> {
  const video = path.join(dir, 'drive.mp4');
  await renderShortDrive(video, [NY_SEDAN]);
  const config = path.join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    stringify({
      unitId: 'car-7',
      agency: 'nyspd',
      dataDir: path.join(dir, `data-${name}`),
      vision: embeddedDefaults().vision,
      cameras: [{ id: 'front', kind: 'file', path: video, loop: true }],
      console: { port: await freePort() },
      ...extra,
    }),
  );
  return config;
}

describe('stopping the daemon (systemctl stop, SIGTERM)', () => {
  it('stops at once when told to while its camera is still opening, leaving no ffmpeg behind; a second stop waits for the first', async () => {
    const config = await writeConfig('opening', { health: { enabled: false } });
    const daemon = await Daemon.start({ configPath: config, log: silentLogger() });
    daemons.push(daemon);
    // Start returns while the looping recording is still being probed: stop now.
    const first = daemon.stop().then(() => 'stopped');
    const second = daemon.stop().then(() => 'stopped');
    expect(await within(second, 10_000)).toBe('stopped');
    expect(await within(first, 1000)).toBe('stopped');
    expect(ffmpegChildren()).toEqual([]);
    // Once the second stop has returned, the unit is really down: the same data directory starts.
    const again = await Daemon.start({ configPath: config, log: silentLogger() });
    daemons.push(again);
    expect(
      await within(
        again.stop().then(() => 'stopped'),
        10_000,
      ),
    ).toBe('stopped');
  }, 60_000);

  it('is not held up by a health client that connected and sent nothing, or half a request', async () => {
    const healthPort = await freePort();
    const config = await writeConfig('health', { cameras: [], health: { port: healthPort } });
    const daemon = await Daemon.start({ configPath: config, log: silentLogger() });
    daemons.push(daemon);
    const idle = net.connect(healthPort, '127.0.0.1');
    const half = net.connect(healthPort, '127.0.0.1', () =>
      half.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'),
    );
    for (const s of [idle, half]) s.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(
      await within(
        daemon.stop().then(() => 'stopped'),
        10_000,
      ),
    ).toBe('stopped');
    expect(await portOpen(healthPort)).toBe(false);
    idle.destroy();
    half.destroy();
  }, 60_000);

  it('stops the rest when a camera pipeline is stuck in inference, after a grace period, naming the camera', async () => {
    const healthPort = await freePort();
    const config = await writeConfig('stuck', { health: { port: healthPort } });
    const { log, records } = recordingLogger();
    const daemon = await Daemon.start({ configPath: config, log, stopGraceMs: 1500 });
    daemons.push(daemon);
    // Inference hangs on the next frame.
    const vision = (daemon as unknown as { vision: Vision }).vision;
    let stuck = false;
    const gate = new Promise<void>((r) => (release = r));
    vision.findPlates = async () => {
      stuck = true;
      await gate;
      return [];
    };
    await waitFor(() => stuck, 30_000, 'inference to hang');
    expect(
      await within(
        daemon.stop().then(() => 'stopped'),
        10_000,
      ),
    ).toBe('stopped');
    const warning = records.find((r) => r.msg === 'camera pipeline did not stop; stopping without it');
    expect(warning).toMatchObject({ level: 40, cameras: ['front'], waitedMs: 1500 });
    // The services behind it did stop: the health port is closed.
    expect(await portOpen(healthPort)).toBe(false);
  }, 60_000);
});
