import { describe, it, expect, afterAll, afterEach } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { discoverV4l2, v4l2InputArgs, resolveV4l2Device } from '../src/capture/v4l2.js';
import { openLiveCamera } from '../src/capture/live.js';
import { CameraService } from '../src/capture/cameras.js';
import { gigePipeline, discoverGige, parseArvToolList } from '../src/capture/gige.js';
import { rtspInputArgs } from '../src/capture/rtsp.js';
import { configSchema } from '../src/config/schema.js';
import type { LiveCameraConfig } from '../src/capture/config.js';
import type { LiveCamera } from '../src/capture/live-camera.js';
import type { Frame } from '../src/capture/types.js';
import { silentLogger, type Logger } from '../src/log.js';
import { createLoopbackNetns } from './helpers/netns.js';
import { recordingLogger } from './helpers/logger.js';
import { freePort, waitFor, killChild, spawn, portOpen } from './helpers/proc.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-cam-'));
const children: ChildProcess[] = [];
const cameras: LiveCamera[] = [];
afterEach(async () => {
  for (const c of cameras.splice(0)) await c.stop();
  for (const c of children.splice(0)) await killChild(c);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fast = { initialMs: 200, maxMs: 1000, stallMs: 3000 };

function camera(cfg: Record<string, unknown>): LiveCameraConfig {
  const parsed = configSchema.shape.cameras.parse([cfg])[0]!;
  if (parsed.kind === 'file') throw new Error('not a live camera');
  return parsed;
}

/** Collect frames from a camera in the background. */
function collect(cam: LiveCamera): { frames: Frame[]; done: Promise<void> } {
  const frames: Frame[] = [];
  const done = (async () => {
    for await (const f of cam.frames()) frames.push(f);
  })();
  return { frames, done };
}

describe('USB / V4L2 cameras', () => {
  function fakeTree(): string {
    const root = path.join(tmp, 'root');
    const mk = (p: string, content?: string) => {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      if (content !== undefined) fs.writeFileSync(path.join(root, p), content);
    };
    // Two UVC cameras (capture node + metadata node each) and one device node missing from /dev.
    for (const [n, name, index] of [
      ['video0', 'HD Pro Webcam C920', '0'],
      ['video1', 'HD Pro Webcam C920', '1'],
      ['video2', 'ELP USB Camera', '0'],
      ['video3', 'ELP USB Camera', '1'],
      ['video9', 'Gone', '0'],
    ] as const) {
      mk(`sys/class/video4linux/${n}/name`, `${name}\n`);
      mk(`sys/class/video4linux/${n}/index`, `${index}\n`);
      if (n !== 'video9') mk(`dev/${n}`, '');
    }
    mk('dev/v4l/by-id/x');
    fs.rmSync(path.join(root, 'dev/v4l/by-id/x'), { force: true });
    fs.symlinkSync(
      '../../video0',
      path.join(root, 'dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920_A1B2C3-video-index0'),
    );
    fs.symlinkSync(
      '../../video1',
      path.join(root, 'dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920_A1B2C3-video-index1'),
    );
    mk('dev/v4l/by-path/x');
    fs.rmSync(path.join(root, 'dev/v4l/by-path/x'), { force: true });
    fs.symlinkSync(
      '../../video2',
      path.join(root, 'dev/v4l/by-path/platform-xhci-hcd.0-usb-0:1.2:1.0-video-index0'),
    );
    return root;
  }

  it('discovers capture nodes with their stable names from /sys and /dev', () => {
    const devices = discoverV4l2(fakeTree());
    expect(devices).toEqual([
      {
        device: '/dev/video0',
        byId: '/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920_A1B2C3-video-index0',
        byPath: null,
        name: 'HD Pro Webcam C920',
      },
      {
        device: '/dev/video2',
        byId: null,
        byPath: '/dev/v4l/by-path/platform-xhci-hcd.0-usb-0:1.2:1.0-video-index0',
        name: 'ELP USB Camera',
      },
    ]);
    expect(discoverV4l2(path.join(tmp, 'nothing-here'))).toEqual([]);
  });

  it('builds the ffmpeg v4l2 input from format, size, rate and a by-id name', () => {
    const cfg = camera({
      id: 'front',
      kind: 'v4l2',
      device: 'usb-046d_C920-video-index0',
      inputFormat: 'yuyv',
      width: 1280,
      height: 720,
      fps: 10,
    });
    expect(resolveV4l2Device(cfg.kind === 'v4l2' ? cfg.device : '')).toBe(
      '/dev/v4l/by-id/usb-046d_C920-video-index0',
    );
    expect(v4l2InputArgs(cfg as never)).toEqual([
      '-f',
      'v4l2',
      '-input_format',
      'yuyv422',
      '-video_size',
      '1280x720',
      '-framerate',
      '10',
      '-ts',
      'abs',
      '-i',
      '/dev/v4l/by-id/usb-046d_C920-video-index0',
    ]);
    expect(
      configSchema.shape.cameras.safeParse([
        { id: 'x', kind: 'v4l2', device: '/dev/video0', width: 640, height: 480, inputFormat: 'h264' },
      ]).success,
    ).toBe(false);
  });

  it('captures through the same ffmpeg path (lavfi input) and reconnects when the stream ends', async () => {
    const cfg = camera({
      id: 'usb1',
      kind: 'v4l2',
      device: '/dev/video0',
      width: 160,
      height: 120,
      fps: 20,
      reconnect: fast,
    });
    // Each attempt is a 1-second test pattern, as if the camera were unplugged after a second.
    const cam = openLiveCamera(cfg, {
      log: silentLogger(),
      v4l2Args: (c) => [
        '-re',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${c.width}x${c.height}:rate=${c.fps}:duration=1`,
      ],
    });
    cameras.push(cam);
    const { frames } = collect(cam);
    await waitFor(
      () => cam.health().reconnects >= 1 && cam.health().state === 'streaming',
      15_000,
      'reconnect',
    );
    expect(frames[0]).toMatchObject({ cameraId: 'usb1', width: 160, height: 120 });
    expect(frames[0]!.rgb.length).toBe(160 * 120 * 3);
    // One index sequence across the reconnect.
    const n = frames.length;
    expect(frames.map((f) => f.index)).toEqual([...Array(n).keys()]);
    expect(cam.health()).toMatchObject({ id: 'usb1', position: 'front', lastError: 'stream ended' });
  });
});

/** A USB camera whose every attempt is a test pattern lasting `seconds`, as if unplugged then. */
function patternCamera(id: string, seconds: number, reconnect: Record<string, number>, log: Logger) {
  const cfg = camera({
    id,
    kind: 'v4l2',
    device: '/dev/video0',
    width: 160,
    height: 120,
    fps: 20,
    reconnect,
  });
  const cam = openLiveCamera(cfg, {
    log,
    v4l2Args: (c) => [
      '-re',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${c.width}x${c.height}:rate=${c.fps}:duration=${seconds}`,
    ],
  });
  cameras.push(cam);
  return cam;
}

describe('a flapping camera', () => {
  it('backs off to maxMs when each attempt gives a few frames and dies, and logs the repeats at debug', async () => {
    const { log, records } = recordingLogger();
    // Five frames (a quarter of a second) per attempt, like a camera on a loose connector.
    const cam = patternCamera('flap', 0.25, { ...fast, steadyMs: 10_000 }, log);
    const { frames } = collect(cam);
    const lost = () => records.filter((r) => r.msg === 'camera lost; reconnecting');
    await waitFor(() => lost().length >= 4, 15_000, 'four losses');
    expect(frames.length).toBeGreaterThan(0);
    const delays = lost().map((r) => r.retryInMs as number);
    // 200, 400, 800, 1000 ms (±20 %): not 200 ms every time.
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(delays[2]!).toBeGreaterThan(delays[1]!);
    expect(delays[3]!).toBeGreaterThanOrEqual(800);
    // One warning for the first loss; the repeats are debug (pino levels: 40 warn, 30 info, 20 debug).
    expect(lost().map((r) => r.level)).toEqual([40, 20, 20, 20]);
    const streamingInfo = records.filter((r) => r.msg === 'camera streaming' && r.level === 30);
    expect(streamingInfo.length).toBeLessThanOrEqual(2);
  });

  it('resets the backoff once frames have flowed for steadyMs', async () => {
    const { log, records } = recordingLogger();
    // Each attempt streams for a second, twice steadyMs: every loss follows a steady stream.
    const cam = patternCamera('steady', 1, { ...fast, steadyMs: 500 }, log);
    collect(cam);
    const lost = () => records.filter((r) => r.msg === 'camera lost; reconnecting');
    await waitFor(() => lost().length >= 3, 15_000, 'three losses');
    for (const r of lost()) {
      expect(r.retryInMs as number).toBeLessThanOrEqual(240);
      expect(r.level).toBe(40);
    }
  });
});

async function startRtsp(port: number): Promise<ChildProcess> {
  const c = spawn(
    '/usr/bin/python3',
    [path.join(import.meta.dirname, 'fixtures/rtsp-server.py'), String(port), '320', '240', '10'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(c);
  let out = '';
  c.stdout!.on('data', (d) => (out += String(d)));
  await waitFor(() => out.includes('READY'), 10_000, 'RTSP server');
  return c;
}

describe('RTSP cameras', () => {
  it('builds a TCP input with a timeout and keeps credentials out of status', () => {
    expect(rtspInputArgs({ url: 'rtsp://cam/s', transport: 'tcp' }).slice(0, 4)).toEqual([
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '5000000',
    ]);
  });

  it('streams from a local RTSP server, survives the server going away, and several cameras run while one fails', async () => {
    const port = await freePort();
    const deadPort = await freePort();
    let server = await startRtsp(port);
    const good = openLiveCamera(
      camera({
        id: 'rear',
        kind: 'rtsp',
        position: 'rear',
        name: 'Rear ALPR',
        url: `rtsp://127.0.0.1:${port}/cam`,
        width: 320,
        height: 240,
        fps: 10,
        reconnect: fast,
      }),
      { log: silentLogger() },
    );
    const broken = openLiveCamera(
      camera({
        id: 'left',
        kind: 'rtsp',
        position: 'left',
        url: `rtsp://tech:s3cret@127.0.0.1:${deadPort}/cam`,
        width: 320,
        height: 240,
        reconnect: fast,
      }),
      { log: silentLogger() },
    );
    const seen = new Map<string, number>();
    const service = new CameraService(
      [good, broken],
      (f) => void seen.set(f.cameraId, (seen.get(f.cameraId) ?? 0) + 1),
      silentLogger(),
    );
    await service.start();
    try {
      await waitFor(() => (seen.get('rear') ?? 0) >= 20, 20_000, '20 frames from the RTSP camera');
      const h = service.health().cameras;
      expect(h[0]).toMatchObject({
        id: 'rear',
        name: 'Rear ALPR',
        position: 'rear',
        kind: 'rtsp',
        state: 'streaming',
      });
      expect(h[0]!.fps, JSON.stringify(h)).toBeGreaterThan(3);
      expect(h[0]!.lastFrameAgeMs).toBeLessThan(3000);
      // The camera that cannot connect keeps retrying with its error shown, password redacted.
      expect(h[1]!.state).toBe('reconnecting');
      expect(h[1]!.errors).toBeGreaterThanOrEqual(1);
      expect(h[1]!.lastError).toMatch(/Connection refused/i);
      expect(h[1]!.lastError).not.toContain('s3cret');
      expect(seen.get('left')).toBeUndefined();

      // Camera lost: the server dies. The camera reports it and keeps trying.
      await killChild(server);
      await waitFor(() => good.health().state === 'reconnecting', 10_000, 'camera to notice the loss');
      await waitFor(async () => !(await portOpen(port)), 5000, 'port released');
      const before = seen.get('rear')!;
      server = await startRtsp(port);
      await waitFor(() => (seen.get('rear') ?? 0) > before + 10, 20_000, 'frames after the camera came back');
      expect(good.health().state).toBe('streaming');
      expect(good.health().reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      await service.stop();
    }
  });
});

describe('GigE Vision cameras (aravis, loopback-only network namespace)', () => {
  it('builds an aravissrc pipeline with explicit caps, exposure and gain', () => {
    const cfg = camera({
      id: 'g',
      kind: 'gige',
      camera: 'Basler-acA1300-22gm-21234567',
      pixelFormat: 'bayer_rggb8',
      width: 1280,
      height: 960,
      fps: 7.5,
      exposureUs: 800,
      gainDb: 6,
    });
    const args = gigePipeline(cfg as never);
    expect(args.join(' ')).toBe(
      'gst-launch-1.0 -q aravissrc camera-name=Basler-acA1300-22gm-21234567 exposure=800 exposure-auto=off gain=6 gain-auto=off auto-packet-size=true ! video/x-bayer,format=rggb,width=1280,height=960,framerate=7500/1000 ! bayer2rgb ! videoconvert ! video/x-raw,format=RGB ! fdsink fd=1',
    );
    expect(
      configSchema.shape.cameras.safeParse([
        { id: 'g', kind: 'gige', camera: 'x', serial: 'y', width: 640, height: 480 },
      ]).error?.issues[0]?.message,
    ).toMatch(/exactly one of "camera".*or "serial"/);
    expect(parseArvToolList('Aravis-Fake-LPR01 (127.0.0.1)\n')).toEqual([
      { name: 'Aravis-Fake-LPR01', address: '127.0.0.1' },
    ]);
  });

  it('discovers and streams the fake GigE camera inside the namespace; a wrong name fails clearly', async (ctx) => {
    const ns = createLoopbackNetns(`lpr-car-${process.pid}`);
    if ('error' in ns) {
      ctx.skip(`GigE test skipped: ${ns.error}`);
      return;
    }
    const prefix = ['ip', 'netns', 'exec', ns.name];
    try {
      const fake = spawn(
        'ip',
        ['netns', 'exec', ns.name, 'arv-fake-gv-camera-0.8', '-i', '127.0.0.1', '-s', 'LPR01'],
        { stdio: 'ignore' },
      );
      children.push(fake);
      const found = await waitFor(
        async () => {
          const d = await discoverGige({ prefix });
          return d.length ? d : null;
        },
        10_000,
        'aravis discovery in the namespace',
      );
      expect(found).toEqual([{ name: 'Aravis-Fake-LPR01', address: '127.0.0.1' }]);

      const cam = openLiveCamera(
        camera({
          id: 'gige1',
          kind: 'gige',
          camera: found[0]!.name,
          width: 320,
          height: 240,
          fps: 10,
          exposureUs: 2000,
          gainDb: 3,
          reconnect: fast,
        }),
        { log: silentLogger(), gige: { prefix } },
      );
      cameras.push(cam);
      const { frames } = collect(cam);
      await waitFor(() => frames.length >= 5, 20_000, 'frames from the fake GigE camera');
      expect(frames[0]!.rgb.length).toBe(320 * 240 * 3);
      // Grey camera → RGB: every pixel has R = G = B; the fake camera draws a pattern, not a flat image.
      const px = frames[4]!.rgb;
      let grey = true;
      for (let i = 0; i < px.length; i += 3 * 97)
        if (px[i] !== px[i + 1] || px[i] !== px[i + 2]) grey = false;
      expect(grey).toBe(true);
      expect(new Set(px.subarray(0, 3 * 320)).size).toBeGreaterThan(1);
      await cam.stop();

      // By serial number: resolved to the aravis id by discovery (inside the namespace too).
      const bySerial = openLiveCamera(
        camera({
          id: 'gige3',
          kind: 'gige',
          serial: 'LPR01',
          width: 160,
          height: 120,
          fps: 10,
          reconnect: fast,
        }),
        { log: silentLogger(), gige: { prefix } },
      );
      cameras.push(bySerial);
      const serialFrames = collect(bySerial).frames;
      await waitFor(() => serialFrames.length >= 3, 20_000, 'frames from the camera found by serial');
      expect(serialFrames[0]!.rgb.length).toBe(160 * 120 * 3);
      await bySerial.stop();
      const noSerial = openLiveCamera(
        camera({ id: 'gige4', kind: 'gige', serial: 'XYZ999', width: 160, height: 120, reconnect: fast }),
        { log: silentLogger(), gige: { prefix } },
      );
      cameras.push(noSerial);
      collect(noSerial);
      await waitFor(() => noSerial.health().errors >= 1, 15_000, 'error for an unknown serial');
      expect(noSerial.health().lastError).toBe(
        'GigE camera with serial XYZ999 not found (found: Aravis-Fake-LPR01)',
      );
      await noSerial.stop();

      const wrong = openLiveCamera(
        camera({
          id: 'gige2',
          kind: 'gige',
          camera: 'No-Such-Camera',
          width: 320,
          height: 240,
          reconnect: fast,
        }),
        { log: silentLogger(), gige: { prefix } },
      );
      cameras.push(wrong);
      collect(wrong);
      await waitFor(() => wrong.health().errors >= 1, 15_000, 'error for a missing camera');
      expect(wrong.health().lastError).toMatch(/Could not find camera "No-Such-Camera"/);
    } finally {
      for (const c of cameras.splice(0)) await c.stop();
      for (const c of children.splice(0)) await killChild(c);
      ns.remove();
    }
  });
});
