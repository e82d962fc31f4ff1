import path from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { openUnit } from '../../unit.js';
import { Vision } from '../../vision/vision.js';
import { openRecording } from '../../capture/file-source.js';
import { openFolder, isFolder } from '../../capture/folder-source.js';
import { CameraPipeline, type PipelineStats } from '../../pipeline/camera-pipeline.js';
import { noPosition } from '../../gps/types.js';
import { createLogger } from '../../log.js';
import { round } from '../../util/format.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run the whole pipeline on a recording or image folder, storing reads like the daemon',
  usage: `replay <video|folder> [--every-frame] [--json] [--camera ID]
  --every-frame  process every frame as fast as possible (default: real time, latest frame wins)
  --json         one JSON line per read: {"plate","state","confidence","camera","firstSeen","lastSeen","frames"};
                 a summary (frames, dropped, reads, frames/s, per-stage ms) goes to stderr
  --camera ID    camera id recorded with the reads (default "replay")`,
  options: { 'every-frame': { type: 'boolean' }, json: { type: 'boolean' }, camera: { type: 'string' } },
  async run(ctx, positionals, values) {
    const input = positionals[0];
    if (!input || positionals.length > 1) throw new UsageError('replay: name exactly one video file or image folder');
    const everyFrame = Boolean(values['every-frame']);
    const cameraId = (values.camera as string | undefined) ?? 'replay';
    // Logs go to stderr so stdout carries only reads.
    const unit = openUnit({ configPath: ctx.configPath, dataDir: ctx.dataDir, log: createLogger('warn', 'stderr') });
    const vision = await Vision.open(unit.config.vision);
    try {
      const source = isFolder(input)
        ? openFolder({ id: cameraId, path: input, everyFrame })
        : await openRecording({ id: cameraId, path: input, realtime: !everyFrame, everyFrame });
      const pipeline = new CameraPipeline(
        source,
        { config: unit.config, vision, reads: unit.reads, position: noPosition, log: unit.log },
        (read) => {
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
      const stop = () => void source.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const stats = await pipeline.run();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      ctx.stderr.write(formatSummary(path.basename(input), stats) + '\n');
      return 0;
    } finally {
      await vision.close();
      unit.close();
    }
  },
};

export function formatSummary(name: string, s: PipelineStats): string {
  const perFrame = (ms: number) => round(ms / Math.max(1, s.framesProcessed), 1);
  return JSON.stringify({
    summary: name,
    frames: s.framesDecoded,
    framesProcessed: s.framesProcessed,
    framesDropped: s.framesDropped,
    framesCorrupt: s.framesCorrupt,
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
