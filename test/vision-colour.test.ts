import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { DATASET } from './helpers/cli.js';
import type { Vision } from '../src/vision/vision.js';
import { colourAxis, COLOUR_CONTRAST_GAIN } from '../src/vision/colour-contrast.js';
import type { RgbImage } from '../src/vision/image.js';
import { loadImage } from '../src/vision/load-image.js';
import { openDefaultVision, renderSvg } from './helpers/vision.js';

// A real New Mexico plate (openalpr-dev, beside the project): "LJK920" in yellow on turquoise.
const NEW_MEXICO = resolve(DATASET, 'crops-us', 'nm647.png');

/** A plate crop: characters and background in the given colours, a state name above. */
function plate(text: string, ink: string, background: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160">
<rect width="320" height="160" fill="${background}"/>
<text x="160" y="34" font-family="DejaVu Sans" font-weight="bold" font-size="22" fill="#fff" text-anchor="middle">NEW MEXICO</text>
<text x="160" y="112" font-family="DejaVu Sans Condensed" font-weight="bold" font-size="70" fill="${ink}" text-anchor="middle">${text}</text>
</svg>`;
}

let vision: Vision;
beforeAll(async () => {
  vision = await openDefaultVision();
});
afterAll(() => vision.close());

describe('characters as bright as their background', () => {
  it('tells colour contrast from luminance contrast', async () => {
    const whole = (img: RgbImage) => [0, 0, img.width, img.height] as [number, number, number, number];
    const dark = await renderSvg(plate('KDT482', '#1b2a4a', '#f4f4ef'));
    const yellow = await renderSvg(plate('KDT482', '#d8c000', '#30d0e0'));
    expect(colourAxis(dark, whole(dark)).gain).toBeLessThan(COLOUR_CONTRAST_GAIN);
    expect(colourAxis(yellow, whole(yellow)).gain).toBeGreaterThanOrEqual(COLOUR_CONTRAST_GAIN);
    // An infrared camera's grey picture, a blank crop and a single pixel stay on luminance.
    const grey = await renderSvg(plate('KDT482', '#333', '#ccc'));
    expect(colourAxis(grey, whole(grey)).gain).toBeCloseTo(1.3, 1);
    const black: RgbImage = { width: 40, height: 20, rgb: Buffer.alloc(40 * 20 * 3) };
    expect(colourAxis(black, whole(black)).gain).toBe(0);
    expect(colourAxis(yellow, [10, 10, 1, 1]).gain).toBe(0);
  });

  // Yellow and turquoise of about the same luminance: in grey the characters all but vanish.
  it('reads yellow on turquoise, as a crop and in a frame', async () => {
    const crop = plate('KDT482', '#d8c000', '#30d0e0');
    expect((await vision.readCrop(await renderSvg(crop)))[0]?.plate).toBe('KDT482');
    const frame = `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720">
<rect width="1280" height="720" fill="#6b6b66"/>
<g transform="translate(480 280)">${crop.replace(/<\/?svg[^>]*>/g, '')}</g>
</svg>`;
    expect((await vision.findPlates(await renderSvg(frame)))[0]?.plate).toBe('KDT482');
  });

  it('reads a real New Mexico plate that luminance alone reads "JK2"', async () => {
    const found = await vision.readCrop(await loadImage(NEW_MEXICO));
    expect(found[0]?.plate).toBe('LJK920');
  });
});
