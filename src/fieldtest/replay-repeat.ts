import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { checkRecordingFile } from '../capture/file-source.js';
import { probeVideo } from '../capture/probe.js';
import type { Track } from '../gps/track.js';
import type { Db } from '../store/database.js';
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

/** How much of each end of a recording its fingerprint reads. */
const FINGERPRINT_END_BYTES = 1024 * 1024;

/**
 * A recording's identity by its content, not its path (a copy, a renamed or moved file is the same
 * recording): a hash of its size and its first and last MiB. A dashcam's files differ in both ends
 * (each container's header and index hold its own times and lengths), and it reads 2 MiB of a
 * file of any size.
 */
export function recordingFingerprint(file: string): string {
  const size = checkRecordingFile(file);
  const hash = createHash('sha256').update(`${size}\n`);
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(Math.min(size, FINGERPRINT_END_BYTES));
    for (const at of [0, Math.max(0, size - chunk.length)]) {
      const got = readSync(fd, chunk, 0, chunk.length, at);
      hash.update(chunk.subarray(0, got));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * The replays of recordings into this data folder (table `replays`, fieldtest/migrations.ts). A
 * replay is recorded with its first stored read and counts each one after it: one that stored
 * nothing (refused, failed, interrupted early) is no earlier replay, and one killed midway is still
 * known, with the reads it did store.
 */
export class ReplayLog {
  constructor(private readonly db: Db) {}

  /**
   * Why replaying this recording into this data folder would store its reads a second time, or
   * null. Without --gps a replay's reads carry the time of the replay, not the drive's, so only
   * this record tells an earlier one; and a replay with --gps of a recording first replayed
   * without would store its sightings again at other times, which its stretch check cannot see.
   */
  earlier(fingerprint: string, dataDir: string): string | null {
    const earlier = this.db
      .prepare(
        'SELECT name, camera_id, replayed_at, reads FROM replays WHERE recording = ? AND reads > 0 ORDER BY id',
      )
      .all(fingerprint) as { name: string; camera_id: string; replayed_at: number; reads: number }[];
    const last = earlier.at(-1);
    if (!last) return null;
    const reads = earlier.reduce((n, r) => n + r.reads, 0);
    const which =
      earlier.length === 1
        ? 'an earlier replay of this recording'
        : `${earlier.length} earlier replays of this recording`;
    const when = `${earlier.length === 1 ? '' : 'last '}replayed ${new Date(last.replayed_at).toISOString()}`;
    return `${dataDir} already holds the ${reads} read(s) of ${which} (${last.name}, ${when} as camera "${last.camera_id}"): replaying it again would store its reads twice (and send them to HQ twice). Replay into a fresh --data-dir, or give --again to store them a second time`;
  }

  /** What to call for each read this replay of `file` stores (the first records the replay). */
  recorder(fingerprint: string, file: string, cameraId: string): () => void {
    let id: number | null = null;
    return () => {
      if (id !== null) {
        this.db.prepare('UPDATE replays SET reads = reads + 1 WHERE id = ?').run(id);
        return;
      }
      const { lastInsertRowid } = this.db
        .prepare(
          'INSERT INTO replays (recording, name, camera_id, replayed_at, reads) VALUES (?, ?, ?, ?, 1)',
        )
        .run(fingerprint, path.basename(file), cameraId, Date.now());
      id = Number(lastInsertRowid);
    };
  }
}
