import sharp from 'sharp';
import { CameraPipeline, type PipelineDeps } from '../pipeline/camera-pipeline.js';
import { emptySourceStats, type Frame, type FrameSource, type SourceStats } from '../capture/types.js';
import { rawInput, type Box, type RgbImage } from '../vision/image.js';
import type { StoredRead } from '../store/types.js';
import { monotonicMs } from '../util/clock.js';

/**
 * `eval --video WxH`: each labelled frame is shown to the daemon's own video path instead of the
 * still-picture search, as a camera of W × H pixels would see the same plate at the same size.
 */
export interface VideoShow {
  width: number;
  height: number;
  /** How many frames the still is shown for (100 ms apart). */
  frames: number;
}

/** One second at 10 frames/s: at the default `fullFrameEvery` of 3, four whole-frame searches. */
export const VIDEO_FRAMES = 10;
const FRAME_MS = 100;
const SURROUND = { r: 96, g: 96, b: 96 };

/** Parses "1920x1080". */
export function parseVideoShow(spec: string): VideoShow {
  const m = /^(\d{2,5})x(\d{2,5})$/.exec(spec.trim());
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width < 64 || height < 64 || width > 8192 || height > 8192)
    throw new Error(`"${spec}" is not a camera size: give WIDTHxHEIGHT, e.g. 1920x1080 (64 to 8192 each)`);
  return { width, height, frames: VIDEO_FRAMES };
}

/**
 * The frame as a `width` × `height` camera would see it: at its own size at the bottom centre of a
 * grey picture (a frame larger than the camera is shrunk to fit), with the plate's box moved (and
 * scaled) with it.
 */
export async function onCamera(
  image: RgbImage,
  plateBox: Box | null,
  width: number,
  height: number,
): Promise<{ image: RgbImage; plateBox: Box | null }> {
  const scale = Math.min(1, width / image.width, height / image.height);
  const w = Math.max(1, Math.round(image.width * scale));
  const h = Math.max(1, Math.round(image.height * scale));
  const left = Math.floor((width - w) / 2);
  const top = height - h;
  const rgb = await sharp(image.rgb, rawInput(image))
    .resize(w, h, { fit: 'fill' })
    .extend({ left, right: width - w - left, top, bottom: 0, background: SURROUND })
    .raw()
    .toBuffer();
  const moved: Box | null = plateBox && [
    left + plateBox[0] * scale,
    top + plateBox[1] * scale,
    plateBox[2] * scale,
    plateBox[3] * scale,
  ];
  return { image: { width, height, rgb }, plateBox: moved };
}

/**
 * The reads the daemon's pipeline stores when `image` stays in front of the camera for `frames`
 * frames: whole-frame searches every `fullFrameEvery` frames, searches around tracked plates in
 * between, the tracker's vote, the second opinion and the state, exactly as on the road. The
 * read seen in the most frames comes first (the vehicle's plate; other text is read in fewer),
 * then the more confident.
 */
export async function readAsVideo(
  deps: PipelineDeps,
  image: RgbImage,
  frames: number,
): Promise<StoredRead[]> {
  const reads: StoredRead[] = [];
  await new CameraPipeline(new StillCamera(image, frames), deps, (read) => reads.push(read)).run();
  return reads.sort((a, b) => b.frames - a.frames || b.confidence - a.confidence);
}

/** One still picture delivered as `count` video frames. */
class StillCamera implements FrameSource {
  readonly id = 'eval';
  private readonly counters: SourceStats = emptySourceStats();

  constructor(
    private readonly image: RgbImage,
    private readonly count: number,
  ) {}

  stats(): SourceStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {}

  async *frames(): AsyncGenerator<Frame> {
    const start = Date.now();
    for (let index = 0; index < this.count; index++) {
      const mono = index * FRAME_MS;
      this.counters.decoded++;
      this.counters.lastFrameMono = monotonicMs();
      yield { cameraId: this.id, index, ts: start + mono, mono, ...this.image };
    }
  }
}
