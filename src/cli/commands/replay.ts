import os from 'node:os';
import path from 'node:path';
import { syntaxOptions } from '../../state/syntax.js';
import type { Command, OptionValues } from '../command.js';
import { UsageError } from '../command.js';
import { checkOutFile } from './policy-common.js';
import { dataDirFiles, openUnit } from '../../unit.js';
import { loadConfig } from '../../config/load.js';
import { Vision } from '../../vision/vision.js';
import { createStateReader, type PlateStateReader } from '../../state/reader.js';
import { openRecording } from '../../capture/file-source.js';
import { openFolder, isFolder } from '../../capture/folder-source.js';
import { CameraPipeline, type PipelineStats } from '../../pipeline/camera-pipeline.js';
import { noPosition, type PositionSource } from '../../gps/types.js';
import { loadTrack, trackDropped, TrackPositionSource, type Track } from '../../gps/track.js';
import { loadLabels, type Label } from '../../fieldtest/labels.js';
import { evaluateField, labelsAfterVideo } from '../../fieldtest/evaluate.js';
import { renderReport } from '../../fieldtest/report.js';
import type { StoredRead } from '../../store/types.js';
import { readdirSync, writeFileSync } from 'node:fs';
import { policyServices } from '../../policy/services.js';
import { LIST_TYPE_LABELS } from '../../hotlist/types.js';
import type { MatchRule } from '../../hotlist/match.js';
import { ReplayHotlist } from '../../fieldtest/replay-hotlist.js';
import {
  earlierReplay,
  recordingFingerprint,
  recordingStretch,
  ReplayLog,
} from '../../fieldtest/replay-repeat.js';
import { DataDirInUse, DataDirLock } from '../../store/data-dir-lock.js';
import { DatabaseError } from '../../store/database.js';
import type { Frame, FrameSource } from '../../capture/types.js';
import { createLogger } from '../../log.js';
import { round } from '../../util/format.js';

/** How the field-test report names a hit's match rule. */
const RULE_WORDS: Record<MatchRule, string> = {
  exact: 'exact',
  equivalent: 'look-alike characters',
  differences: 'characters differ',
};

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run the whole pipeline on a recording or image folder, storing reads like the daemon',
  usage: `replay <video|folder> [--every-frame] [--json] [--camera ID]
       [--gps TRACK.nmea [--gps-offset S]] [--again] [--hotlist FILE] [--labels FILE] [--report OUT.html]
  --every-frame  process every frame as fast as possible (default: real time, latest frame wins)
  --json         one JSON line per read: {"plate","state","confidence","camera","firstSeen","lastSeen","frames","id"};
                 a summary (frames, dropped, reads, frames/s, per-stage ms) goes to stderr
  --camera ID    camera id recorded with the reads (default "replay")
  --gps FILE     NMEA 0183 log of the same drive: reads carry the recorded positions (time-aligned)
  --gps-offset S the video starts S seconds after the track's first fix (negative: before); default 0
  --again        replay a recording this data directory already holds the reads of (an earlier replay of
                 the same file, by its content, or with --gps of its stretch of the drive, same camera):
                 refused without it, as its reads would be stored (and sent to HQ) twice
  --labels FILE  expected plates (CSV "plate,state,from_s,to_s" or JSON) for recall/misreads/false reads
  --report FILE  write one self-contained HTML report (reads with crops, expected vs read, track plot)
  --hotlist FILE a hotlist (CSV or JSON, as "hotlist import" takes) that every read is matched against,
                 hits raised as the daemon raises them; the list and its hits are kept apart from the
                 unit's and deleted at the end (the unit's own lists are not matched)
  The data directory is locked for the replay, as for the daemon: one of them at a time.
Exit codes:
  0    the recording or folder was replayed to its end
  1    replayed, but incomplete (what was read is stored; stderr's last line says why): the
       recording ends early (cut off: a "partial file", an MPEG-TS file ending inside a packet;
       only the frames before the cut were read), reads could not be stored, no frame falls within
       the GPS track, no image of the folder could be read, or no labelled vehicle (--labels)
       falls within the video
  2    nothing replayed: a wrong option, or an input (video, folder, track, labels, hotlist, report,
       config, model) missing or unreadable, the data directory in use (the daemon, another replay),
       or (without --again) already holding the reads of an earlier replay of the recording (the
       same file's content, whatever its name; with --gps, reads of this camera from its stretch of
       the drive)
  70   an unexpected error (a bug: its stack trace is on stderr)
  130  interrupted (Ctrl-C, SIGINT): before the recording started, nothing replayed; during
       it, the replay stops there, the reads so far stored, and its summary says "interrupted"
       (stderr's last line: after how many frames)
  143  the same, stopped by SIGTERM (kill, systemctl stop)
  A second Ctrl-C ends the replay at once, without its summary.`,
  options: {
    'every-frame': { type: 'boolean' },
    json: { type: 'boolean' },
    camera: { type: 'string' },
    gps: { type: 'string' },
    'gps-offset': { type: 'string' },
    labels: { type: 'string' },
    report: { type: 'string' },
    hotlist: { type: 'string' },
    again: { type: 'boolean' },
  },
  async run(ctx, positionals, values) {
    const input = positionals[0];
    if (!input || positionals.length > 1)
      throw new UsageError('replay: name exactly one video file or image folder');
    const everyFrame = Boolean(values['every-frame']);
    // An empty value is a slip (an unset shell variable): Number("") is 0, and an empty camera id
    // would file the reads under no camera.
    if (values['gps-offset'] !== undefined && String(values['gps-offset']).trim() === '')
      throw new UsageError(
        'replay: --gps-offset is empty: give the seconds, e.g. --gps-offset 12.5, or leave it out',
      );
    if (values.camera !== undefined && String(values.camera).trim() === '')
      throw new UsageError(
        'replay: --camera is empty: give the camera id the reads are recorded under, e.g. --camera front, or leave it out (default "replay")',
      );
    const offsetS = values['gps-offset'] === undefined ? 0 : Number(values['gps-offset']);
    // A recording and its track are of one drive: an offset of more than a day is a typo (and one
    // beyond about 10^13 s gives times no Date can hold, so every read would fail to store).
    if (!Number.isFinite(offsetS) || Math.abs(offsetS) > MAX_GPS_OFFSET_S)
      throw new UsageError(
        `replay: --gps-offset must be a number of seconds within ±${MAX_GPS_OFFSET_S} (a day), got "${values['gps-offset'] as string}"`,
      );
    if (values['gps-offset'] !== undefined && !values.gps)
      throw new UsageError('replay: --gps-offset needs --gps TRACK.nmea');
    if (values.gps && isFolder(input))
      throw new UsageError('replay: --gps needs a video file (an image folder has no timeline)');
    // Labels are spans of video time: against a folder every read would be judged by when it was
    // made, not by what it shows.
    if (values.labels && isFolder(input))
      throw new UsageError(
        'replay: --labels needs a video file (its labels are spans of video time; an image folder has none): measure a labelled image folder with "lpr-edge eval"',
      );
    // Checked now: the report is written after the whole replay, which would otherwise be lost.
    if (values.report !== undefined)
      checkOutFile(String(values.report), 'report', 'report.html', [
        ...replayInputs(input, values, ctx.configPath),
        // The replay stores its reads there: a report written over them would destroy the unit's.
        ...dataDirFiles(loadConfig({ configPath: ctx.configPath, dataDir: ctx.dataDir }).config.dataDir),
      ]);
    // Validate the side files before the (slow) model loading, so a typo fails at once.
    const track: Track | null = values.gps ? loadTrack(values.gps as string) : null;
    const dropped = track && trackDropped(track);
    if (dropped)
      ctx.stderr.write(`lpr-edge: warning: GPS track ${values.gps as string}: not used: ${dropped}\n`);
    const labels: Label[] | null = values.labels
      ? loadLabels(values.labels as string, (m) => ctx.stderr.write(`lpr-edge: warning: ${m}\n`))
      : null;
    const cameraId = (values.camera as string | undefined) ?? 'replay';
    // Logs go to stderr so stdout carries only reads.
    const unit = openUnit({
      configPath: ctx.configPath,
      dataDir: ctx.dataDir,
      log: createLogger('warn', 'stderr'),
    });
    // Zones are places: without the drive's positions no read could be placed in one, and every
    // plate read inside them would be stored (policy II), as the daemon refuses gps.source none.
    if (!track && unit.config.policy.exclusionZones.length > 0) {
      unit.close();
      throw new UsageError(
        `replay: the config has ${unit.config.policy.exclusionZones.length} exclusion zone(s) (policy.exclusionZones); give the drive's track with --gps TRACK.nmea so they apply, or replay with a config without zones`,
      );
    }
    // A fix older than this gives no position, in a replay as on the road.
    const maxFixAgeMs = unit.config.gps.source === 'none' ? undefined : unit.config.gps.maxFixAgeMs;
    // A video that starts after the track has ended cannot give any read a position: refused now,
    // before anything is stored (one that starts before the track may still run into it; below).
    if (track) {
      // The video's first frame at video time 0.
      const aligned = new TrackPositionSource(track, 0, offsetS * 1000, maxFixAgeMs);
      if (aligned.placeOf(0) === 'after') {
        const { from, to } = aligned.span;
        unit.close();
        throw new UsageError(
          `replay: with --gps-offset ${offsetS} the video starts at ${iso(aligned.trackTime(0))}, after the GPS track ends (${iso(from)} to ${iso(to)}): no read could have a position; check --gps-offset`,
        );
      }
    }
    let lock: DataDirLock;
    try {
      lock = lockForReplay(unit.config.dataDir);
    } catch (err) {
      unit.close();
      throw err;
    }
    // From here on a signal ends the replay through the clean-up below (lock released, scratch
    // hotlist deleted) rather than killing it midway: before the recording starts nothing is
    // replayed; during it the recording stops, what was read is stored and reported, and the exit
    // code says it was interrupted (128 + the signal's number, as a shell reports a killed
    // command), so a script does not take a cut-short field test for a whole one. A second
    // signal kills as usual.
    let source: FrameSource | null = null;
    let interruptedBy: NodeJS.Signals | null = null;
    const stop = (signal: NodeJS.Signals) => {
      interruptedBy ??= signal;
      void source?.stop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let hotlist: ReplayHotlist | null = null;
    let vision: Vision | null = null;
    let state: PlateStateReader | null = null;
    try {
      // Checked under the lock (no other replay can store meanwhile) and before anything is stored.
      if (track && !values.again) {
        const stretch = await recordingStretch(input, track.fixes[0]!.time + offsetS * 1000, track);
        const repeat = earlierReplay(unit.reads, unit.config.dataDir, cameraId, stretch);
        if (repeat) throw new UsageError(`replay: ${repeat}`);
      }
      // A recording is also known by its content, whatever its path: without --gps that is the only
      // way to tell an earlier replay (its reads carry the time of the replay). Each stored read of
      // this one is counted against it.
      const fingerprint = isFolder(input) ? null : recordingFingerprint(input);
      const replays = new ReplayLog(unit.db);
      if (fingerprint && !values.again) {
        const repeat = replays.earlier(fingerprint, unit.config.dataDir);
        if (repeat) throw new UsageError(`replay: ${repeat}`);
      }
      const recordRead = fingerprint ? replays.recorder(fingerprint, input, cameraId) : () => {};
      // --hotlist: reads are matched by the service the daemon runs, so hits are raised exactly as on
      // the road, but against a scratch copy of the list that is no part of the unit (see
      // replay-hotlist.ts). Imported before the (slow) model loading, so a bad list fails at once.
      const hitReads = new Map<string, string[]>();
      let hitCount = 0;
      if (values.hotlist) {
        hotlist = await ReplayHotlist.open(unit, values.hotlist as string);
        ctx.stderr.write(`hotlist ${hotlist.imported.listId}: ${hotlist.imported.imported} entries\n`);
        hotlist.hits.onChange((hit, { action }) => {
          if (action !== 'raised' && action !== 'suppressed') return;
          const what = [
            hit.entry.plate,
            LIST_TYPE_LABELS[hit.listType],
            RULE_WORDS[hit.rule] + (hit.via === 'candidate' ? ' on an alternative reading' : ''),
            ...(action === 'suppressed' ? ['a repeat: no alert'] : []),
          ].join(', ');
          hitReads.set(hit.readId, [...(hitReads.get(hit.readId) ?? []), what]);
          if (action === 'raised') hitCount++;
        });
      }
      vision = await Vision.open(unit.config.vision, syntaxOptions(unit.config));
      state = await createStateReader(unit.config, vision);
      // With a track, the video's first frame is given the track's time (plus the offset), so
      // reads carry the recorded drive's times and the positions the car had at that moment.
      const startTime = track ? track.fixes[0]!.time + offsetS * 1000 : Date.now();
      const folder = isFolder(input);
      // An image of a folder that cannot be read is named and skipped; the rest are replayed.
      const onSkip = (reason: string) => ctx.stderr.write(`lpr-edge: warning: ${reason}; skipped\n`);
      source = folder
        ? openFolder({ id: cameraId, path: input, everyFrame, onSkip })
        : await openRecording({ id: cameraId, path: input, realtime: !everyFrame, everyFrame, startTime });
      if (interruptedBy) {
        await source.stop();
        ctx.stderr.write(
          `lpr-edge: replay: interrupted (${interruptedBy}) before the recording started; nothing replayed\n`,
        );
        return interruptedExitCode(interruptedBy);
      }
      const trackPosition = track && new TrackPositionSource(track, startTime, offsetS * 1000, maxFixAgeMs);
      const position: PositionSource = trackPosition ?? noPosition;
      // Which frames fall outside the track, told after the replay (their reads have no position),
      // and when the last one was (labels after it could never be read).
      const frames = { seen: 0, outside: 0, first: 0, last: 0 };
      const counted: FrameSource = withEachFrame(source, (f) => {
        if (!frames.seen++) frames.first = f.ts;
        frames.last = f.ts;
        if (trackPosition && trackPosition.placeOf(f.ts) !== 'within') frames.outside++;
      });
      const collected: StoredRead[] = [];
      const pipeline = new CameraPipeline(
        counted,
        // Exclusion zones apply as on the road (with --gps, reads carry the recorded positions).
        {
          config: unit.config,
          vision,
          reads: unit.reads,
          position,
          log: unit.log,
          // The config the replay runs with is audited as the daemon's is at its start.
          gates: [policyServices(unit, { recordStartup: true }).zones],
          state,
        },
        (read) => {
          recordRead();
          collected.push(read);
          const line = values.json
            ? JSON.stringify({
                plate: read.plate,
                state: read.state,
                confidence: read.confidence,
                camera: read.cameraId,
                firstSeen: new Date(read.firstSeen).toISOString(),
                lastSeen: new Date(read.lastSeen).toISOString(),
                frames: read.frames,
                id: read.id,
              })
            : `${new Date(read.ts).toISOString()}  ${read.plate.padEnd(8)}  ${read.state ?? '--'}  ${read.confidence.toFixed(2)}  ${read.frames} frames`;
          ctx.stdout.write(line + '\n');
        },
      );
      const stats = await pipeline.run();
      // With --gps the drive's recorded times are the reads' times, so a second replay of one drive
      // into one data dir stores its reads again at the same times and places (and HQ gets them
      // twice). Refused above unless --again (or the container's duration fell short): said here.
      if (track && frames.seen) {
        const inSpan = unit.reads.countOfCameraBetween(cameraId, frames.first, frames.last);
        const earlier = inSpan - collected.length;
        if (earlier > 0)
          ctx.stderr.write(
            `lpr-edge: warning: ${unit.config.dataDir} already held ${earlier} read(s) of camera "${cameraId}" from this drive's time (${iso(frames.first)} to ${iso(frames.last)}), an earlier replay of it?: its reads are now stored twice (and go to HQ twice); replay each run into its own --data-dir\n`,
          );
      }
      // Read once the pipeline is done: a signal may have come at any await before.
      const interrupted = interruptedBy as NodeJS.Signals | null;
      const summary =
        values.hotlist || interrupted
          ? JSON.stringify({
              ...(JSON.parse(formatSummary(path.basename(input), stats)) as object),
              ...(values.hotlist ? { hits: hitCount } : {}),
              ...(interrupted
                ? { interrupted: `by ${interrupted} after ${stats.framesDecoded} frames` }
                : {}),
            })
          : formatSummary(path.basename(input), stats);
      ctx.stderr.write(summary + '\n');
      const evaluation = labels ? evaluateField(collected, labels, startTime) : null;
      if (evaluation) {
        ctx.stderr.write(
          JSON.stringify({
            vehicles: evaluation.vehicles.length,
            recall: round(evaluation.recall, 4),
            misreads: evaluation.misreads,
            missed: evaluation.missed,
            falseReads: evaluation.falseReads.length,
          }) + '\n',
        );
      }
      // Labels the video never reaches: counted as missed, and named, since they are most likely
      // a slip in the labels (another video's times, milliseconds) rather than vehicles missed.
      const lastFrameS = (frames.last - startTime) / 1000;
      const unreachable = labels && frames.seen ? labelsAfterVideo(labels, lastFrameS) : [];
      for (const l of unreachable)
        ctx.stderr.write(
          `lpr-edge: warning: labels ${values.labels as string}: ${l.where}: ${l.plate} ${l.fromS}–${l.toS} s starts after the video's last frame (${lastFrameS.toFixed(1)} s): counted as missed; check its times are seconds of this video\n`,
        );
      if (values.report) {
        const html = renderReport({
          title: `Field test: ${path.basename(input)}`,
          video: input,
          videoStartMs: startTime,
          reads: collected,
          dataDir: unit.config.dataDir,
          track: track?.fixes ?? [],
          hits: hitReads,
          evaluation,
          summary: JSON.parse(summary) as Record<string, unknown>,
        });
        writeFileSync(values.report as string, html);
        ctx.stderr.write(`report written to ${values.report as string}\n`);
      }
      // Stopped by a signal: the rest of the recording was never looked at, whatever else is true.
      if (interrupted) {
        const { storeFailures } = pipeline.health();
        ctx.stderr.write(
          `lpr-edge: replay: interrupted (${interrupted}) after ${stats.framesDecoded} frames; the ${collected.length} read(s) of those frames are stored` +
            `${storeFailures > 0 ? ` (${storeFailures} could not be stored)` : ''}\n`,
        );
        return interruptedExitCode(interrupted);
      }
      // A folder none of whose images could be read replayed nothing: a failure, not a quiet run.
      if (folder && stats.framesDecoded === 0 && stats.framesCorrupt > 0) {
        ctx.stderr.write(
          `lpr-edge: replay: none of the ${stats.framesCorrupt} images in ${input} could be read (each named above); nothing was replayed\n`,
        );
        return 1;
      }
      if (trackPosition && frames.outside > 0) {
        const { from, to } = trackPosition.span;
        const spans = `the video runs from ${iso(frames.first)} to ${iso(frames.last)}, the GPS track from ${iso(from)} to ${iso(to)}`;
        // Every read stored without a position: the field test's positions are lost, so it failed.
        if (frames.outside === frames.seen) {
          ctx.stderr.write(
            `lpr-edge: replay: no frame of the video falls within the GPS track (${spans}): every read was stored without a position; check --gps-offset\n`,
          );
          return 1;
        }
        ctx.stderr.write(
          `lpr-edge: warning: ${frames.outside} of ${frames.seen} frames fall outside the GPS track (${spans}): their reads have no position; check --gps-offset\n`,
        );
      }
      // Reads that could not be stored are lost from the field test: a failure, not a quiet run.
      const { storeFailures, lastError } = pipeline.health();
      if (storeFailures > 0) {
        ctx.stderr.write(
          `lpr-edge: replay: ${storeFailures} read(s) could not be stored (last error: ${lastError ?? 'unknown'})\n`,
        );
        return 1;
      }
      // A cut-off recording (a dashcam losing power, a copy that did not finish) replays to its
      // cut, and ffmpeg exits normally: its reads stand, but a field test of it is incomplete
      // (every vehicle after the cut missed), so the replay says so and fails.
      if (stats.endedEarly) {
        ctx.stderr.write(
          `lpr-edge: replay: ${input}: recording ends early after ${stats.endedEarly}; the reads are only of the frames before the cut\n`,
        );
        return 1;
      }
      // Not one labelled vehicle within the video: the figures measure the labels, not the reads.
      if (labels && unreachable.length === labels.length) {
        ctx.stderr.write(
          `lpr-edge: replay: none of the ${labels.length} labelled vehicle(s) in ${values.labels as string} falls within the video (its last frame at ${lastFrameS.toFixed(1)} s): the recall measures nothing; check the labels are of this video, in seconds\n`,
        );
        return 1;
      }
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      try {
        await hotlist?.close();
        await state?.close();
        await vision?.close();
        unit.close();
      } finally {
        lock.release();
      }
    }
  },
};

/**
 * The replay stores reads in the unit's data directory, so it locks it as the daemon does (see
 * data-dir-lock.ts): never beside a running daemon, and no daemon starts while it runs.
 */
function lockForReplay(dataDir: string): DataDirLock {
  try {
    return DataDirLock.acquire(dataDir, { holder: 'replay' });
  } catch (err) {
    if (err instanceof DataDirInUse)
      throw new DatabaseError(`${err.message}, or replay into another --data-dir`);
    throw err;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** 128 + the signal's number, as a shell reports a command a signal ended: SIGINT 130, SIGTERM 143. */
function interruptedExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 2);
}

/** The files a replay reads, which its report must not be written over. */
function replayInputs(
  input: string,
  values: OptionValues,
  configPath: string | undefined,
): { file: string; what: string }[] {
  const named = (key: string, what: string) => {
    const file = values[key];
    return typeof file === 'string' ? [{ file, what }] : [];
  };
  const recording = isFolder(input)
    ? readdirSync(input).map((f) => ({ file: path.join(input, f), what: 'an image of the folder replayed' }))
    : [{ file: input, what: 'the recording replayed' }];
  return [
    ...recording,
    ...named('gps', 'the GPS track (--gps)'),
    ...named('labels', 'the labels (--labels)'),
    ...named('hotlist', 'the hotlist (--hotlist)'),
    ...(configPath ? [{ file: configPath, what: 'the config (--config)' }] : []),
  ];
}

/** The same frames, `each` told about every one as the pipeline takes it. */
function withEachFrame(source: FrameSource, each: (frame: Frame) => void): FrameSource {
  return {
    id: source.id,
    unitClock: source.unitClock,
    async *frames() {
      for await (const frame of source.frames()) {
        each(frame);
        yield frame;
      }
    },
    stats: () => source.stats(),
    stop: () => source.stop(),
  };
}

/** The most a recording may start before or after its GPS track's first fix (--gps-offset). */
const MAX_GPS_OFFSET_S = 86_400;

export function formatSummary(name: string, s: PipelineStats): string {
  const perFrame = (ms: number) => round(ms / Math.max(1, s.framesProcessed), 1);
  return JSON.stringify({
    summary: name,
    frames: s.framesDecoded,
    framesProcessed: s.framesProcessed,
    framesDropped: s.framesDropped,
    framesCorrupt: s.framesCorrupt,
    ...(s.endedEarly ? { warning: `recording ends early after ${s.endedEarly}` } : {}),
    reads: s.reads,
    fps: round((s.framesProcessed * 1000) / Math.max(1, s.elapsedMs), 2),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    stageMsPerFrame: {
      decode: perFrame(s.stageMs.decode),
      detect: perFrame(s.stageMs.detect),
      recognise: perFrame(s.stageMs.recognise),
      track: perFrame(s.stageMs.track),
      store: perFrame(s.stageMs.store),
    },
  });
}
