import type { Box } from './image.js';
import { STATES } from '../state/states.js';
import { editDistance } from '../util/edit-distance.js';

/**
 * Plate-likeness of a text line and of its reading, from shape and content alone. Dash-cam date
 * stamps, dealer frames, bumper stickers and vehicle lettering are text too; these rules keep
 * them from becoming reads.
 */
export interface ShapeLimits {
  minChars: number;
  maxChars: number;
}

/** Width/height of a plate's main character line: about 2 (short vanity) to 8 (long, tight box). */
export function lineShapeScore(box: Box): number {
  const ratio = box[2] / box[3];
  if (ratio < 1.3 || ratio > 12) return 0;
  if (ratio < 2) return 0.6;
  if (ratio > 8) return 0.5;
  return 1;
}

/**
 * A year from 1990 to 2039 and a month: the start of a date stamp. The dash between them may be
 * read as nothing or as a letter, and the month's 0 as its look-alike D, O or Q ("2014-05-06" read
 * "201405", "2014D05" or "2014D506").
 */
const DATE_START = /^(199\d|20[0-3]\d)[A-Z]?([0DOQ][1-9]|1[0-2])/;

/**
 * State and territory names as one word ("TEXAS", "NEWYORK"): printed on nearly every US plate,
 * above or below the characters, and read cleanly where the characters are not, sometimes with a
 * mark or two beside them ("2XTEXAS"). A plate whose characters spell its state's name is one of
 * a kind. Names of four letters (OHIO, IOWA, UTAH, GUAM) count only alone: inside a longer
 * reading they are as likely a vanity plate's. Names of six letters or more count misread by one
 * letter too ("VERNMONT"): in script, or small, a name is often read so.
 */
const STATE_NAMES = STATES.map((s) => s.name.replace(/[^A-Z]/g, ''));
function isStateName(text: string): boolean {
  return STATE_NAMES.some(
    (name) =>
      text === name ||
      (name.length >= 5 && text.length <= name.length + 2 && text.includes(name)) ||
      (name.length >= 6 && /^[A-Z]+$/.test(text) && editDistance(text, name) <= 1),
  );
}

/**
 * Lettering that vehicles carry on their backs, near the plate: makes and models, trim badges,
 * taxi and service markings. Read whole, these are words, not vanity plates; a plate that spells
 * exactly one of them is rare enough to lose.
 */
const VEHICLE_LETTERING = new Set([
  ...['ACURA', 'AUDI', 'BUICK', 'CADILLAC', 'CHEVROLET', 'CHEVY', 'CHRYSLER', 'DODGE', 'FORD', 'GMC'],
  ...['HONDA', 'HYUNDAI', 'INFINITI', 'ISUZU', 'JEEP', 'KIA', 'LEXUS', 'LINCOLN', 'MAZDA', 'MERCEDES'],
  ...['MERCURY', 'MITSUBISHI', 'NISSAN', 'PONTIAC', 'PORSCHE', 'SCION', 'SUBARU', 'TESLA', 'TOYOTA'],
  ...['VOLKSWAGEN', 'VOLVO', 'ACCORD', 'ALTIMA', 'CAMRY', 'CIVIC', 'COROLLA', 'ELANTRA', 'ESCAPE'],
  ...['EXPLORER', 'FORESTER', 'FUSION', 'IMPALA', 'MALIBU', 'ODYSSEY', 'OUTBACK', 'PRIUS', 'SANTAFE'],
  ...['SENTRA', 'SIENNA', 'SILVERADO', 'TACOMA', 'TAHOE', 'TUNDRA', 'WRANGLER', 'HYBRID', 'LIMITED'],
  ...['SPORT', 'TOURING', 'TAXI', 'TAXICAB', 'POLICE', 'SHERIFF', 'AMBULANCE', 'RESCUE'],
]);

/** 0 when the text cannot be a plate, else a prior in (0, 1]. */
export function textPlateScore(text: string, limits: ShapeLimits): number {
  if (text.length < limits.minChars || text.length > limits.maxChars) return 0;
  const digits = (text.match(/[0-9]/g) ?? []).length;
  const letters = text.length - digits;
  if (isStateName(text) || VEHICLE_LETTERING.has(text)) return 0.2;
  // All-letter text is as often a word (a dealer's name, a sign) as a vanity plate (FZRULZ,
  // NEILDMND): half a plate's prior, whatever its length, so a sure reading is still tracked.
  if (letters === text.length) return 0.5;
  // All digits of date length: a time/date stamp ("20140512") more often than a plate. So are
  // shorter digit runs that start with a year and a month ("2014058": a stamp's date read
  // without its dashes); one all-digit plate in about 1,700 starts that way (50 years × 12 months).
  // One letter, where a stamp's dash or the month's 0 was, does not make it a plate ("2014D506").
  if ((letters === 0 && text.length >= 8) || (letters <= 1 && DATE_START.test(text))) return 0.2;
  return 1;
}

/**
 * The plate prior of a reading after syntax fixing, no higher than the reading as the model made
 * it would get: the fixes may correct a plate, never make a word look like one ("OREGON" with an
 * unsure G is "ORE6ON" by position, but the model read a word). Limits apply to the fixed text.
 */
export function platePrior(asRead: string, fixed: string, limits: ShapeLimits): number {
  const anyLength = { minChars: 0, maxChars: Infinity };
  return Math.min(textPlateScore(fixed, limits), textPlateScore(asRead, anyLength));
}

/**
 * Text printed around a plate's characters (the state name, a slogan, a dealer's frame) is a
 * shorter line just above or below a taller line that it overlaps horizontally: the characters.
 * 0.2 for such a line, so it does not become a read of its own; 1 otherwise. Lines beside the
 * characters (stacked letters), inside a taller box, and other vehicles' plates further away keep 1.
 */
export function plateSurroundScore(line: Box, lines: Box[]): number {
  for (const other of lines) {
    if (other === line || other[3] < line[3] * 1.5) continue;
    const overlapX = Math.min(line[0] + line[2], other[0] + other[2]) - Math.max(line[0], other[0]);
    if (overlapX < 0.5 * Math.min(line[2], other[2])) continue;
    const gap = line[1] > other[1] ? line[1] - (other[1] + other[3]) : other[1] - (line[1] + line[3]);
    // Mostly outside the taller line: a line inside it (a box merging the plate with its
    // surround holds the characters themselves) is not surround text.
    if (gap >= -0.25 * line[3] && gap <= other[3] * 1.5) return 0.2;
  }
  return 1;
}

/** Grow a text line box to the crop the recogniser expects. */
export function padBox(box: Box, padX: number, padY: number): Box {
  const dx = box[3] * padX;
  const dy = box[3] * padY;
  return [box[0] - dx, box[1] - dy, box[2] + 2 * dx, box[3] + 2 * dy];
}

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter || 1);
}

/** Fraction of the smaller box covered by the overlap (one plate's line inside another's crop). */
export function overlapOfSmaller(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / Math.min(a[2] * a[3], b[2] * b[3] || 1);
}

/**
 * Where in a full frame a text line sits: plates are rarely in the top strip of a dash-cam or
 * patrol-camera frame (sky, signs, overhead gantries), and date/time stamps are burnt into the
 * frame's corners. A prior in (0, 1]; it reorders and can push a read under minConfidence, it
 * never removes a plate outright.
 */
export function framePositionScore(line: Box, frame: { width: number; height: number }): number {
  const cx = (line[0] + line[2] / 2) / frame.width;
  const cy = (line[1] + line[3] / 2) / frame.height;
  const corner = (cx < 0.3 || cx > 0.7) && (cy < 0.08 || cy > 0.94);
  if (corner) return 0.3;
  if (cy < 0.15) return 0.5;
  return 1;
}

/**
 * The text detector splits a plate whose character groups are far apart ("444  MWK", or a
 * large emblem between them) into two lines. Every such pair, side by side at the same height,
 * joined into one line, as extra candidates: the readings decide which one is the plate.
 */
export function joinSplitLines(lines: Box[]): Box[] {
  const joined: Box[] = [];
  for (const a of lines) {
    for (const b of lines) {
      if (a === b || b[0] <= a[0]) continue;
      const h = Math.max(a[3], b[3]);
      if (Math.min(a[3], b[3]) < 0.7 * h) continue;
      const overlapY = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
      if (overlapY < 0.6 * Math.min(a[3], b[3])) continue;
      const gap = b[0] - (a[0] + a[2]);
      if (gap < -0.2 * h || gap > 1.5 * h) continue;
      const x0 = a[0];
      const y0 = Math.min(a[1], b[1]);
      joined.push([x0, y0, Math.max(a[0] + a[2], b[0] + b[2]) - x0, Math.max(a[1] + a[3], b[1] + b[3]) - y0]);
    }
  }
  return joined;
}
