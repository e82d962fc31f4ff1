import { z } from 'zod';
import { DEFAULT_MAX_CLOCK_OFFSET_MS } from './clock-check.js';
import { milliseconds } from '../config/duration.js';

/**
 * A fix older than this is not attached to a read (the read gets the "no-gps" flag instead). At
 * most a minute: at road speed a fix that old is a kilometre or more behind the car, a place the
 * read would carry as its own. At least a second: receivers send a fix once a second (1 Hz, the
 * slowest in use), so a fix is up to a second old between two; below that, most reads would be
 * stored without a position while the receiver works.
 */
const maxFixAgeMs = milliseconds(
  1000,
  60_000,
  'a receiver sends a fix about once a second, so below 1 s most reads would find it stale and be stored without a position',
).default(5000);
/**
 * The unit's clock further than this from GPS time makes /healthz degraded (src/gps/clock-check.ts).
 * At most ten minutes: a tolerance beyond that leaves reads stamped that far off unreported. At
 * least two seconds: a fix's time arrives up to a second after it (serial latency, the receiver's
 * own; CLOCK_SAMPLES), so a tighter tolerance would report a correct clock off.
 */
const maxClockOffsetMs = milliseconds(
  2000,
  600_000,
  "a receiver's time arrives up to a second late, so below 2 s a correct clock would be reported off",
).default(DEFAULT_MAX_CLOCK_OFFSET_MS);

/**
 * `gps:` in the config. gpsd is the normal source (it owns the receiver and shares it); a serial
 * port read directly is the fallback for units without gpsd; `none` for units without GPS, whose
 * reads are stored without a position and flagged.
 */
const gpsdSource = z.strictObject({
  source: z.literal('gpsd'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(2947),
  maxFixAgeMs,
  maxClockOffsetMs,
});

const serialSource = z.strictObject({
  source: z.literal('serial'),
  path: z.string().min(1),
  baud: z.number().int().positive().default(9600),
  maxFixAgeMs,
  maxClockOffsetMs,
});

const noneSource = z.strictObject({
  source: z.literal('none'),
});

export const gpsSchema = z.discriminatedUnion('source', [gpsdSource, serialSource, noneSource]);
export type GpsConfig = z.infer<typeof gpsSchema>;
