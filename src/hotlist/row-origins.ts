/**
 * Where each row staged from a file came from (its CSV line, or its element's index), by row id:
 * an entry given twice with different fields is refused naming both places, and the first one is
 * only known by the id it was stored under.
 *
 * Four bytes a row, outside the JavaScript heap (a national list has millions). Row ids of one
 * staged version increase in the order rows are inserted, and run consecutively within one write
 * transaction; so only where a run starts is kept (its first id and ordinal), and the positions by
 * ordinal.
 */
export class RowOrigins {
  private positions = new Int32Array(1024);
  private count = 0;
  private readonly runs: { id: number; ordinal: number }[] = [];
  private lastId = Number.NaN;

  record(id: number, position: number): void {
    if (id !== this.lastId + 1) this.runs.push({ id, ordinal: this.count });
    this.lastId = id;
    if (this.count === this.positions.length) {
      const grown = new Int32Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.count++] = position;
  }

  /** The position recorded for row `id`, if it was recorded. */
  positionOf(id: number): number | undefined {
    // The last run starting at or before `id`.
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runs[mid]!.id <= id) lo = mid;
      else hi = mid - 1;
    }
    const run = this.runs[lo];
    if (!run || run.id > id) return undefined;
    const ordinal = run.ordinal + (id - run.id);
    const end = this.runs[lo + 1]?.ordinal ?? this.count;
    return ordinal < end ? this.positions[ordinal] : undefined;
  }
}
