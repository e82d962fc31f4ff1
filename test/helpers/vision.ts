import sharp from 'sharp';
import { embeddedDefaults } from '../../src/config/defaults.js';
import { syntaxOptions } from '../../src/state/syntax.js';
import { Vision } from '../../src/vision/vision.js';
import type { Box, RgbImage } from '../../src/vision/image.js';

/** An SVG scene drawn to the packed RGB a camera frame or a decoded still arrives as. */
export async function renderSvg(svg: string): Promise<RgbImage> {
  const { data, info } = await sharp(Buffer.from(svg))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

/** A black picture with one white upright rectangle: shapes whose moves a test can follow. */
export function whiteBoxOnBlack(width: number, height: number, [x, y, w, h]: Box): RgbImage {
  const rgb = Buffer.alloc(width * height * 3);
  for (let row = y; row < y + h; row++) rgb.fill(255, (row * width + x) * 3, (row * width + x + w) * 3);
  return { width, height, rgb };
}

/** The vision stage as the embedded demo config builds it (bundled models, US plate formats). */
export async function openDefaultVision(): Promise<Vision> {
  const config = embeddedDefaults();
  return Vision.open(config.vision, syntaxOptions(config));
}
