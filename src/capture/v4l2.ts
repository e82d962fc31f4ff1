import fs from 'node:fs';
import path from 'node:path';
import type { V4l2CameraConfig } from './config.js';

/** A V4L2 capture device found on the unit. */
export interface V4l2Device {
  /** /dev/videoN */
  device: string;
  /** Stable path under /dev/v4l/by-id (survives re-plugging into another port), when udev made one. */
  byId: string | null;
  /** Stable path under /dev/v4l/by-path (the USB port), when udev made one. */
  byPath: string | null;
  /** The driver's name for it ("HD Pro Webcam C920"). */
  name: string;
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function links(dir: string): Map<string, string> {
  // symlink target (videoN) → the link's path
  const out = new Map<string, string>();
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = path.join(dir, e);
    try {
      out.set(path.basename(fs.readlinkSync(p)), p);
    } catch {
      // not a symlink: ignore
    }
  }
  return out;
}

/**
 * Attached cameras, from sysfs and udev's /dev/v4l links. `root` is "/" on a unit and a fake tree
 * in tests. A UVC camera registers two nodes: the capture node (sysfs `index` 0) and a metadata
 * node (index 1) that yields no pictures; only capture nodes are listed.
 */
export function discoverV4l2(root = '/'): V4l2Device[] {
  const sysDir = path.join(root, 'sys/class/video4linux');
  let nodes: string[];
  try {
    nodes = fs.readdirSync(sysDir).filter((n) => /^video\d+$/.test(n));
  } catch {
    return [];
  }
  const byId = links(path.join(root, 'dev/v4l/by-id'));
  const byPath = links(path.join(root, 'dev/v4l/by-path'));
  const devices: V4l2Device[] = [];
  for (const node of nodes.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))) {
    const index = read(path.join(sysDir, node, 'index'));
    if (index !== null && index !== '0') continue;
    const dev = path.join(root, 'dev', node);
    if (!fs.existsSync(dev)) continue;
    devices.push({
      device: `/dev/${node}`,
      byId: byId.has(node) ? '/' + path.relative(root, byId.get(node)!) : null,
      byPath: byPath.has(node) ? '/' + path.relative(root, byPath.get(node)!) : null,
      name: read(path.join(sysDir, node, 'name')) ?? node,
    });
  }
  return devices;
}

/** `device` as configured → a path: "usb-046d_C920-video-index0" means /dev/v4l/by-id/usb-046d_C920-video-index0. */
export function resolveV4l2Device(device: string): string {
  return device.startsWith('/') ? device : `/dev/v4l/by-id/${device}`;
}

/** ffmpeg input arguments for a V4L2 camera. */
export function v4l2InputArgs(
  cfg: Pick<V4l2CameraConfig, 'device' | 'inputFormat' | 'width' | 'height' | 'fps'>,
): string[] {
  return [
    '-f',
    'v4l2',
    '-input_format',
    cfg.inputFormat === 'mjpeg' ? 'mjpeg' : 'yuyv422',
    '-video_size',
    `${cfg.width}x${cfg.height}`,
    '-framerate',
    String(cfg.fps),
    // Timestamps from the wall clock, not the driver's monotonic ones (not used, but avoids warnings).
    '-ts',
    'abs',
    '-i',
    resolveV4l2Device(cfg.device),
  ];
}
