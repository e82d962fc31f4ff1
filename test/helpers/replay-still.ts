import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { DATASET, jsonLines, runCli } from './cli.js';

/**
 * The plates the daemon's replay path reads from a two-second video that ffmpeg makes of one
 * endtoend-us frame, changed by the video filter `filter` (rotate, shear, noise...). Throws if
 * ffmpeg or the replay fails.
 */
export async function platesReplayedFrom(dir: string, frame: string, filter: string): Promise<unknown[]> {
  const work = mkdtempSync(path.join(dir, 'replay-'));
  const video = path.join(work, 'still.mp4');
  const ffmpeg = spawnSync('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-loop', '1', '-framerate', '5', '-t', '2'],
    ...['-i', path.join(DATASET, 'endtoend-us', frame)],
    ...['-vf', `${filter},scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p`],
    ...['-c:v', 'libx264', '-crf', '12', video],
  ]);
  if (ffmpeg.status !== 0) throw new Error(`ffmpeg failed: ${ffmpeg.stderr.toString()}`);
  const run = await runCli([
    'replay',
    video,
    '--every-frame',
    '--json',
    '--data-dir',
    path.join(work, 'data'),
  ]);
  if (run.code !== 0) throw new Error(`replay exited ${run.code}: ${run.stderr}`);
  return jsonLines(run.stdout).map((r) => r.plate);
}
