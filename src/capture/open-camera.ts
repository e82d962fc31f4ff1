import type { CameraConfig } from '../config/schema.js';
import { openRecording } from './file-source.js';
import { openFolder, isFolder } from './folder-source.js';
import type { FrameSource } from './types.js';
import type { Logger } from 'pino';
import { openLiveCamera } from './live.js';
import { silentLogger } from '../log.js';

/** Build the frame source a camera entry of the config describes. */
export async function openCamera(
  camera: CameraConfig,
  opts: { everyFrame?: boolean; log?: Logger } = {},
): Promise<FrameSource> {
  switch (camera.kind) {
    case 'file':
      if (isFolder(camera.path))
        return openFolder({
          id: camera.id,
          path: camera.path,
          everyFrame: opts.everyFrame ?? false,
          fps: camera.fps,
          onSkip: (reason) => opts.log?.warn({ camera: camera.id }, `image skipped: ${reason}`),
        });
      return openRecording({
        id: camera.id,
        path: camera.path,
        realtime: camera.realtime,
        loop: camera.loop,
        fps: camera.fps,
        everyFrame: opts.everyFrame ?? false,
      });
    case 'v4l2':
    case 'rtsp':
    case 'gige':
      // Live cameras: reconnect with backoff, latest frame wins (see live-camera.ts).
      return openLiveCamera(camera, { log: opts.log ?? silentLogger() });
  }
}
