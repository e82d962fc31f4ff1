import { z } from 'zod';

/**
 * `gps:` in the config. gpsd is the normal source (it owns the receiver and shares it); a serial
 * port read directly is the fallback for units without gpsd; `none` for units without GPS, whose
 * reads are stored without a position and flagged.
 */
const gpsdSource = z.strictObject({
  source: z.literal('gpsd'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(2947),
  /** A fix older than this is not attached to a read (the read gets the "no-gps" flag instead). */
  maxFixAgeMs: z.number().int().positive().default(5000),
});

const serialSource = z.strictObject({
  source: z.literal('serial'),
  path: z.string().min(1),
  baud: z.number().int().positive().default(9600),
  maxFixAgeMs: z.number().int().positive().default(5000),
});

const noneSource = z.strictObject({
  source: z.literal('none'),
});

export const gpsSchema = z.discriminatedUnion('source', [gpsdSource, serialSource, noneSource]);
export type GpsConfig = z.infer<typeof gpsSchema>;
