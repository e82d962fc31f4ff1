import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { onCamera } from '../src/evaluation/video.js';
import { loadImage } from '../src/vision/load-image.js';
import { DATASET } from './helpers/cli.js';
import { renderStill, DEMO_VEHICLES } from '../src/demo/scene.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { Vision } from '../src/vision/vision.js';
import type { Box, RgbImage } from '../src/vision/image.js';

// The pipeline searches whole frames only every few frames and, in between, only shrunken regions
// around the plates it is tracking. Those region searches must still find the plate.
describe('vision: searching regions of a 1080p frame', () => {
  let vision: Vision;
  let frame: RgbImage;
  const vehicle = DEMO_VEHICLES[0]!;

  beforeAll(async () => {
    vision = await Vision.open(embeddedDefaults().vision);
    const png = await renderStill(vehicle, { width: 1920, height: 1080, progress: 0.9 });
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    frame = { rgb: data, width: info.width, height: info.height };
  });
  afterAll(() => vision.close());

  it('reads the plate in the region around where it was last seen, as in the whole frame', async () => {
    const [whole] = await vision.findPlates(frame);
    expect(whole?.plate).toBe(vehicle.plate);
    const b = whole!.box;
    // The characters are tall enough here that the region is searched shrunken (to 32 px).
    expect(b[3]).toBeGreaterThan(60);
    const region: Box = [b[0] - b[2], b[1] - b[3] * 1.5, b[2] * 3, b[3] * 4];
    const [inRegion] = await vision.findPlates(frame, [{ box: region, plateHeight: b[3] }]);
    expect(inRegion?.plate).toBe(vehicle.plate);
    // Boxes are in frame coordinates, within a few pixels of the whole-frame box.
    inRegion!.box.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(b[3] * 0.25));
  });

  it('finds nothing in a region of sky', async () => {
    const sky: Box = [100, 50, 600, 300];
    expect(await vision.findPlates(frame, [{ box: sky, plateHeight: 120 }])).toEqual([]);
  });
});

describe.skipIf(!existsSync(DATASET))(
  'vision: searching the region of a plate tracked by its whole outline',
  () => {
    it('searches again, closer, when the region shrunk for the plate shows no line of characters', async () => {
      const vision = await Vision.open(embeddedDefaults().vision);
      try {
        // A real frame (plate 21A1BX, 40 px tall) as a 1080p camera sees it. The whole-frame search
        // takes the whole plate, border and all, for its line, so the crop is far taller than the
        // characters, and a region shrunk by that height holds characters too small to find.
        const frame = await loadImage(path.join(DATASET, 'endtoend-us', 'wts-lg-000032.jpg'));
        const { image } = await onCamera(frame, null, 1920, 1080);
        const [whole] = await vision.findPlates(image);
        const b = whole!.box;
        expect(b[3]).toBeGreaterThan(60);
        const region: Box = [b[0] - b[2], b[1] - b[3] * 1.5, b[2] * 3, b[3] * 4];
        const inRegion = await vision.findPlates(image, [
          { box: region, plateHeight: b[3], closerIfEmpty: true },
        ]);
        expect(inRegion.map((o) => o.plate)).toEqual(['21A1BX']);
      } finally {
        await vision.close();
      }
    });
  },
);
