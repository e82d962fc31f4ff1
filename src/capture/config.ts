import { z } from 'zod';
import { milliseconds } from '../config/duration.js';

/**
 * Config schemas of the live camera kinds (the `file` kind lives in src/config/schema.ts). Every
 * camera has an id (used in reads and metrics), an optional display name, a mounting position,
 * the frame size the pipeline receives, and reconnect timing.
 */

const id = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"');
const position = z.enum(['front', 'rear', 'left', 'right']);

export const reconnectSchema = z
  .strictObject({
    /** First retry delay after a camera is lost; doubles up to maxMs. */
    initialMs: milliseconds(50, 60_000).default(1000),
    maxMs: milliseconds(100, 600_000).default(30_000),
    /** A camera that delivers no frame for this long is treated as lost and reopened. */
    stallMs: milliseconds(500, 60_000).default(5000),
    /**
     * Frames must flow this long before the backoff resets: a camera that gives a few frames and
     * dies again (a loose connector) keeps backing off to maxMs instead of respawning every second.
     */
    steadyMs: milliseconds(500, 600_000).default(10_000),
    /** How long one attempt may take to deliver its first frame (RTSP handshake, ffmpeg probing, GigE negotiation). */
    connectTimeoutMs: milliseconds(1000, 120_000).default(15_000),
  })
  // The delay starts at initialMs and doubles up to maxMs: above maxMs, initialMs would be cut to
  // maxMs at once, and the setting the technician wrote would silently not apply.
  .superRefine((r, ctx) => {
    if (r.initialMs > r.maxMs)
      ctx.addIssue({
        code: 'custom',
        path: ['initialMs'],
        message: `must not be above reconnect.maxMs (${r.maxMs}), where the delay that starts at initialMs stops doubling: lower initialMs or raise maxMs`,
      });
  });
const reconnectDefault = reconnectSchema.parse({});

const common = {
  id,
  /** What the officer and technician see ("Front ALPR"); defaults to the id. */
  name: z.string().min(1).max(60).optional(),
  position: position.default('front'),
  width: z.number().int().min(64).max(4096),
  height: z.number().int().min(64).max(4096),
  /** Frames per second the camera is asked for (and selftest expects). */
  fps: z.number().positive().max(120).default(15),
  reconnect: reconnectSchema.default(reconnectDefault),
};

/** A USB camera through V4L2. `device`: /dev/videoN, a /dev/v4l/by-id path, or just the by-id name. */
export const v4l2CameraSchema = z.strictObject({
  kind: z.literal('v4l2'),
  ...common,
  device: z.string().min(1),
  /** MJPEG keeps USB 2.0 bandwidth low at HD; YUYV is uncompressed (sharper, lower frame rates). */
  inputFormat: z.enum(['mjpeg', 'yuyv']).default('mjpeg'),
});

/** A GigE Vision camera through aravis. `camera`: the aravis name ("Vendor-Model-Serial"), serial or IP. */
export const gigeCameraSchema = z
  .strictObject({
    kind: z.literal('gige'),
    ...common,
    /** The aravis id ("Vendor-Model-Serial") or IP address. Give this or `serial`. */
    camera: z.string().min(1).optional(),
    /** The camera's serial number: resolved to its aravis id by discovery each time it is opened. */
    serial: z.string().min(1).optional(),
    pixelFormat: z.enum(['mono8', 'rgb8', 'bayer_rggb8']).default('mono8'),
    /** Exposure in µs; omit for the camera's auto exposure. Plates at speed want ≤ 1000 µs. */
    exposureUs: z.number().positive().max(1_000_000).optional(),
    /** Gain in dB; omit for auto gain. */
    gainDb: z.number().min(0).max(48).optional(),
    /** GigE packet size; omit to let aravis negotiate (jumbo frames need switch support). */
    packetSize: z.number().int().min(576).max(9000).optional(),
  })
  .refine((c) => (c.camera === undefined) !== (c.serial === undefined), {
    message: 'give exactly one of "camera" (aravis id or IP address) or "serial"',
    path: ['camera'],
  });

/** A network camera over RTSP. Credentials may be in the URL; they never appear in logs. */
export const rtspCameraSchema = z.strictObject({
  kind: z.literal('rtsp'),
  ...common,
  url: z.string().regex(/^rtsps?:\/\/[^\s]+$/, 'an rtsp:// URL such as rtsp://192.168.10.20:554/stream1'),
  /** TCP survives lossy links and NAT; UDP has lower latency on a clean camera network. */
  transport: z.enum(['tcp', 'udp']).default('tcp'),
});

export type V4l2CameraConfig = z.infer<typeof v4l2CameraSchema>;
export type GigeCameraConfig = z.infer<typeof gigeCameraSchema>;
export type RtspCameraConfig = z.infer<typeof rtspCameraSchema>;
export type LiveCameraConfig = V4l2CameraConfig | GigeCameraConfig | RtspCameraConfig;
export type ReconnectConfig = z.infer<typeof reconnectSchema>;

/** rtsp://user:secret@host/… → rtsp://user:***@host/… for logs and status. */
export function redactUrl(url: string): string {
  return url.replace(/^(rtsps?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}
