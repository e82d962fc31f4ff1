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
 * out of range, the message gives the whole range.
 */
export function milliseconds(min: number, max: number) {
  const range = `allowed: ${min} to ${max} (milliseconds: ${spoken(min)} to ${spoken(max)})`;
  return z.number().int().min(min, range).max(max, range);
}
