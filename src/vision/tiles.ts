import type { Box } from './image.js';

/**
 * Tiles of `tileWidth` × `tileHeight` that cover a `width` × `height` picture, spread evenly,
 * neighbours overlapping by at least `overlap` of a tile (so that anything up to that size lies
 * whole in one tile); a single tile across an axis on which the picture is no larger than one.
 */
export function tileGrid(
  width: number,
  height: number,
  tileWidth: number,
  tileHeight: number,
  overlap: number,
): Box[] {
  const w = Math.min(tileWidth, width);
  const h = Math.min(tileHeight, height);
  return starts(height, h, overlap).flatMap((y) => starts(width, w, overlap).map((x): Box => [x, y, w, h]));
}

function starts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const n = Math.ceil((size - tile * overlap) / (tile * (1 - overlap)));
  return Array.from({ length: n }, (_, i) => Math.round((i * (size - tile)) / (n - 1)));
}

/**
 * Tiles that cover a picture searched at `scale` of its size, each as large there as one search
 * (`searchSide` wide, in a camera's 16:9).
 */
export function searchTiles(
  width: number,
  height: number,
  searchSide: number,
  scale: number,
  overlap: number,
): Box[] {
  return tileGrid(width, height, searchSide / scale, (searchSide * 9) / 16 / scale, overlap);
}

const SWEEP_OVERLAP = 0.15;
const SWEEP_BELOW = 0.75;

/**
 * The tiles a video frame is swept in at its own size (`pipeline/sweep.ts`), each the size of one
 * whole-frame search (`searchSide` wide, 16:9), neighbours overlapping by SWEEP_OVERLAP: enough
 * for the small plates the sweep is for, which the whole-frame search misses. Bottom row first:
 * a car's camera sees plates below the horizon more often than above it. None when the
 * whole-frame search already sees the frame at SWEEP_BELOW of its size or more (a 720p frame at
 * 1,088 px: 0.85).
 */
export function sweepTiles(width: number, height: number, searchSide: number): Box[] {
  if (searchSide / Math.max(width, height) >= SWEEP_BELOW) return [];
  return searchTiles(width, height, searchSide, 1, SWEEP_OVERLAP).reverse();
}
