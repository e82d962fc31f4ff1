import { readFileSync } from 'node:fs';
import type { GpsFix } from '../store/types.js';
import type { PositionSource } from './types.js';
import { NmeaFixBuilder } from './nmea.js';
import { inputFileProblem } from '../util/input-file.js';
import { EARLIEST_GPS_TIME, rolloverDate } from './clock-check.js';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** A recorded drive: every fix of an NMEA log, in time order. */
export interface Track {
  fixes: GpsFix[];
  /** Sentences rejected: bad checksums, lines too long, positions or times that are none. */
  rejected: number;
  /** Why the last of them was rejected. */
  lastRejection: string | null;
  /** Fixes dated before EARLIEST_GPS_TIME: a receiver hit by the GPS week-number rollover. */
  droppedEarly: number;
  /** Fixes far out of sequence with their neighbours in the file (a corrupted date or time). */
  droppedOutOfSequence: number;
}

/**
 * A fix is believed when at least half of its neighbours in the file (NEIGHBOURS before and after)
 * are near it in time: within a minute, or ten of the log's usual steps for a logger that records
 * less often. A receiver logs in time order: one RMC with a bad date (and the GGA after it, which
 * takes that date) sits among fixes of another time. Once sorted, it would become the track's first
 * fix and move the whole replay to its date, or give reads at its time a position the car had at
 * another. A gap in the log (a tunnel, a stop) keeps half the neighbours on one side, so the fixes
 * around it stay; what goes is an island of one or two fixes far from everything else, which no
 * replay could align anyway.
 */
const NEIGHBOURS = 3;
const NEAR_MS = 60_000;

function outOfSequence(times: number[]): boolean[] {
  const steps = times.slice(1).map((t, i) => Math.abs(t - times[i]!));
  steps.sort((a, b) => a - b);
  const near = Math.max(NEAR_MS, 10 * (steps[steps.length >> 1] ?? 0));
  return times.map((t, i) => {
    const around = [
      ...times.slice(Math.max(0, i - NEIGHBOURS), i),
      ...times.slice(i + 1, i + 1 + NEIGHBOURS),
    ];
    return around.filter((n) => Math.abs(n - t) <= near).length * 2 < around.length;
  });
}

export function parseTrack(text: string): Track {
  const b = new NmeaFixBuilder();
  // Lines end at CR, LF or CRLF, as on a live port.
  const inFile = b.feed(text + '\n').filter((r) => r !== 'nofix');
  // The week-rollover receiver's fixes first: they would count as neighbours otherwise.
  const dated = inFile.filter((f) => !rolloverDate(f.time));
  const out = outOfSequence(dated.map((f) => f.time));
  const fixes = dated.filter((_, i) => !out[i]);
  fixes.sort((a, c) => a.time - c.time);
  return {
    fixes,
    rejected: b.rejected,
    lastRejection: b.lastRejection,
    droppedEarly: inFile.length - dated.length,
    droppedOutOfSequence: dated.length - fixes.length,
  };
}

/** What was dropped from a track, for the replay to say; null when nothing was. */
export function trackDropped(track: Track): string | null {
  const what = [
    track.rejected ? `${track.rejected} sentence(s) rejected (the last: ${track.lastRejection})` : '',
    track.droppedEarly
      ? `${track.droppedEarly} fix(es) dated before ${new Date(EARLIEST_GPS_TIME).getUTCFullYear()} (a receiver's GPS week-rollover date)`
      : '',
    track.droppedOutOfSequence
      ? `${track.droppedOutOfSequence} fix(es) far out of sequence with their neighbours in the file`
      : '',
  ].filter(Boolean);
  return what.length ? what.join('; ') : null;
}

export function loadTrack(file: string): Track {
  // A named pipe would block the read forever.
  const problem = inputFileProblem(file);
  if (problem?.kind === 'special') throw new InputError(`GPS track ${file}: ${problem.message}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`GPS track ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const track = parseTrack(text);
  if (track.fixes.length === 0) {
    throw new InputError(
      `GPS track ${file}: no valid fix found (${trackDropped(track) ?? 'no RMC or GGA with a fix'}); expected an NMEA 0183 log with RMC sentences`,
    );
  }
  return track;
}

/**
 * A recorded track as a PositionSource for replays. The video's first frame (`videoStartMs`, the
 * timestamp the replay source gives it) is aligned with the track's first fix plus `offsetMs`
 * (`--gps-offset S`: positive when the recording started S seconds after the track did). A frame
 * at video time t gets the latest fix at or before track time `first + offset + (t − videoStart)`,
 * with its age, so reads carry the positions they would have had on the road; beyond
 * `maxFixAgeMs` (a gap in the log) the read has no position.
 */
export class TrackPositionSource implements PositionSource {
  private readonly times: number[];

  constructor(
    readonly track: Track,
    private readonly videoStartMs: number,
    private readonly offsetMs = 0,
    private readonly maxFixAgeMs = 5000,
  ) {
    this.times = track.fixes.map((f) => f.time);
  }

  /** Receiver UTC of the track's first and last fix. */
  get span(): { from: number; to: number } {
    return { from: this.times[0]!, to: this.times.at(-1)! };
  }

  /**
   * Where a frame at `timeMs` falls: before the track's first fix, within it (up to `maxFixAgeMs`
   * after its last fix), or after it. Outside it no read can have a position, whatever the gaps.
   */
  placeOf(timeMs: number): 'before' | 'within' | 'after' {
    const t = this.trackTime(timeMs);
    return t < this.span.from ? 'before' : t > this.span.to + this.maxFixAgeMs ? 'after' : 'within';
  }

  /** Track time (receiver UTC) that corresponds to a frame time. */
  trackTime(timeMs: number): number {
    return (this.times[0] ?? 0) + this.offsetMs + (timeMs - this.videoStartMs);
  }

  fixAt(timeMs: number): { fix: GpsFix; ageMs: number } | null {
    const last = this.lastKnownAt(timeMs);
    return last && last.ageMs <= this.maxFixAgeMs ? last : null;
  }

  lastKnownAt(timeMs: number): { fix: GpsFix; ageMs: number } | null {
    const t = this.trackTime(timeMs);
    // Binary search for the last fix at or before t.
    let lo = 0;
    let hi = this.times.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    const fix = this.track.fixes[found]!;
    return { fix, ageMs: t - fix.time };
  }
}
