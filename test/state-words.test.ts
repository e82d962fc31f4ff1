import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { renderStill, DEMO_VEHICLES } from '../src/demo/scene.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import {
  createStateReader,
  plateRegion,
  stateAroundLine,
  type PlateStateReader,
} from '../src/state/reader.js';
import type { Vision } from '../src/vision/vision.js';
import { clampBox, cropRgb, type Box, type RgbImage } from '../src/vision/image.js';
import { loadImage } from '../src/vision/load-image.js';
import { readWordLines } from '../src/state/words.js';
import { resolve } from 'node:path';
import { DATASET } from './helpers/cli.js';
import { openDefaultVision } from './helpers/vision.js';

let vision: Vision;
let reader: PlateStateReader;
beforeAll(async () => {
  vision = await openDefaultVision();
  reader = await createStateReader(embeddedDefaults(), vision);
});
afterAll(async () => {
  await reader.close();
  await vision.close();
});

// In a frame the reader knows where the plate's characters are; it reads only the other lines
// (state name, slogan) as words, which saves the costliest recognition and changes no answer.
describe('state words around a plate found in a frame', () => {
  const vehicle = DEMO_VEHICLES[0]!;
  let frame: RgbImage;

  beforeAll(async () => {
    const png = await renderStill(vehicle, { width: 1280, height: 720, progress: 0.9 });
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    frame = { rgb: data, width: info.width, height: info.height };
  });

  it('reads the state name but not the characters again', async () => {
    const [plate] = await vision.findPlates(frame);
    expect(plate?.plate).toBe(vehicle.plate);
    const region = clampBox(plateRegion(plate!.lineBox), frame)!;
    const crop = await cropRgb(frame, region);
    const characters: Box = [
      plate!.lineBox[0] - region[0],
      plate!.lineBox[1] - region[1],
      plate!.lineBox[2],
      plate!.lineBox[3],
    ];
    const squash = (t: string) => t.toUpperCase().replace(/[^A-Z0-9]/g, '');
    const every = await reader.estimate({ plate: plate!.plate, crop });
    const others = await reader.estimate({ plate: plate!.plate, crop, characters });
    expect(every.lines.map((l) => squash(l.text))).toContain(vehicle.plate);
    expect(others.lines.map((l) => squash(l.text))).not.toContain(vehicle.plate);
    expect(others.lines.length).toBe(every.lines.length - 1);
    expect(others.estimate.best).toBe(every.estimate.best);
    const state = await stateAroundLine(reader, frame, plate!.plate, plate!.lineBox);
    expect(state.state).toBe('NY'); // NEW YORK is printed on the plate
  });
});

// Real openalpr-dev pictures (beside the project).
describe('state names on real plates', () => {
  // A Texas plate about 80 px wide in a 1280 × 720 frame: TEXAS is a few pixels tall, too small for the
  // text detector until the plate is enlarged for it.
  it('reads the state of a small plate in a frame', async () => {
    const frame = await loadImage(resolve(DATASET, 'endtoend-us', 'wts-lg-000021.jpg'));
    const [plate] = await vision.findPlatesInStill(frame);
    expect(plate?.plate).toBe('BGB3282');
    const state = await stateAroundLine(reader, frame, plate!.plate, plate!.lineBox);
    expect(state.state).toBe('TX');

    const region = clampBox(plateRegion(plate!.lineBox), frame)!;
    const crop = await cropRgb(frame, region);
    const unenlarged = await readWordLines(vision.detector, reader.words, crop, undefined, 0);
    expect(unenlarged.some((l) => /TEXAS/i.test(l.text))).toBe(false);
  });

  // A 118 × 61 crop: enlarged for the detector, "West Virginia" is found as two words, and
  // "Virginia" alone would name Virginia.
  it('reads a state name the detector split in two', async () => {
    const crop = await loadImage(resolve(DATASET, 'crops-us', 'wv1113.png'));
    const [plate] = await vision.readCrop(crop);
    expect((await reader.stateOf({ plate: plate!.plate, crop })).state).toBe('WV');
  });
});
