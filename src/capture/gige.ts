import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GigeCameraConfig } from './config.js';
import { PipeReader } from './pipe-reader.js';
import { SourceError, emptySourceStats, type Frame, type FrameSource, type SourceStats } from './types.js';

const run = promisify(execFile);

/** Caps for each pixel format aravissrc can be asked for, and how to get to RGB from it. */
const FORMAT_CAPS: Record<GigeCameraConfig['pixelFormat'], { caps: string; convert: string }> = {
  mono8: { caps: 'video/x-raw,format=GRAY8', convert: 'videoconvert' },
  rgb8: { caps: 'video/x-raw,format=RGB', convert: 'videoconvert' },
  bayer_rggb8: { caps: 'video/x-bayer,format=rggb', convert: 'bayer2rgb ! videoconvert' },
};

/**
 * gst-launch arguments that read a GigE Vision camera through aravissrc and write RGB24 frames
 * to stdout. The caps are always set explicitly: GigE cameras keep register values between
 * sessions, so a size or format left over from another tool must not leak in. `-q` keeps
 * gst-launch's own messages out of the frame pipe.
 */
export function gigePipeline(
  cfg: { camera: string } & Pick<
    GigeCameraConfig,
    'pixelFormat' | 'width' | 'height' | 'fps' | 'exposureUs' | 'gainDb' | 'packetSize'
  >,
  numBuffers?: number,
): string[] {
  const fmt = FORMAT_CAPS[cfg.pixelFormat];
  const src = ['aravissrc', `camera-name=${cfg.camera}`];
  if (cfg.exposureUs !== undefined) src.push(`exposure=${cfg.exposureUs}`, 'exposure-auto=off');
  else src.push('exposure-auto=on');
  if (cfg.gainDb !== undefined) src.push(`gain=${cfg.gainDb}`, 'gain-auto=off');
  else src.push('gain-auto=on');
  if (cfg.packetSize !== undefined) src.push(`packet-size=${cfg.packetSize}`);
  else src.push('auto-packet-size=true');
  if (numBuffers !== undefined) src.push(`num-buffers=${numBuffers}`);
  return [
    'gst-launch-1.0',
    '-q',
    ...src,
    '!',
    `${fmt.caps},width=${cfg.width},height=${cfg.height},framerate=${fpsFraction(cfg.fps)}`,
    '!',
    ...fmt.convert.split(' '),
    '!',
    'video/x-raw,format=RGB',
    '!',
    'fdsink',
    'fd=1',
  ];
}

export interface GigeOptions {
  /**
   * Run every aravis client under this prefix. Tests use `['ip', 'netns', 'exec', NS]` so that
   * aravis (which broadcasts discovery on every interface) only ever sees a loopback-only namespace.
   */
  prefix?: string[];
}

export function openGigeReader(cfg: GigeCameraConfig, opts: GigeOptions = {}): FrameSource {
  const reader = (camera: string) =>
    new PipeReader({
      id: cfg.id,
      label: `GigE camera ${camera}`,
      command: [...(opts.prefix ?? []), ...gigePipeline({ ...cfg, camera })],
      width: cfg.width,
      height: cfg.height,
      // gst-launch's first ERROR line names the cause; later ones repeat "pipeline doesn't want to preroll".
      causeLine: /^ERROR/,
      installHint: 'install it (see docs/in-car.md)',
    });
  if (cfg.camera) return reader(cfg.camera);
  const serial = cfg.serial!;
  // By serial: find the camera's aravis id by discovery each time it is opened (its IP may change).
  return new DeferredSource(cfg.id, async () => {
    const found = await discoverGige(opts);
    const match = found.find((d) => d.name === serial || d.name.endsWith(`-${serial}`));
    if (!match) {
      throw new SourceError(
        `GigE camera with serial ${serial} not found (${found.length ? `found: ${found.map((d) => d.name).join(', ')}` : 'no GigE camera answered'})`,
        serial,
      );
    }
    return reader(match.name);
  });
}

/** A source whose real source is only known after an async step (discovery). */
export class DeferredSource implements FrameSource {
  private inner: FrameSource | null = null;
  private stopped = false;

  constructor(
    readonly id: string,
    private readonly make: () => Promise<FrameSource>,
  ) {}

  async *frames(): AsyncGenerator<Frame> {
    this.inner = await this.make();
    if (this.stopped) {
      await this.inner.stop();
      return;
    }
    yield* this.inner.frames();
  }

  stats(): SourceStats {
    return this.inner?.stats() ?? emptySourceStats();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.inner?.stop();
  }
}

export interface GigeDevice {
  /** The aravis id ("Vendor-Model-Serial"), usable as `camera`. */
  name: string;
  address: string | null;
}

/**
 * GigE Vision cameras that answer aravis discovery (`arv-tool-0.8`). Discovery broadcasts on
 * every interface of the unit's camera network; tests run it inside a loopback-only namespace.
 */
export async function discoverGige(opts: GigeOptions = {}): Promise<GigeDevice[]> {
  const cmd = [...(opts.prefix ?? []), 'arv-tool-0.8'];
  let stdout: string;
  try {
    ({ stdout } = await run(cmd[0]!, cmd.slice(1), { timeout: 10_000 }));
  } catch {
    return [];
  }
  return parseArvToolList(stdout);
}

/** "Aravis-Fake-LPR01 (127.0.0.1)" lines → devices. */
export function parseArvToolList(text: string): GigeDevice[] {
  const out: GigeDevice[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)(?:\s+\(([^)]+)\))?\s*$/.exec(line.trim());
    if (m && m[1] !== 'No') out.push({ name: m[1]!, address: m[2] ?? null });
  }
  return out;
}

/** 15 → "15/1", 7.5 → "15/2" (GStreamer caps want a fraction). */
function fpsFraction(fps: number): string {
  return Number.isInteger(fps) ? `${fps}/1` : `${Math.round(fps * 1000)}/1000`;
}
