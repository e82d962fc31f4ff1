import { z } from 'zod';

/** 600000 → "10 min": the range in words a technician can check against what they meant. */
function spoken(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/**
 * A config key in whole milliseconds from `min` to `max`. Node's timers take at most 2^31-1 ms
 * (about 24.8 days) and cut a larger delay to 1 ms, so an unbounded reconnect delay of 3000000000
 * became a tight reconnect loop. The bounds are what a unit could sensibly want, well inside that;
 * out of range, the message gives the whole range. `belowMin`: why a value under `min` cannot
 * work, told with the range when one is given (a tolerance the hardware cannot meet passes every
 * check and leaves the unit useless, so the technician should hear what it would break).
 */
export function milliseconds(min: number, max: number, belowMin?: string) {
  const range = `allowed: ${min} to ${max} (milliseconds: ${spoken(min)} to ${spoken(max)})`;
  return z
    .number()
    .int()
    .min(min, belowMin ? `${range}: ${belowMin}` : range)
    .max(max, range);
}
