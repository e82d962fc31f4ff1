import { probeVideo } from '../capture/probe.js';
import { redactUrl } from '../capture/config.js';

/** A stream that does not answer within this is reported, not waited for. */
const RTSP_PROBE_TIMEOUT_MS = 15_000;

/**
 * The frame size an RTSP camera sends, asked of the stream with ffprobe (over TCP unless the
 * camera says udp), or why it could not be asked. The capture scales every frame to the configured
 * size, so a size guessed for it (the old 1280x720 default) stretched a 640x480 stream.
 */
export async function rtspFrameSize(
  url: string,
  transport: string = 'tcp',
): Promise<{ width: number; height: number } | { problem: string }> {
  try {
    const info = await probeVideo(url, 'video', RTSP_PROBE_TIMEOUT_MS, [
      '-rtsp_transport',
      transport,
      // µs: a camera that accepts the connection and sends nothing.
      '-timeout',
      String(RTSP_PROBE_TIMEOUT_MS * 1000),
    ]);
    return { width: info.width, height: info.height };
  } catch (err) {
    // The stream's password stays out of the message.
    const message = (err as Error).message.replace(`${url}: `, '');
    return { problem: message.split(url).join(redactUrl(url)) };
  }
}

/**
 * RTSP cameras given without a size (`--camera rtsp:URL` with no width=/height=, an answers file)
 * get the stream's own; one whose stream cannot be asked is an error naming it and the fix, never a
 * guessed size.
 */
export async function fillRtspSizes(cameras: Record<string, unknown>[]): Promise<void> {
  for (const [i, cam] of cameras.entries()) {
    if (cam.kind !== 'rtsp' || typeof cam.url !== 'string') continue;
    if (cam.width !== undefined || cam.height !== undefined) continue;
    const size = await rtspFrameSize(cam.url, typeof cam.transport === 'string' ? cam.transport : undefined);
    if ('problem' in size) {
      const url = redactUrl(cam.url);
      throw new RtspSizeError(
        `cameras[${i}] (${String(cam.id)}): cannot ask ${url} its frame size (${size.problem}): give it, e.g. --camera rtsp:${url},id=${String(cam.id)},width=1280,height=720 (width and height in an answers file)`,
      );
    }
    Object.assign(cam, size);
  }
}

export class RtspSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtspSizeError';
  }
}
