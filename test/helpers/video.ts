import { execFileSync } from 'node:child_process';

/** Encode a test-pattern video of exactly `frames` frames with ffmpeg's lavfi source. */
export function makeTestVideo(out: string, opts: { frames: number; fps?: number; size?: string }): void {
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
    out,
  ]);
}
