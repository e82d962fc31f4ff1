import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDemoVideo } from '../src/demo/scene.js';
import { jsonLines, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { NY_SEDAN } from './helpers/video.js';

// A gap in a recording's frames far longer than the tracker's idleMs (1.5 s): what a camera that
// stalls and reconnects, or a variable-rate recorder that pauses, leaves. The vehicle seen before
// it has gone; the first frame after it already shows another, whose plate differs in one character.
const dir = tempDir();

describe('replay of a recording with a gap in its frames', () => {
  it('stores the vehicle seen before the gap and the one seen after it as two reads', async () => {
    const drive = path.join(dir, 'drive.mp4');
    // 960x540 at 5 frames/s: the first vehicle in view from 0.6 to 2.2 s, the second from 3.4 to 5.0 s.
    await renderDemoVideo({
      out: drive,
      width: 960,
      height: 540,
      fps: 5,
      vehicles: [NY_SEDAN, { ...NY_SEDAN, plate: 'KDT4827', bodyColour: '#8c2f2f' }],
      secondsPerVehicle: 1.6,
      gapSeconds: 1.2,
    });
    // 0.4-2.2 s (9 frames, at 0-1.6 s, the first vehicle in view to the last), then no frame for
    // 5.2 s, then 3.6-5.0 s (at 6.8-8.0 s, the second vehicle in view from its first frame).
    const video = path.join(dir, 'gap.mkv');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-i', drive],
      '-filter_complex',
      '[0:v]trim=0.4:2.2,setpts=PTS-STARTPTS[a];[0:v]trim=3.6:5.0,setpts=PTS-STARTPTS+5/TB[b];[a][b]concat=n=2:v=1[v]',
      ...['-map', '[v]', '-fps_mode', 'passthrough', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video],
    ]);
    const r = await runCli([
      'replay',
      video,
      '--every-frame',
      '--json',
      '--data-dir',
      path.join(dir, 'data'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const reads = jsonLines(r.stdout).map((read) => ({
      plate: read.plate,
      firstSeen: Date.parse(read.firstSeen as string),
      lastSeen: Date.parse(read.lastSeen as string),
    }));
    // Before, the second vehicle's frames joined the first's track: one read, KDT4827, spanning the gap.
    expect(reads.map((read) => read.plate)).toEqual(['KDT4821', 'KDT4827']);
    // Neither spans the gap: each lasts no longer than its vehicle was in view.
    for (const read of reads) expect(read.lastSeen - read.firstSeen).toBeLessThanOrEqual(1600);
    expect(reads[1]!.firstSeen - reads[0]!.lastSeen).toBeGreaterThanOrEqual(5200);
  }, 240_000);
});
