import type { Box } from '../vision/image.js';
import type { SearchRegion } from '../vision/vision.js';
import { sweepTiles } from '../vision/tiles.js';

/**
 * A whole 1080p frame is searched at about half its size, where the detector misses some plates
 * under about 50 px tall (`7AWV401`, 47 px; `08E6CK`, 30 px): no track starts, and a vehicle that
 * stays that far ahead is never read.
 * So the frame is also swept at its own size, one tile per `every` whole-frame searches, in turn,
 * in the frame after the search (as the second looks are). Each tile costs about one whole-frame
 * search. A plate found in a tile starts a track, and is then searched around like any other.
 */
export class FrameSweep {
  private searches = 0;
  private turn = 0;
  private pending: Box | null = null;

  constructor(
    private readonly every: number,
    private readonly searchSide: number,
  ) {}

  /** Called after each whole-frame search of a `width` × `height` frame. */
  afterWholeSearch(width: number, height: number): void {
    if (this.every === 0 || this.searches++ % this.every !== 0) return;
    const tiles = sweepTiles(width, height, this.searchSide);
    if (tiles.length) this.pending = tiles[this.turn++ % tiles.length]!;
  }

  /** The tile due for a search, once, at the frame's own size. */
  take(): SearchRegion[] {
    const tile = this.pending;
    this.pending = null;
    return tile ? [{ box: tile }] : [];
  }
}
