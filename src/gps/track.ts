import { readFileSync } from 'node:fs';
import type { GpsFix } from '../store/types.js';
import type { PositionSource } from './types.js';
import { NmeaFixBuilder } from './nmea.js';
import { inputFileProblem } from '../util/input-file.js';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** A recorded drive: every fix of an NMEA log, in time order. */
export interface Track {
  fixes: GpsFix[];
  /** Sentences rejected for bad checksums. */
  rejected: number;
}

export function parseTrack(text: string): Track {
  const b = new NmeaFixBuilder();
  const fixes: GpsFix[] = [];
  for (const line of text.split(/\r?\n/)) {
    const r = b.push(line);
    if (r && r !== 'nofix') fixes.push(r);
  }
  fixes.sort((a, c) => a.time - c.time);
  return { fixes, rejected: b.rejected };
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
      `GPS track ${file}: no valid fix found (${track.rejected} sentences with bad checksums); expected an NMEA 0183 log with RMC sentences`,
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
