/**
 * Slanted characters: a plate seen obliquely, or swept by a rolling shutter while the car moves,
 * shows its vertical strokes leaning. The recogniser was trained on upright strokes, so a crop
 * whose strokes lean clearly is sheared upright before it is read.
 *
 * The lean is measured, not guessed: each candidate shear moves every row sideways, and the one
 * under which the crop's vertical edges stack into the fewest, strongest columns wins (the sum of
 * squared column totals of the horizontal gradient, the usual deslanting criterion). A crop whose
 * strokes are upright already scores best unsheared and is left alone.
 */

/**
 * Shears tried besides none, as the sideways shift per row (tan of the lean): -30 to 30 degrees by
 * 2.5 (a crop stretched to the model's width leans more than the plate).
 */
const SHEARS = Array.from({ length: 25 }, (_, i) => (i - 12) * 2.5)
  .filter((degrees) => degrees !== 0)
  .map((degrees) => Math.tan((degrees * Math.PI) / 180));
/** A shear is applied only if it stacks the edges this much better than none (a clear lean). */
const MIN_GAIN = 1.15;
/** Leans under this many degrees are left: the model reads them as well as upright ones. */
const MIN_DEGREES = 4;

/** Horizontal gradient: strength of the vertical edges, `width - 1` per row. */
function verticalEdges(grey: Uint8Array, width: number, height: number): Float32Array {
  const edges = new Float32Array((width - 1) * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x + 1 < width; x++)
      edges[y * (width - 1) + x] = Math.abs(grey[y * width + x + 1]! - grey[y * width + x]!);
  return edges;
}

/** How well the vertical edges line up into columns when each row is shifted by `shear`. */
function edgeStacking(edges: Float32Array, width: number, height: number, shear: number): number {
  const columns = new Float64Array(width + 1);
  const mid = (height - 1) / 2;
  for (let y = 0; y < height; y++) {
    // The edge between x and x + 1 lands at x + 0.5 + shift: split between two columns.
    const at = 0.5 + (y - mid) * shear;
    const k = Math.floor(at);
    const f = at - k;
    const row = y * (width - 1);
    for (let x = Math.max(0, -k); x + 1 < width && x + k < width; x++) {
      const edge = edges[row + x]!;
      columns[x + k]! += edge * (1 - f);
      columns[x + k + 1]! += edge * f;
    }
  }
  let score = 0;
  for (const c of columns) score += c * c;
  return score;
}

/** The shear (sideways shift per row) that makes the strokes upright; 0 when they already are. */
export function measuredSlant(grey: Uint8Array, width: number, height: number): number {
  const edges = verticalEdges(grey, width, height);
  const upright = edgeStacking(edges, width, height, 0);
  let best = 0;
  let bestScore = upright;
  for (const shear of SHEARS) {
    const score = edgeStacking(edges, width, height, shear);
    if (score > bestScore) [best, bestScore] = [shear, score];
  }
  const degrees = (Math.abs(Math.atan(best)) * 180) / Math.PI;
  return degrees >= MIN_DEGREES && bestScore >= MIN_GAIN * upright ? best : 0;
}

/** Each row moved sideways by `shear` per row from the middle, interpolated; edges repeat. */
export function sheared(grey: Uint8Array, width: number, height: number, shear: number): Uint8Array {
  const out = new Uint8Array(grey.length);
  const mid = (height - 1) / 2;
  for (let y = 0; y < height; y++) {
    const shift = (y - mid) * shear;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const from = Math.min(width - 1, Math.max(0, x - shift));
      const i = Math.floor(from);
      const j = Math.min(width - 1, i + 1);
      const f = from - i;
      out[row + x] = Math.round(grey[row + i]! * (1 - f) + grey[row + j]! * f);
    }
  }
  return out;
}

/** The crop with its strokes upright, or the crop itself when they already are. */
export function deslanted(grey: Uint8Array, width: number, height: number): Uint8Array {
  const shear = measuredSlant(grey, width, height);
  return shear === 0 ? grey : sheared(grey, width, height, shear);
}
