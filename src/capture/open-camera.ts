import type { CameraConfig } from '../config/schema.js';
import { openRecording } from './file-source.js';
import { openFolder, isFolder } from './folder-source.js';
import type { FrameSource } from './types.js';

/** Build the frame source a camera entry of the config describes. */
export async function openCamera(camera: CameraConfig, opts: { everyFrame?: boolean } = {}): Promise<FrameSource> {
  switch (camera.kind) {
    case 'file':
      if (isFolder(camera.path)) return openFolder({ id: camera.id, path: camera.path, everyFrame: opts.everyFrame ?? false, fps: camera.fps });
      return openRecording({
        id: camera.id,
        path: camera.path,
        realtime: camera.realtime,
        loop: camera.loop,
        fps: camera.fps,
        everyFrame: opts.everyFrame ?? false,
      });
  }
}
