import type { Logger } from 'pino';
import type { Service } from '../service.js';
import type { GpsConfig } from './config.js';
import { GpsdSource } from './gpsd.js';
import { SerialNmeaSource } from './serial.js';
import { noPosition, type PositionSource } from './types.js';

export type LiveGps = PositionSource & Partial<Service>;

/** Build the unit's live position source from `gps:` (the daemon starts it as a service). */
export function createPositionSource(config: GpsConfig, log: Logger): LiveGps {
  switch (config.source) {
    case 'gpsd':
      return new GpsdSource({
        host: config.host,
        port: config.port,
        maxFixAgeMs: config.maxFixAgeMs,
        maxClockOffsetMs: config.maxClockOffsetMs,
        log,
      });
    case 'serial':
      return new SerialNmeaSource({
        path: config.path,
        baud: config.baud,
        maxFixAgeMs: config.maxFixAgeMs,
        maxClockOffsetMs: config.maxClockOffsetMs,
        log,
      });
    case 'none':
      return noPosition;
  }
}
