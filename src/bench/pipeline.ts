import { mkdtempSync, rmSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { renderDemoVideo, DEMO_VEHICLES } from '../demo/scene.js';
import { embeddedDefaults } from '../config/defaults.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..', '..');

/** The `Environment=` settings of the systemd unit, so the replay runs as the installed daemon. */
export function unitEnvironment(
  unitFile = path.join(ROOT, 'systemd', 'lpr-edge.service'),
): Record<string, string> {
  return Object.fromEntries(
    [...readFileSync(unitFile, 'utf8').matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)].map((m) => [
      m[1]!,
      m[2]!.trim(),
    ]),
  );
}

export interface PipelineBenchResult {
  input: string;
  threads: number;
  frames: number;
  fps: number;
  stageMsPerFrame: Record<string, number>;
  peakRssMb: number;
}

/**
 * End-to-end frames/s and per-stage latency of the whole pipeline (decode, detect, recognise,
 * track, store) on rendered 720p and 1080p drives, with 1 and 2 inference threads. Each run is its
 * own process so its peak RSS is its own, started with the systemd unit's environment. The drive
 * passes 18 vehicles (540 frames): memory settles only after 20-30 s of replay, and a shorter
 * drive reported the peak of its warm-up instead of the unit's steady state.
 */
export async function benchPipeline(): Promise<PipelineBenchResult[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lpr-bench-'));
  const results: PipelineBenchResult[] = [];
  try {
    for (const [width, height] of [
      [1280, 720],
      [1920, 1080],
    ] as const) {
      const video = path.join(dir, `drive-${height}p.mp4`);
      if (!existsSync(video))
        await renderDemoVideo({
          out: video,
          width,
          height,
          fps: 10,
          vehicles: Array.from({ length: 6 }, () => DEMO_VEHICLES).flat(),
          secondsPerVehicle: 2,
          gapSeconds: 1,
        });
      for (const threads of [1, 2]) {
        const config = path.join(dir, `bench-${threads}.json`);
        const base = embeddedDefaults();
        writeFileSync(config, JSON.stringify({ ...base, cameras: [], vision: { ...base.vision, threads } }));
        const dataDir = path.join(dir, `data-${height}-${threads}`);
        const cli = path.join(ROOT, 'bin', 'lpr-edge.js');
        const { stderr } = await run(
          process.execPath,
          [cli, 'replay', video, '--every-frame', '--json', '--config', config, '--data-dir', dataDir],
          { maxBuffer: 1 << 24, env: { ...process.env, ...unitEnvironment() } },
        );
        const summary = JSON.parse(stderr.split('\n').find((l) => l.startsWith('{"summary"'))!) as {
          framesProcessed: number;
          fps: number;
          peakRssMb: number;
          stageMsPerFrame: Record<string, number>;
        };
        const result = {
          input: `${height}p`,
          threads,
          frames: summary.framesProcessed,
          fps: summary.fps,
          stageMsPerFrame: summary.stageMsPerFrame,
          peakRssMb: summary.peakRssMb,
        };
        console.log(JSON.stringify(result));
        results.push(result);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
