import type { Logger } from 'pino';
import type { LiveCameraConfig, V4l2CameraConfig } from './config.js';
import { redactUrl } from './config.js';
import { FfmpegReader } from './ffmpeg-reader.js';
import { openGigeReader, type GigeOptions } from './gige.js';
import { LiveCamera } from './live-camera.js';
import { rtspInputArgs } from './rtsp.js';
import { resolveV4l2Device, v4l2InputArgs } from './v4l2.js';

export interface OpenLiveOptions {
  log: Logger;
  gige?: GigeOptions;
  /**
   * ffmpeg input arguments for a V4L2 camera. Only tests replace it (with a lavfi or file input,
   * because these build machines have no V4L2 at all); everything after the input is the same code.
   */
  v4l2Args?: (cfg: V4l2CameraConfig) => string[];
}

/** A live camera from its config, wrapped in reconnect-with-backoff. */
export function openLiveCamera(cfg: LiveCameraConfig, opts: OpenLiveOptions): LiveCamera {
  const common = {
    id: cfg.id,
    name: cfg.name ?? cfg.id,
    position: cfg.position,
    kind: cfg.kind,
    reconnect: cfg.reconnect,
    log: opts.log,
  };
  const ffmpeg = (label: string, inputArgs: string[]) => () =>
    new FfmpegReader({
      id: cfg.id,
      label,
      inputArgs,
      width: cfg.width,
      height: cfg.height,
      everyFrame: false,
    });
  switch (cfg.kind) {
    case 'v4l2':
      return new LiveCamera({
        ...common,
        open: ffmpeg(
          `camera ${cfg.id} (${resolveV4l2Device(cfg.device)})`,
          (opts.v4l2Args ?? v4l2InputArgs)(cfg),
        ),
      });
    case 'rtsp':
      return new LiveCamera({
        ...common,
        open: ffmpeg(`camera ${cfg.id} (${redactUrl(cfg.url)})`, rtspInputArgs(cfg)),
      });
    case 'gige':
      return new LiveCamera({ ...common, open: () => openGigeReader(cfg, opts.gige) });
  }
}
