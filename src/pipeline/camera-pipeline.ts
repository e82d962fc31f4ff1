import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Frame, FrameSource } from '../capture/types.js';
import type { SearchRegion, Vision } from '../vision/vision.js';
import type { ReadStore } from '../store/reads.js';
import type { Read, StoredRead } from '../store/types.js';
import type { PositionSource } from '../gps/types.js';
import type { Logger } from '../log.js';
import { Tracker, type FinishedTrack } from '../tracker/tracker.js';
import { encodeJpeg, clampBox, unionBox, type Box } from '../vision/image.js';
import { overlapOfSmaller } from '../vision/plate-shape.js';
import { FrameSweep } from './sweep.js';
import type { ReadGate, StateReader } from './read-gate.js';
import { plateRegion, settlePlate } from '../state/reader.js';
import { round } from '../util/format.js';
import { monotonicMs } from '../util/clock.js';

export interface PipelineDeps {
  config: Config;
  vision: Vision;
  reads: ReadStore;
  position: PositionSource;
  log: Logger;
  gates?: ReadGate[];
  /** False while the disk is nearly full (policy maintenance): store new reads without overview images. */
  keepOverview?: () => boolean;
  /**
   * True for a read that matches a hotlist: it keeps its overview even when overviews are not
   * kept (storage.keepOverview false, or the disk nearly full), because the officer verifies the
   * hit against it (policy IV.C.2).
   */
  hitsHotlist?: (read: Read) => boolean;
  state?: StateReader;
}

/** Milliseconds spent in each stage, summed over the frames processed. */
export interface StageTotals {
  decode: number;
  detect: number;
  recognise: number;
  track: number;
  store: number;
}

export interface PipelineStats {
  cameraId: string;
  framesProcessed: number;
  framesDecoded: number;
  framesDropped: number;
  framesCorrupt: number;
  reads: number;
  readsGated: number;
  elapsedMs: number;
  stageMs: StageTotals;
  /** A recording that ended before its end: how many frames came, and why (`SourceStats.endedEarly`). */
  endedEarly: string | null;
}

export interface PipelineHealth {
  camera: string;
  framesDecoded: number;
  framesDropped: number;
  lastFrameAgeMs: number | null;
  reads: number;
  lastError: string | null;
  lastProcessedAgeMs: number | null;
  storeFailures: number;
  /** The last read's save error, until a read is saved again. */
  storeError: string | null;
}

/**
 * How many lines a whole-frame search read too doubtfully to track are looked at again, closer,
 * in the next frame. A whole 1080p frame is searched at about half its size, where a small plate's
 * line is found but its box is too rough to read it well; the next frame searches around it as
 * around a tracked plate (at about 32 px a plate), and a plate read well there starts a track.
 * Through `eval --video 1920x1080` on endtoend-us: 70.5 -> 74.4 % read, detection recall 85.9 ->
 * 91.0 %; taking 6 instead of 3, or only lines read at 0.02 or more, reads the same. With
 * `fullFrameEvery: 1` every frame is searched whole, and there is no next frame to look closer in.
 */
const SECOND_LOOKS = 3;

/**
 * One camera's path from frames to stored reads: vision on the newest frame, tracking across
 * frames, and for each vehicle one read tagged with GPS, passed through the gates and committed.
 */
export class CameraPipeline {
  private readonly tracker: Tracker;
  private readonly totals: StageTotals = { decode: 0, detect: 0, recognise: 0, track: 0, store: 0 };
  private processed = 0;
  private stored = 0;
  private gated = 0;
  private startedAt = 0;
  private lastError: string | null = null;
  /** Reads that could not be saved (e.g. a full disk), and the last one's error while saves fail. */
  private storeFailures = 0;
  private storeError: string | null = null;
  /**
   * When (monotonic) the last frame went through vision, or the run began: the watchdog's sign of
   * progress, which a wall-clock step must neither fake nor hide.
   */
  private lastProcessedAt: number | null = null;
  /** Crops of lines the last whole-frame search read too doubtfully to track. */
  private secondLooks: Box[] = [];
  /** When (monotonic, `Frame.mono`) the last frame processed was taken. */
  private lastFrameMono: number | null = null;
  /** The source's dropped-frame count when the last frame was taken (`afterGap`). */
  private droppedBefore = 0;
  private readonly sweep: FrameSweep;

  constructor(
    readonly source: FrameSource,
    private readonly deps: PipelineDeps,
    private readonly onRead?: (read: StoredRead) => void,
  ) {
    this.tracker = new Tracker(source.id, deps.config.tracker, deps.config.vision.recogniser.candidates);
    const { sweepEvery, inputSize } = deps.config.vision.detector;
    this.sweep = new FrameSweep(sweepEvery, inputSize);
  }

  /** Runs until the source ends or is stopped; open tracks are emitted at the end. */
  async run(): Promise<PipelineStats> {
    this.startedAt = performance.now();
    this.lastProcessedAt = monotonicMs();
    const frames = this.source.frames()[Symbol.asyncIterator]();
    const { vision } = this.deps;
    try {
      while (true) {
        const t0 = performance.now();
        const next = await this.nextFrame(frames);
        this.totals.decode += performance.now() - t0;
        if (next.done) break;
        const frame = next.value;
        const afterGap = this.afterGap(frame.mono);
        // Tracks that ended in the gap end before this frame's search is planned and its plates
        // matched: they are not looked for, nor extended, where they were seen long ago.
        // Stored now: a failure in this frame's search must not lose them.
        await this.storeAll(afterGap ? this.tracker.expire(frame.mono) : []);
        const regions = this.searchRegions(frame.mono, afterGap);
        const observations = await vision.findPlates(frame, regions);
        this.totals.detect += vision.times.detectMs;
        this.totals.recognise += vision.times.recogniseMs;
        const t1 = performance.now();
        const trackable = this.deps.config.vision.minConfidence / 2;
        const finished = this.tracker.update(
          frame.mono,
          observations
            .filter((o) => o.confidence >= trackable)
            .map((o) => ({ ...o, ts: frame.ts, mono: frame.mono, frame })),
        );
        if (!regions) {
          this.secondLooks = this.doubtfulLines(observations.filter((o) => o.confidence < trackable));
          this.sweep.afterWholeSearch(frame.width, frame.height);
        }
        this.totals.track += performance.now() - t1;
        this.processed++;
        this.lastProcessedAt = monotonicMs();
        this.lastFrameMono = frame.mono;
        await this.storeAll(finished);
      }
    } finally {
      // Also when the source or vision fails midway (onnxruntime out of memory): the vehicles being
      // tracked were seen, and are stored before the failure goes on to the daemon's restart.
      await this.storeAll(this.tracker.flush());
    }
    return this.stats();
  }

  /**
   * The source's next frame. A live camera that stops delivering (unplugged, an RTSP stream gone
   * silent, reconnecting with backoff) would otherwise keep the plates in view when it went in the
   * tracker until it came back, or the daemon stopped: a hotlist vehicle that had just passed
   * raised its hit minutes or hours late. So while tracks are open, they end as they would between
   * frames, idleMs after their plate was last seen, by the unit's monotonic clock, which is a live
   * camera's frame time. A recording's frames are on its own timeline, which does not run while
   * it waits.
   */
  private async nextFrame(frames: AsyncIterator<Frame>): Promise<IteratorResult<Frame>> {
    const next = frames.next();
    if (!this.source.unitClock) return next;
    const { idleMs } = this.deps.config.tracker;
    while (this.tracker.open > 0) {
      // Until the track seen longest ago has been idle for idleMs.
      const oldest = Math.min(...this.tracker.lastSightings().map((t) => t.mono));
      const wait = Math.max(1, oldest + idleMs + 1 - monotonicMs());
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), wait)));
      const frame = await Promise.race([next, idle]);
      clearTimeout(timer);
      if (frame) return frame;
      await this.storeAll(this.tracker.expire(monotonicMs()));
    }
    return next;
  }

  /**
   * Whether this frame comes after a gap in what the camera saw: more than `tracker.idleMs` since
   * the last frame, with no frame dropped in between (a stall and reconnect, a pause in a
   * recording). Frames dropped in between mean the pipeline fell behind a camera that kept
   * delivering: its vehicles may still be in view, so their tracks carry on as after any frame.
   */
  private afterGap(mono: number): boolean {
    const dropped = this.source.stats().dropped;
    const droppedMeanwhile = dropped > this.droppedBefore;
    this.droppedBefore = dropped;
    return (
      !droppedMeanwhile &&
      this.lastFrameMono !== null &&
      mono - this.lastFrameMono > this.deps.config.tracker.idleMs
    );
  }

  /**
   * Whole frame every `fullFrameEvery` frames (new vehicles appear within that many frames);
   * otherwise only around the plates being tracked, grown to allow for movement between frames,
   * and, in the frame after a whole-frame search, around the lines it read too doubtfully and in
   * the sweep's tile, if one is due (`FrameSweep`). Where a plate was seen in the last frame it
   * should still be there, so a search that finds no line of characters is repeated closer; around
   * a plate not seen since, the vehicle has most likely gone, and one search is enough. After a
   * gap of more than `idleMs` since the last frame, nothing known of the scene is current (its
   * tracks have ended, its doubtful lines and sweep tile are of a frame long gone): whole frame.
   */
  private searchRegions(mono: number, afterGap: boolean): SearchRegion[] | undefined {
    const every = this.deps.config.vision.detector.fullFrameEvery;
    if (this.processed % every === 0 || afterGap) return undefined;
    const sightings = [
      ...this.tracker.lastSightings(),
      ...this.secondLooks.map((box) => ({ box, mono: this.lastFrameMono })),
    ];
    this.secondLooks = [];
    const aroundPlates = sightings.map(({ box: b, mono }) => ({
      box: [b[0] - b[2], b[1] - b[3] * 1.5, b[2] * 3, b[3] * 4] as Box,
      plateHeight: b[3],
      closerIfEmpty: mono === this.lastFrameMono,
    }));
    return [...aroundPlates, ...this.sweep.take()];
  }

  /** The most confident doubtful readings' crops, where no tracked plate is already searched. */
  private doubtfulLines(doubtful: { box: Box }[]): Box[] {
    const tracked = this.tracker.lastSightings();
    return doubtful
      .map((o) => o.box)
      .filter((box) => !tracked.some((t) => overlapOfSmaller(t.box, box) > 0.5))
      .slice(0, SECOND_LOOKS);
  }

  stats(): PipelineStats {
    const s = this.source.stats();
    return {
      cameraId: this.source.id,
      framesProcessed: this.processed,
      framesDecoded: s.decoded,
      framesDropped: s.dropped,
      framesCorrupt: s.corrupt,
      reads: this.stored,
      readsGated: this.gated,
      elapsedMs: performance.now() - this.startedAt,
      stageMs: { ...this.totals },
      endedEarly: s.endedEarly ?? null,
    };
  }

  health(): PipelineHealth {
    const s = this.source.stats();
    const now = monotonicMs();
    return {
      camera: this.source.id,
      framesDecoded: s.decoded,
      framesDropped: s.dropped,
      lastFrameAgeMs: s.lastFrameMono === null ? null : now - s.lastFrameMono,
      reads: this.stored,
      lastError: this.lastError ?? s.lastError,
      lastProcessedAgeMs: this.lastProcessedAt === null ? null : now - this.lastProcessedAt,
      storeFailures: this.storeFailures,
      storeError: this.storeError,
    };
  }

  private async storeAll(tracks: FinishedTrack[]): Promise<void> {
    for (const track of tracks) {
      const t0 = performance.now();
      try {
        await this.storeTrack(track);
      } catch (err) {
        this.lastError = (err as Error).message;
        this.storeFailures++;
        this.storeError = this.lastError;
        // No plate: the read did not pass the exclusion zones, and logs are outside retention.
        this.deps.log.error({ err, camera: this.source.id }, 'could not store read');
      }
      this.totals.store += performance.now() - t0;
    }
  }

  private keepsOverview(read: Read): boolean {
    const { config, keepOverview, hitsHotlist } = this.deps;
    if (config.storage.keepOverview && (keepOverview?.() ?? true)) return true;
    return hitsHotlist?.(read) ?? false;
  }

  private async storeTrack(track: FinishedTrack): Promise<void> {
    const { config, position, reads, log } = this.deps;
    if (track.vote.confidence < config.vision.minConfidence) {
      log.debug({ confidence: track.vote.confidence }, 'track below minConfidence, not stored');
      return;
    }
    const best = track.best;
    // The read is stored idleMs after its last frame; the wall clock may have been stepped since.
    // A live frame's monotonic time fixes the moment the fix's age is measured to.
    const mono = this.source.unitClock ? best.mono : undefined;
    const fix = position.fixAt(track.ts, mono);
    const cropBox = clampBox(best.box, best.frame);
    // The second opinion, the state, and the state's own formats settle the voted reading.
    const { reading, state } = await settlePlate(
      this.deps.vision,
      this.deps.state,
      best.frame,
      { plate: track.vote.plate, charConfidences: track.vote.charConfidences, candidates: track.candidates },
      best.tilted ?? cropBox,
      best.lineBox,
    );
    let read: Read = {
      id: randomUUID(),
      unitId: config.unitId,
      cameraId: track.cameraId,
      ts: track.ts,
      firstSeen: track.firstSeen,
      lastSeen: track.lastSeen,
      plate: reading.plate,
      state: state.state,
      stateConfidence: state.confidence,
      confidence: round(track.vote.confidence, 4),
      charConfidences: reading.charConfidences.map((c) => round(c, 4)),
      candidates: reading.candidates.map((c) => ({ plate: c.text, confidence: round(c.confidence, 4) })),
      frames: track.frames,
      box: best.box.map(Math.round) as Read['box'],
      gps: fix?.fix ?? null,
      gpsFixAgeMs: fix ? Math.round(fix.ageMs) : null,
      flags: fix ? [] : ['no-gps-fix'],
    };
    let keepImages = true;
    for (const gate of this.deps.gates ?? []) {
      const result = gate.apply(read, {
        lastKnown: fix ? null : (position.lastKnownAt?.(track.ts, mono) ?? null),
      });
      if (!result) {
        this.gated++;
        return;
      }
      read = result.read;
      keepImages &&= result.keepImages;
    }
    const quality = config.storage.jpegQuality;
    // The officer verifies a hit's characters and state against this crop (policy IV.C.2): the
    // whole plate the state was read on, with its printed name and slogan, not only the line read.
    const evidenceBox = clampBox(unionBox(plateRegion(best.lineBox), best.box), best.frame);
    const images = keepImages
      ? {
          crop: evidenceBox ? await encodeJpeg(best.frame, quality, evidenceBox) : null,
          overview: this.keepsOverview(read) ? await encodeJpeg(best.frame, quality) : null,
        }
      : { crop: null, overview: null };
    const stored = reads.save(read, images);
    this.storeError = null;
    this.stored++;
    log.info(
      {
        read: stored.id,
        ...(config.log.plates ? { plate: stored.plate } : {}),
        camera: stored.cameraId,
        confidence: stored.confidence,
        frames: stored.frames,
      },
      'read',
    );
    this.onRead?.(stored);
  }
}
