import { describe, expect, it } from 'vitest';
import { embeddedDefaults } from '../src/config/defaults.js';
import { emptySourceStats, type Frame, type FrameSource } from '../src/capture/types.js';
import { silentLogger } from '../src/log.js';
import { CameraPipeline, type PipelineDeps } from '../src/pipeline/camera-pipeline.js';
import type { PlateObservation, SearchRegion, Vision } from '../src/vision/vision.js';
import type { Box } from '../src/vision/image.js';

// Which parts of each frame the pipeline asks the vision stage to search. The vision stage is a
// stand-in here (this is the pipeline's plan alone); the same path on real frames and the real
// models is measured in test/eval-video.test.ts.
const FRAMES = 6;

interface Camera {
  frames?: number;
  width?: number;
  height?: number;
  sweepEvery?: number;
  /** Each frame's monotonic time (ms); default 100 ms apart. */
  mono?: (index: number) => number;
  /** Frames the source has dropped by the time frame `index` is taken (the pipeline fell behind). */
  dropped?: (index: number) => number;
}

function observation(plate: string, confidence: number, box: Box): PlateObservation {
  return { plate, confidence, charConfidences: [...plate].map(() => 0.9), candidates: [], box, lineBox: box };
}

async function searchPlan(
  wholeFrame: PlateObservation[],
  {
    frames = FRAMES,
    width = 1920,
    height = 1080,
    sweepEvery = 0,
    mono = (i) => i * 100,
    dropped = () => 0,
  }: Camera = {},
): Promise<(SearchRegion[] | undefined)[]> {
  const asked: (SearchRegion[] | undefined)[] = [];
  const vision = {
    times: { detectMs: 0, recogniseMs: 0 },
    findPlates: async (_frame: Frame, regions?: SearchRegion[]) => {
      asked.push(regions);
      return regions ? [] : wholeFrame;
    },
  } as unknown as Vision;
  let current = 0;
  const source: FrameSource = {
    id: 'front',
    stats: () => ({ ...emptySourceStats(), dropped: dropped(current) }),
    stop: async () => {},
    async *frames() {
      for (let index = 0; index < frames; index++, current = index)
        yield {
          cameraId: 'front',
          index,
          ts: mono(index),
          mono: mono(index),
          width,
          height,
          rgb: Buffer.alloc(0),
        };
    },
  };
  const config = embeddedDefaults();
  config.vision.detector.sweepEvery = sweepEvery;
  const deps = {
    config,
    vision,
    reads: {},
    position: { fixAt: () => null },
    log: silentLogger(),
  } as unknown as PipelineDeps;
  await new CameraPipeline(source, deps).run();
  return asked;
}

describe('pipeline: a second, closer look at lines read too doubtfully to track', () => {
  it('searches around them in the frame after the whole-frame search, once, at most three', async () => {
    const doubtful = [0.2, 0.1, 0.05, 0.01].map((c, i) =>
      observation(`ABC12${i}`, c, [100 + 300 * i, 800, 60, 20]),
    );
    const plan = await searchPlan(doubtful);
    // Whole frames at 0 and 3 (fullFrameEvery 3); frames 1 and 4 look again; 2 and 5 have nothing to search.
    expect(plan.map((r) => (r === undefined ? 'whole' : r.length))).toEqual(['whole', 3, 0, 'whole', 3, 0]);
    // The most confident three, each searched as a tracked plate would be: around it, its height kept.
    expect(plan[1]!.map((r) => r.box[0])).toEqual([100 - 60, 400 - 60, 700 - 60]);
    // Just seen, so each is searched again closer if its region shows no line of characters.
    expect(plan[1]![0]).toEqual({ box: [40, 770, 180, 80], plateHeight: 20, closerIfEmpty: true });
  });

  it('does not look again where a tracked plate is searched anyway', async () => {
    const plan = await searchPlan([
      observation('KDT4821', 0.9, [500, 700, 120, 40]),
      observation('KDT421', 0.1, [510, 705, 100, 30]), // the same plate, read worse from a rougher box
      observation('7XY123', 0.1, [1500, 900, 60, 20]),
    ]);
    expect(plan[1]!.map((r) => r.plateHeight)).toEqual([40, 20]);
  });

  it('searches closer around a tracked plate only while it was seen in the frame before', async () => {
    // Seen in the whole frame 0; the stand-in's region searches find nothing, as once a car has gone.
    const plan = await searchPlan([observation('KDT4821', 0.9, [500, 700, 120, 40])]);
    expect(plan[1]!.map((r) => r.closerIfEmpty)).toEqual([true]);
    expect(plan[2]!.map((r) => r.closerIfEmpty)).toEqual([false]);
  });
});

describe('pipeline: a frame much larger than the whole-frame search is swept at its own size', () => {
  it('searches one tile in the frame after every second whole-frame search, in turn, bottom row first', async () => {
    // Whole frames at 0, 3, ... 21 (fullFrameEvery 3): tiles after the 1st, 3rd, 5th and 7th.
    const plan = await searchPlan([], { frames: 24, sweepEvery: 2 });
    const tiles = plan.flatMap((regions, frame) => (regions?.length ? [{ frame, regions }] : []));
    expect(tiles.map((t) => t.frame)).toEqual([1, 7, 13, 19]);
    // Each is one region the size of a whole-frame search (1088 x 612), at the frame's own size.
    expect(tiles.map((t) => t.regions)).toEqual([
      [{ box: [832, 468, 1088, 612] }],
      [{ box: [0, 468, 1088, 612] }],
      [{ box: [832, 0, 1088, 612] }],
      [{ box: [0, 0, 1088, 612] }],
    ]);
  });

  it('does not sweep a frame the whole-frame search already sees nearly at its own size, or when turned off', async () => {
    const at720p = await searchPlan([], { frames: 12, width: 1280, height: 720, sweepEvery: 1 });
    expect(at720p.every((regions) => !regions?.length)).toBe(true);
    const off = await searchPlan([], { frames: 12, sweepEvery: 0 });
    expect(off.every((regions) => !regions?.length)).toBe(true);
  });
});

describe("pipeline: a frame after a gap longer than the tracker's idleMs", () => {
  it('is searched whole, not around plates whose tracks the gap ended', async () => {
    // A plate seen in the whole frame 0 and searched around in frame 1; then the camera stalls
    // for 5 s (idleMs is 1.5 s), and frame 2 would have been searched around it again.
    const plan = await searchPlan([observation('KDT4821', 0.9, [500, 700, 120, 40])], {
      frames: 4,
      mono: (i) => i * 100 + (i >= 2 ? 5000 : 0),
    });
    expect(plan.map((r) => (r === undefined ? 'whole' : r.length))).toEqual(['whole', 1, 'whole', 'whole']);
  });

  it('is searched around the plate as usual when frames were dropped in between: the pipeline fell behind', async () => {
    // The camera kept delivering during those 5 s; the frames the pipeline had no time for were
    // dropped, so the vehicle may well still be in view, and its track carries on.
    const plan = await searchPlan([observation('KDT4821', 0.9, [500, 700, 120, 40])], {
      frames: 3,
      mono: (i) => i * 100 + (i >= 2 ? 5000 : 0),
      dropped: (i) => (i >= 2 ? 49 : 0),
    });
    expect(plan.map((r) => (r === undefined ? 'whole' : r.length))).toEqual(['whole', 1, 1]);
  });
});
