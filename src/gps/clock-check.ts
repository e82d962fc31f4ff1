import type { Logger } from 'pino';
import { monotonicMs } from '../util/clock.js';

/** `gps.maxClockOffsetMs` by default (the daemon's and selftest's clock checks use the config's value). */
export const DEFAULT_MAX_CLOCK_OFFSET_MS = 5000;
/** Offsets kept; the median of them absorbs a receiver's ±1 s of latency and one odd sentence. */
export const CLOCK_SAMPLES = 5;
/**
 * GPS times before this are not taken: a receiver hit by the GPS week-number rollover reports a
 * date 1024 weeks (19.6 years) back, which says nothing about the unit's clock.
 */
export const EARLIEST_GPS_TIME = Date.UTC(2020, 0, 1);

/**
 * A fix time before EARLIEST_GPS_TIME: a receiver with the GPS week-rollover bug (its firmware
 * counts 1024 weeks from an epoch that has passed). One rule for live receivers, their clock check
 * and recorded tracks alike.
 */
export function rolloverDate(timeMs: number): boolean {
  return timeMs < EARLIEST_GPS_TIME;
}

export type ClockHealth = {
  /** `unknown` until a live fix with a valid time arrived; `off` beyond `maxOffsetMs`. */
  status: 'unknown' | 'ok' | 'off';
  /** GPS time − the unit's wall clock at the fix's arrival (median of the last fixes), in ms. */
  offsetMs: number | null;
  maxOffsetMs: number;
  /** Fixes the offset is the median of. */
  samples: number;
  /** How long ago (monotonic clock) the last fix with a valid time arrived. */
  checkedAgeMs: number | null;
  /** The last receiver time not taken (before EARLIEST_GPS_TIME): the receiver's own clock is wrong. */
  refusedGpsTime: number | null;
};

/** What a technician is told of a receiver whose fixes carry a week-rollover date. */
export function rolloverProblem(timeMs: number): string {
  const date = new Date(timeMs).toISOString().slice(0, 10);
  const cutoff = new Date(EARLIEST_GPS_TIME).getUTCFullYear();
  return `GPS fix dated ${date}, before ${cutoff}, not used: the receiver has the GPS week-rollover bug (its dates are 1024 weeks, 19.6 years, back); update its firmware or replace it`;
}

/**
 * Reads are stamped with the unit's wall clock, which in a patrol car may be wrong (no RTC battery,
 * NTP not reached yet, drift). A live receiver's fixes carry UTC, so each one measures the wall
 * clock: offset = GPS time − wall clock when the fix arrived. Only live sources use this; a replayed
 * track carries recorded times and has no clock check.
 */
export class ClockCheck {
  private readonly offsets: number[] = [];
  private checkedAt: number | null = null;
  private off = false;
  private refused: number | null = null;

  constructor(
    private readonly maxOffsetMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly mono: () => number = monotonicMs,
  ) {}

  /** A live fix with a valid UTC time just arrived. */
  observe(gpsTimeMs: number): void {
    if (!Number.isFinite(gpsTimeMs)) return;
    if (rolloverDate(gpsTimeMs)) {
      // Kept to tell the technician the receiver is wrong (selftest), never compared.
      this.refused = gpsTimeMs;
      return;
    }
    this.offsets.push(gpsTimeMs - this.now());
    if (this.offsets.length > CLOCK_SAMPLES) this.offsets.shift();
    this.checkedAt = this.mono();
    const offsetMs = this.offsetMs()!;
    const off = Math.abs(offsetMs) > this.maxOffsetMs;
    const detail = { offsetS: Math.round(offsetMs / 100) / 10, maxOffsetMs: this.maxOffsetMs };
    // Once per change, not per fix.
    if (off && !this.off)
      this.log.warn(detail, 'system clock is off GPS time: reads are stamped with a wrong time');
    else if (!off && this.off) this.log.info(detail, 'system clock agrees with GPS time again');
    this.off = off;
  }

  private offsetMs(): number | null {
    const n = this.offsets.length;
    if (!n) return null;
    const s = [...this.offsets].sort((a, b) => a - b);
    return n % 2 ? s[(n - 1) / 2]! : Math.round((s[n / 2 - 1]! + s[n / 2]!) / 2);
  }

  health(): ClockHealth {
    const offsetMs = this.offsetMs();
    return {
      status: offsetMs === null ? 'unknown' : this.off ? 'off' : 'ok',
      offsetMs,
      maxOffsetMs: this.maxOffsetMs,
      samples: this.offsets.length,
      checkedAgeMs: this.checkedAt === null ? null : Math.round(this.mono() - this.checkedAt),
      refusedGpsTime: this.refused,
    };
  }
}

/** "12.3 s behind GPS time": how far, and which way, the unit's clock is from the receiver's. */
export function describeOffset(offsetMs: number): string {
  return `${Math.abs(offsetMs / 1000).toFixed(1)} s ${offsetMs > 0 ? 'behind' : 'ahead of'} GPS time`;
}
