import type { Config } from '../config/schema.js';
import type { PlateObservation } from '../vision/vision.js';
import type { RgbImage } from '../vision/image.js';
import { iou } from '../vision/plate-shape.js';
import { editDistance } from '../util/edit-distance.js';
import { voteText, mergeCandidates, type Vote } from './vote.js';
import type { TextCandidate } from '../vision/ctc.js';

/** An observation as the tracker keeps it: the plate seen in one frame, with that frame. */
export interface TrackedObservation extends PlateObservation {
  /** The frame's wall-clock time (UTC ms), for the record. */
  ts: number;
  /** The frame's time on a clock that never steps (`Frame.mono`): tracking runs on it. */
  mono: number;
  frame: RgbImage;
}

/**
 * One vehicle's plate over the frames it was seen in: what becomes a Read. Its times are UTC ms on
 * the wall clock of the track's last frame, the others placed by the monotonic clock: if the wall
 * clock was stepped (NTP, GPS) while the plate was in view, they are all on the corrected clock,
 * in order, and as far apart as they really were.
 */
export interface FinishedTrack {
  cameraId: string;
  vote: Vote;
  candidates: TextCandidate[];
  firstSeen: number;
  lastSeen: number;
  /** When the best observation's frame was taken. */
  ts: number;
  frames: number;
  /** The most confident observation: its crop and frame are stored with the read. */
  best: TrackedObservation;
}

/** An open track; its times are monotonic (`TrackedObservation.mono`). */
interface Track {
  observations: TrackedObservation[];
  best: TrackedObservation;
  firstSeen: number;
  lastSeen: number;
  last: TrackedObservation;
}

/**
 * Groups one camera's plate observations into vehicles by position and text similarity, and emits
 * each vehicle once, when it has not been seen for `idleMs` or has been tracked for `maxTrackMs`.
 */
export class Tracker {
  private tracks: Track[] = [];

  constructor(
    private readonly cameraId: string,
    private readonly cfg: Config['tracker'],
    private readonly candidates = 5,
  ) {}

  /** Add one frame's observations; returns the tracks that ended by this frame's (monotonic) time. */
  update(mono: number, observations: TrackedObservation[]): FinishedTrack[] {
    const claimed = new Set<Track>();
    for (const obs of observations) {
      const track = this.match(obs, claimed);
      if (track) {
        claimed.add(track);
        track.observations.push(obs);
        track.lastSeen = obs.mono;
        track.last = obs;
        if (obs.confidence > track.best.confidence) track.best = obs;
      } else {
        const t: Track = {
          observations: [obs],
          best: obs,
          firstSeen: obs.mono,
          lastSeen: obs.mono,
          last: obs,
        };
        this.tracks.push(t);
        claimed.add(t);
      }
    }
    return this.expire(mono);
  }

  /** Emit every open track (the source ended or the daemon is stopping). */
  flush(): FinishedTrack[] {
    const all = this.tracks.map((t) => this.finish(t));
    this.tracks = [];
    return all;
  }

  get open(): number {
    return this.tracks.length;
  }

  /** Where and when (monotonic) each open track's plate was last seen (the regions to search in the next frame). */
  lastSightings(): { box: TrackedObservation['box']; mono: number }[] {
    return this.tracks.map((t) => ({ box: t.last.box, mono: t.lastSeen }));
  }

  private match(obs: TrackedObservation, claimed: Set<Track>): Track | null {
    let best: Track | null = null;
    let bestScore = 0;
    for (const t of this.tracks) {
      if (claimed.has(t)) continue;
      const text = similarity(obs.plate, t.best.plate);
      const overlap = iou(obs.box, t.last.box);
      // Same text anywhere in view, or similar text where the plate just was.
      const score =
        text >= this.cfg.minSimilarity
          ? text + overlap
          : overlap > 0.2 && text >= 0.3
            ? overlap + text / 2
            : 0;
      if (score > bestScore) {
        best = t;
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * End the tracks idle for more than idleMs, or tracked for maxTrackMs, by `now` (monotonic).
   * `update` does so after matching a frame's plates. After a gap in what the camera saw (a stall
   * and reconnect, a pause in a recording) the pipeline calls it before matching: a plate in view
   * then is a new sighting, and must not extend, or be voted into, a vehicle seen before the gap.
   */
  expire(now: number): FinishedTrack[] {
    const done: FinishedTrack[] = [];
    this.tracks = this.tracks.filter((t) => {
      const ended = now - t.lastSeen > this.cfg.idleMs || t.lastSeen - t.firstSeen >= this.cfg.maxTrackMs;
      if (ended) done.push(this.finish(t));
      return !ended;
    });
    return done;
  }

  private finish(t: Track): FinishedTrack {
    const vote = voteText(t.observations);
    // The last frame's wall clock is the most recently set one: place the other times by the
    // monotonic clock from it.
    const wall = (mono: number) => Math.round(t.last.ts - (t.lastSeen - mono));
    return {
      cameraId: this.cameraId,
      vote,
      candidates: mergeCandidates(
        vote,
        t.observations.map((o) => o.candidates),
        this.candidates,
      ),
      firstSeen: wall(t.firstSeen),
      lastSeen: t.last.ts,
      ts: wall(t.best.mono),
      frames: t.observations.length,
      best: t.best,
    };
  }
}

function similarity(a: string, b: string): number {
  const len = Math.max(a.length, b.length);
  return len === 0 ? 0 : 1 - editDistance(a, b) / len;
}
