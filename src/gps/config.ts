import { z } from 'zod';
import { DEFAULT_MAX_CLOCK_OFFSET_MS } from './clock-check.js';
import { milliseconds } from '../config/duration.js';

/**
 * A fix older than this is not attached to a read (the read gets the "no-gps" flag instead). At
 * most a minute: at road speed a fix that old is a kilometre or more behind the car, a place the
 * read would carry as its own.
 */
const maxFixAgeMs = milliseconds(1, 60_000).default(5000);
/**
 * The unit's clock further than this from GPS time makes /healthz degraded (src/gps/clock-check.ts).
 * At most ten minutes: a tolerance beyond that leaves reads stamped that far off unreported.
 */
const maxClockOffsetMs = milliseconds(1, 600_000).default(DEFAULT_MAX_CLOCK_OFFSET_MS);

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
