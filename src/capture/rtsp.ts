import type { RtspCameraConfig } from './config.js';

/** ffmpeg input arguments for an RTSP camera. */
export function rtspInputArgs(cfg: Pick<RtspCameraConfig, 'url' | 'transport'>): string[] {
  return [
    '-rtsp_transport',
    cfg.transport,
    // Give up on a silent camera after 5 s (µs) instead of hanging; the reconnect wrapper retries.
    '-timeout',
    '5000000',
    // Live: do not buffer to smooth playback, hand frames on as they come.
    '-fflags',
    'nobuffer',
    '-flags',
    'low_delay',
    '-i',
    cfg.url,
  ];
}
