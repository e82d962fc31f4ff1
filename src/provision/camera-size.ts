import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { probeVideo } from '../capture/probe.js';
import { redactUrl } from '../capture/config.js';

const run = promisify(execFile);

/** A stream that does not answer within this is reported, not waited for. */
const RTSP_PROBE_TIMEOUT_MS = 15_000;
/** A GigE camera or USB device that does not answer within this is reported, not waited for. */
const DEVICE_PROBE_TIMEOUT_MS = 10_000;

export type FrameSize = { width: number; height: number } | { problem: string };

/**
 * The frame size an RTSP camera sends, asked of the stream with ffprobe (over TCP unless the
 * camera says udp), or why it could not be asked. The capture scales every frame to the configured
 * size, so a size guessed for it (the old 1280x720 default) stretched a 640x480 stream.
 */
export async function rtspFrameSize(url: string, transport: string = 'tcp'): Promise<FrameSize> {
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

/** Why a helper program could not be run or said nothing usable, in one line. */
function runProblem(program: string, pkg: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
  if (e.code === 'ENOENT') return `${program} is not installed (Debian ${pkg})`;
  if (e.killed) return `${program} got no answer within ${DEVICE_PROBE_TIMEOUT_MS / 1000} s`;
  return (e.stderr || e.message).trim().split('\n')[0]!;
}

/**
 * The frame size a GigE camera is set to (its Width and Height features), asked with aravis'
 * arv-tool: a GigE camera keeps the size it was set up for (by its vendor's tool), and the capture
 * asks aravissrc for the configured one, so a guessed 1280x720 cut or failed a camera set to
 * another.
 */
export async function gigeFrameSize(camera: string): Promise<FrameSize> {
  let out: string;
  try {
    const r = await run('arv-tool-0.8', ['-n', camera, 'control', 'Width', 'Height'], {
      timeout: DEVICE_PROBE_TIMEOUT_MS,
    });
    out = `${r.stdout}\n${r.stderr}`;
  } catch (err) {
    return { problem: runProblem('arv-tool-0.8', 'aravis-tools-cli', err) };
  }
  const width = /^Width = (\d+)/m.exec(out)?.[1];
  const height = /^Height = (\d+)/m.exec(out)?.[1];
  // A camera that is not found still exits 0, saying so ("Device 'x' not found").
  if (!width || !height)
    return { problem: out.trim().split('\n')[0] || 'arv-tool-0.8 gave no Width and Height' };
  return { width: Number(width), height: Number(height) };
}

/**
 * The frame size a USB (V4L2) camera is set to, asked with v4l2-ctl (`--get-fmt-video`). Without
 * the device or v4l2-ctl the size is not guessed: the technician is asked for it.
 */
export async function v4l2FrameSize(device: string): Promise<FrameSize> {
  if (!existsSync(device)) return { problem: `no such device` };
  try {
    const r = await run('v4l2-ctl', ['-d', device, '--get-fmt-video'], { timeout: DEVICE_PROBE_TIMEOUT_MS });
    return parseV4l2Format(r.stdout);
  } catch (err) {
    return { problem: runProblem('v4l2-ctl', 'v4l-utils', err) };
  }
}

/** The size in `v4l2-ctl --get-fmt-video`'s answer ("Width/Height      : 640/480"). */
export function parseV4l2Format(stdout: string): FrameSize {
  const m = /^\s*Width\/Height\s*:\s*(\d+)\/(\d+)\s*$/m.exec(stdout);
  if (!m) return { problem: 'v4l2-ctl gave no Width/Height' };
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Where each kind of camera is, and how the technician's messages name it. */
const TARGET: Record<string, { key: string; name: (target: string) => string }> = {
  rtsp: { key: 'url', name: (url) => redactUrl(url) },
  gige: { key: 'camera', name: (camera) => `GigE camera ${camera}` },
  v4l2: { key: 'device', name: (device) => device },
};

/** The size of a camera as provision writes it (`kind` and its target), asked of the camera. */
export async function cameraFrameSize(cam: Record<string, unknown>): Promise<FrameSize> {
  const target = cam[TARGET[String(cam.kind)]?.key ?? ''];
  if (typeof target !== 'string') return { problem: 'no camera to ask' };
  if (cam.kind === 'rtsp')
    return rtspFrameSize(target, typeof cam.transport === 'string' ? cam.transport : undefined);
  if (cam.kind === 'gige') return gigeFrameSize(target);
  if (cam.kind === 'v4l2') return v4l2FrameSize(target);
  return { problem: `a ${String(cam.kind)} camera is not asked` };
}

/** How a message names the camera `cam` (an RTSP URL without its password). */
function cameraName(cam: Record<string, unknown>): string {
  const t = TARGET[String(cam.kind)];
  return t ? t.name(String(cam[t.key])) : String(cam.id);
}

/**
 * RTSP, GigE and USB cameras given without a size (`--camera KIND:TARGET` with no width=/height=,
 * an answers file) get the camera's own; one that cannot be asked is an error naming it and the
 * fix, never a guessed size (the capture scales every frame to the size configured).
 */
export async function fillCameraSizes(cameras: Record<string, unknown>[]): Promise<void> {
  for (const [i, cam] of cameras.entries()) {
    const t = TARGET[String(cam.kind)];
    if (!t || typeof cam[t.key] !== 'string') continue;
    if (cam.width !== undefined || cam.height !== undefined) continue;
    const size = await cameraFrameSize(cam);
    if ('problem' in size) {
      const target = cam.kind === 'rtsp' ? redactUrl(String(cam[t.key])) : String(cam[t.key]);
      throw new CameraSizeError(
        `cameras[${i}] (${String(cam.id)}): cannot ask ${cameraName(cam)} its frame size (${size.problem}): give it, e.g. --camera ${String(cam.kind)}:${target},id=${String(cam.id)},width=1280,height=720 (width and height in an answers file)`,
      );
    }
    Object.assign(cam, size);
  }
}

export class CameraSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CameraSizeError';
  }
}
