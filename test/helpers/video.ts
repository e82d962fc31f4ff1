import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { renderDemoVideo, type DemoVehicle } from '../../src/demo/scene.js';

/**
 * Encode a test-pattern video of exactly `frames` frames with ffmpeg's lavfi source. `args`: more
 * output options, e.g. `['-movflags', '+faststart']` (an MP4's index first, as phones write it).
 */
export function makeTestVideo(
  out: string,
  opts: { frames: number; fps?: number; size?: string; args?: string[] },
): void {
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${opts.size ?? '320x240'}:rate=${opts.fps ?? 10}`,
    '-frames:v',
    String(opts.frames),
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '5',
    ...(opts.args ?? []),
    out,
  ]);
}

/**
 * A copy of `file` truncated to `bytes` (default: half of it, rounded down), as a recording cut off
 * part-way is (a dashcam losing power mid-write, a copy that did not finish).
 */
export function cutCopy(file: string, out: string, bytes?: number): string {
  fs.copyFileSync(file, out);
  fs.truncateSync(out, bytes ?? Math.floor(fs.statSync(file).size / 2));
  return out;
}

/** The two demo vehicles most tests drive past. */
export const NY_SEDAN: DemoVehicle = { plate: 'KDT4821', stateName: 'NEW YORK', bodyColour: '#2b4c7e' };
export const NJ_SEDAN: DemoVehicle = { plate: 'HZN5177', stateName: 'NEW JERSEY', bodyColour: '#8c2f2f' };

/**
 * A short 960×540 drive at 5 fps: each vehicle in view for 1.6 s after a 1.2 s gap (the first
 * from 0.6 to 2.2 s, the second from 3.4 to 5.0 s, ...). Small enough to read in seconds.
 */
export function renderShortDrive(
  out: string,
  vehicles: DemoVehicle[],
): Promise<{ frames: number; fps: number }> {
  return renderDemoVideo({
    out,
    width: 960,
    height: 540,
    fps: 5,
    vehicles,
    secondsPerVehicle: 1.6,
    gapSeconds: 1.2,
  });
}
