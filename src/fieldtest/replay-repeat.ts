import { checkRecordingFile } from '../capture/file-source.js';
import { probeVideo } from '../capture/probe.js';
import type { Track } from '../gps/track.js';
import type { ReadStore } from '../store/reads.js';

/**
 * A stretch of a recorded drive, in the drive's own time (UTC ms): from `from` up to, not
 * including, `to`, where a dashcam's next file of the drive begins.
 */
export interface DriveStretch {
  from: number;
  to: number;
}

/**
 * The stretch of the drive a recording covers when its first frame is at `startMs`: its length as
 * the container records it or, when it records none (a cut-off file), up to the track's end, so
 * that an earlier replay of it is still found.
 */
export async function recordingStretch(video: string, startMs: number, track: Track): Promise<DriveStretch> {
  // Before ffprobe: on a named pipe it would wait to its timeout, on an empty file say only "Invalid data".
  checkRecordingFile(video);
  const { durationMs } = await probeVideo(video);
  const trackEnd = track.fixes[track.fixes.length - 1]!.time;
  return { from: startMs, to: durationMs === null ? Math.max(startMs, trackEnd + 1) : startMs + durationMs };
}

/**
 * Why replaying this stretch of the drive into this data folder would store its reads a second
 * time, or null. With --gps a replay's reads carry the drive's recorded times, so reads this folder
 * already holds of the same camera within the stretch are an earlier replay of it; each stored read
 * goes to HQ, which would then count every sighting twice. Another camera of the same drive, or
 * another stretch of it (a dashcam's next file), is not a repeat.
 */
export function earlierReplay(
  reads: ReadStore,
  dataDir: string,
  cameraId: string,
  stretch: DriveStretch,
): string | null {
  const held = reads.countOfCameraBetween(cameraId, stretch.from, stretch.to);
  if (held === 0) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  return `${dataDir} already holds ${held} read(s) of camera "${cameraId}" from this recording's stretch of the drive (${iso(stretch.from)} to ${iso(stretch.to)}), an earlier replay of it: replaying it again would store its reads twice (and send them to HQ twice). Replay into a fresh --data-dir, or give --again to store them a second time`;
}
