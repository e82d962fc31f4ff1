import type { Config } from '../config/schema.js';
import type { PlateObservation } from '../vision/vision.js';
import type { RgbImage } from '../vision/image.js';
import { iou } from '../vision/plate-shape.js';
import { editDistance } from '../util/edit-distance.js';
import { voteText, mergeCandidates, type Vote } from './vote.js';
import type { TextCandidate } from '../vision/ctc.js';

/** An observation as the tracker keeps it: the plate seen in one frame, with that frame. */
export interface TrackedObservation extends PlateObservation {
  ts: number;
  frame: RgbImage;
}

/** One vehicle's plate over the frames it was seen in: what becomes a Read. */
export interface FinishedTrack {
  cameraId: string;
  vote: Vote;
  candidates: TextCandidate[];
  firstSeen: number;
  lastSeen: number;
  frames: number;
  /** The most confident observation: its crop and frame are stored with the read. */
  best: TrackedObservation;
}

interface Track {
  observations: TrackedObservation[];
  best: TrackedObservation;
  firstSeen: number;
  lastSeen: number;
  lastBox: TrackedObservation['box'];
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

  /** Add one frame's observations; returns the tracks that ended by this frame's time. */
  update(ts: number, observations: TrackedObservation[]): FinishedTrack[] {
    const claimed = new Set<Track>();
    for (const obs of observations) {
      const track = this.match(obs, claimed);
      if (track) {
        claimed.add(track);
        track.observations.push(obs);
        track.lastSeen = obs.ts;
        track.lastBox = obs.box;
        if (obs.confidence > track.best.confidence) track.best = obs;
      } else {
        const t: Track = {
          observations: [obs],
          best: obs,
          firstSeen: obs.ts,
          lastSeen: obs.ts,
          lastBox: obs.box,
        };
        this.tracks.push(t);
        claimed.add(t);
      }
    }
    return this.expire(ts);
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

  /** Where and when each open track's plate was last seen (the regions to search in the next frame). */
  lastSightings(): { box: TrackedObservation['box']; ts: number }[] {
    return this.tracks.map((t) => ({ box: t.lastBox, ts: t.lastSeen }));
  }

  private match(obs: TrackedObservation, claimed: Set<Track>): Track | null {
    let best: Track | null = null;
    let bestScore = 0;
    for (const t of this.tracks) {
      if (claimed.has(t)) continue;
      const text = similarity(obs.plate, t.best.plate);
      const overlap = iou(obs.box, t.lastBox);
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

  private expire(now: number): FinishedTrack[] {
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
    return {
      cameraId: this.cameraId,
      vote,
      candidates: mergeCandidates(
        vote,
        t.observations.map((o) => o.candidates),
        this.candidates,
      ),
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
      frames: t.observations.length,
      best: t.best,
    };
  }
}

function similarity(a: string, b: string): number {
  const len = Math.max(a.length, b.length);
  return len === 0 ? 0 : 1 - editDistance(a, b) / len;
}
