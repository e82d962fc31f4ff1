import sharp from 'sharp';
import { radians, rawInput, shiftedColumns, turnedBounds, type Box, type RgbImage } from '../vision/image.js';
import { seedOf, seededRandom } from '../util/random.js';

/**
 * Controlled damage to a labelled picture, for `lpr-edge eval --degrade`: how reading holds up
 * under the conditions that break generic OCR in a patrol car (motion blur, night, infrared
 * cameras, tilted plates, far plates, heavy compression), measured on real plates instead of
 * assumed. Amounts are relative to the plate's height where size matters, so a crop and a full
 * frame with the same plate are damaged alike. Deterministic: noise is seeded by the file name.
 */
export interface Degradation {
  kind: DegradationKind;
  amount: number;
}

type DegradationKind = keyof typeof KINDS;

interface KindSpec {
  /** What it does, or what its amount means: for the usage text and errors. */
  meaning: string;
  /** Allowed amounts; absent for a kind that takes none. */
  range?: [min: number, max: number];
}

const KINDS = {
  motion: { meaning: 'blur length as a fraction of the plate height', range: [0.01, 2] },
  dark: {
    meaning: 'fraction of the light reaching the sensor, gained back up with its noise',
    range: [0.02, 1],
  },
  ir: { meaning: 'infrared-like: one channel (red, nearest the near-infrared), contrast stretched' },
  skew: { meaning: 'rotation in degrees', range: [-45, 45] },
  shear: {
    meaning: 'slant of vertical strokes in degrees (an oblique view, a rolling shutter)',
    range: [-45, 45],
  },
  slope: {
    meaning:
      'slope of the character line in degrees, vertical strokes still vertical (a plate seen from the side)',
    range: [-45, 45],
  },
  'low-res': {
    meaning: 'plate height in pixels the picture is shrunk to, then enlarged back',
    range: [4, 200],
  },
  jpeg: { meaning: 'JPEG quality', range: [1, 100] },
} satisfies Record<string, KindSpec>;

export const DEGRADATION_HELP = Object.entries(KINDS as Record<string, KindSpec>)
  .map(([name, k]) => `${name}${k.range ? ':N' : ''} (${k.meaning})`)
  .join(', ');

/** Parse `KIND[:AMOUNT][,KIND[:AMOUNT]...]`; the error names the part at fault and the forms allowed. */
export function parseDegradations(spec: string): Degradation[] {
  return spec.split(',').map((part) => {
    const [name = '', amountText, ...rest] = part.trim().split(':');
    if (!Object.hasOwn(KINDS, name) || rest.length)
      throw new Error(`"${part}" is not a degradation; use one or more of: ${DEGRADATION_HELP}`);
    const kind = name as DegradationKind;
    const { meaning, range } = KINDS[kind] as KindSpec;
    if (!range) {
      if (amountText !== undefined) throw new Error(`"${part}": ${name} takes no amount`);
      return { kind, amount: 0 };
    }
    if (amountText === undefined) throw new Error(`"${part}" needs an amount: ${name}:N, N the ${meaning}`);
    const amount = amountText === '' ? NaN : Number(amountText);
    if (!(amount >= range[0] && amount <= range[1]))
      throw new Error(`"${part}": ${name} amount from ${range[0]} to ${range[1]} (${meaning})`);
    return { kind, amount };
  });
}

export function formatDegradations(list: Degradation[]): string {
  return list.map((d) => ((KINDS[d.kind] as KindSpec).range ? `${d.kind}:${d.amount}` : d.kind)).join(',');
}

/**
 * The picture damaged by each degradation in turn, and where the labelled plate box (if any) is
 * then: a rotation moves it. `plateHeight` scales the size-relative kinds.
 */
export async function degrade(
  image: RgbImage,
  list: Degradation[],
  plateHeight: number,
  seedText: string,
  plateBox: Box | null = null,
): Promise<{ image: RgbImage; plateBox: Box | null }> {
  let out = image;
  let box = plateBox;
  for (const d of list) {
    switch (d.kind) {
      case 'motion':
        out = motionBlur(out, Math.max(1, Math.round(d.amount * plateHeight)));
        break;
      case 'dark':
        out = lowLight(out, d.amount, seededRandom(seedOf(seedText)));
        break;
      case 'ir':
        out = infraredLike(out);
        break;
      case 'skew':
        out = await rotateKeepingSize(out, d.amount);
        box = box && turnedBounds(box, d.amount, [out.width / 2, out.height / 2]);
        break;
      case 'shear':
        out = shear(out, d.amount);
        box = box && shearedBounds(box, d.amount, out.height);
        break;
      case 'slope':
        out = slope(out, d.amount);
        box = box && slopedBounds(box, d.amount, out.width);
        break;
      case 'low-res':
        out = await lowResolution(out, d.amount / plateHeight);
        break;
      case 'jpeg':
        out = await jpegRoundTrip(out, d.amount);
        break;
    }
  }
  return { image: out, plateBox: box };
}

/** Horizontal motion: each pixel the mean of `length` pixels along its row (edges repeated). */
export function motionBlur(image: RgbImage, length: number): RgbImage {
  const { width, height, rgb } = image;
  const out = Buffer.alloc(rgb.length);
  const before = Math.floor((length - 1) / 2);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let c = 0; c < 3; c++) {
      // Running sum over the window [x - before, x - before + length - 1], clamped to the row.
      const at = (x: number) => rgb[row + Math.min(width - 1, Math.max(0, x)) * 3 + c]!;
      let sum = 0;
      for (let k = 0; k < length; k++) sum += at(k - before);
      for (let x = 0; x < width; x++) {
        out[row + x * 3 + c] = Math.round(sum / length);
        sum += at(x - before + length) - at(x - before);
      }
    }
  }
  return { width, height, rgb: out };
}

/**
 * A night picture: only `light` of the light reaches the sensor, which adds its read noise
 * (2 levels, Gaussian) and rounds to 8 bits; the camera's gain then scales it back up, noise,
 * lost levels and all.
 */
export function lowLight(image: RgbImage, light: number, random: () => number): RgbImage {
  const out = Buffer.alloc(image.rgb.length);
  for (let i = 0; i < image.rgb.length; i++) {
    const sensed = Math.round(clampByte(image.rgb[i]! * light + 2 * gaussian(random)));
    out[i] = Math.round(clampByte(sensed / light));
  }
  return { ...image, rgb: out };
}

/**
 * An infrared-like grey picture: near-infrared cameras see no colour, and paints look unlike
 * their visible brightness; the red channel is the nearest of the three. Stretched so its 1st and
 * 99th percentiles span 0–255, as the camera's exposure would.
 */
export function infraredLike(image: RgbImage): RgbImage {
  const n = image.width * image.height;
  const red = new Uint8Array(n);
  for (let i = 0; i < n; i++) red[i] = image.rgb[i * 3]!;
  const sorted = Uint8Array.from(red).sort();
  const lo = sorted[Math.floor(0.01 * (n - 1))]!;
  const hi = Math.max(lo + 1, sorted[Math.floor(0.99 * (n - 1))]!);
  const out = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++)
    out.fill(Math.round(clampByte(((red[i]! - lo) * 255) / (hi - lo))), i * 3, i * 3 + 3);
  return { ...image, rgb: out };
}

/** Rotated about its centre, cut back to its own size; the corners filled with its mean colour. */
async function rotateKeepingSize(image: RgbImage, degrees: number): Promise<RgbImage> {
  const { channels } = await sharp(image.rgb, rawInput(image)).stats();
  const [r, g, b] = channels.map((c) => Math.round(c.mean));
  const rotated = await sharp(image.rgb, rawInput(image))
    .rotate(degrees, { background: { r: r!, g: g!, b: b! } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const left = Math.floor((rotated.info.width - image.width) / 2);
  const top = Math.floor((rotated.info.height - image.height) / 2);
  const rgb = await sharp(rotated.data, {
    raw: { width: rotated.info.width, height: rotated.info.height, channels: 3 },
  })
    .extract({ left, top, width: image.width, height: image.height })
    .raw()
    .toBuffer();
  return { ...image, rgb };
}

/**
 * Each row shifted sideways in proportion to its distance from the middle row, so vertical
 * strokes lean by `degrees` (right at the bottom for a positive angle); pixels between two
 * source pixels are interpolated, edges repeated.
 */
export function shear(image: RgbImage, degrees: number): RgbImage {
  const { width, height, rgb } = image;
  const slope = Math.tan(radians(degrees));
  const out = Buffer.alloc(rgb.length);
  for (let y = 0; y < height; y++) {
    const shift = (y + 0.5 - height / 2) * slope;
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(width - 1, Math.max(0, x - shift));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const f = sx - x0;
      for (let c = 0; c < 3; c++)
        out[row + x * 3 + c] = Math.round(rgb[row + x0 * 3 + c]! * (1 - f) + rgb[row + x1 * 3 + c]! * f);
    }
  }
  return { width, height, rgb: out };
}

/** Where `box` lies after `shear`: its top and bottom edges shifted by their rows' amounts. */
function shearedBounds(box: Box, degrees: number, height: number): Box {
  const slope = Math.tan(radians(degrees));
  const shifts = [box[1], box[1] + box[3]].map((y) => (y - height / 2) * slope);
  const x0 = box[0] + Math.min(...shifts);
  return [x0, box[1], box[2] + Math.abs(shifts[1]! - shifts[0]!), box[3]];
}

/**
 * Each column shifted up or down in proportion to its distance from the middle column, so level
 * lines slope by `degrees` (down to the right for a positive angle) while vertical strokes stay
 * vertical: what a camera level with a plate but beside it sees. Edges repeated.
 */
export function slope(image: RgbImage, degrees: number): RgbImage {
  const slope = Math.tan(radians(degrees));
  return shiftedColumns(
    image,
    [0, 0, image.width, image.height],
    (x) => -(x + 0.5 - image.width / 2) * slope,
  );
}

/** Where `box` lies after `slope`: its left and right edges shifted by their columns' amounts. */
function slopedBounds(box: Box, degrees: number, width: number): Box {
  const slope = Math.tan(radians(degrees));
  const shifts = [box[0], box[0] + box[2]].map((x) => (x - width / 2) * slope);
  const y0 = box[1] + Math.min(...shifts);
  return [box[0], y0, box[2], box[3] + Math.abs(shifts[1]! - shifts[0]!)];
}

/** Shrunk by `scale` (a far plate's few pixels), then enlarged back to the original size. */
async function lowResolution(image: RgbImage, scale: number): Promise<RgbImage> {
  if (scale >= 1) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const small = await sharp(image.rgb, rawInput(image))
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  const rgb = await sharp(small, { raw: { width, height, channels: 3 } })
    .resize(image.width, image.height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { ...image, rgb };
}

async function jpegRoundTrip(image: RgbImage, quality: number): Promise<RgbImage> {
  const jpeg = await sharp(image.rgb, rawInput(image)).jpeg({ quality, mozjpeg: false }).toBuffer();
  const rgb = await sharp(jpeg).removeAlpha().raw().toBuffer();
  return { ...image, rgb };
}

function clampByte(v: number): number {
  return Math.min(255, Math.max(0, v));
}

/** A standard normal sample (Box–Muller). */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
