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
