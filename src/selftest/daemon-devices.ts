import type { LiveCameraConfig } from '../capture/config.js';
import type { Config } from '../config/schema.js';
import type { UnitStatus } from '../health/metrics.js';
import { runningHolder } from '../store/data-dir-lock.js';
import type { CheckResult } from './checks.js';

/**
 * Devices only one process can use at a time: a USB camera (V4L2 gives the stream to one reader,
 * or a second reader takes frames from the first), a GigE Vision camera (one application holds its
 * control channel) and a serial GPS receiver (two readers split its sentences). RTSP streams and
 * gpsd serve several clients; those are checked as usual.
 */
export function heldByDaemon(what: LiveCameraConfig | Config['gps']): boolean {
  return 'kind' in what ? what.kind === 'v4l2' || what.kind === 'gige' : what.source === 'serial';
}

/** The running daemon of this config's data folder (it holds the folder's lock), or null. */
export function runningDaemon(config: Config): { pid: number } | null {
  const holder = runningHolder(config.dataDir);
  return holder?.holder === 'daemon' ? { pid: holder.pid } : null;
}

/** What the daemon's /healthz says (200 healthy, 503 degraded: both carry the JSON), or null. */
export async function daemonHealth(config: Config): Promise<Partial<UnitStatus> | null> {
  if (!config.health.enabled) return null;
  const host = config.health.host.includes(':') ? `[${config.health.host}]` : config.health.host;
  try {
    const res = await fetch(`http://${host}:${config.health.port}/healthz`, {
      signal: AbortSignal.timeout(3000),
    });
    return (await res.json()) as Partial<UnitStatus>;
  } catch {
    return null; // not answering: said in the check's detail
  }
}

const CAMERA_FIX: Record<string, string> = {
  v4l2: 'check the USB cable and that the device exists (lpr-edge provision lists cameras)',
  gige: 'check the camera is powered and on the camera network, and its name (arv-tool-0.8 lists cameras)',
};

function inUse(pid: number): string {
  return `in use by the running lpr-edge daemon (pid ${pid}), not opened a second time`;
}

function noHealth(config: Config): string {
  return config.health.enabled
    ? `its /healthz (http://${config.health.host}:${config.health.port}) did not answer`
    : 'enable health in the config to see its state here';
}

const STOP = 'or stop the daemon (sudo systemctl stop lpr-edge) to test it';

/** A camera the daemon holds, from the daemon's own account of it. */
export function cameraOfDaemon(
  cfg: LiveCameraConfig,
  config: Config,
  pid: number,
  health: Partial<UnitStatus> | null,
): CheckResult {
  const check = `camera ${cfg.id}`;
  const cam = health?.cameras?.find((c) => c.id === cfg.id);
  if (!cam) return { check, status: 'skip', detail: `${inUse(pid)}; ${noHealth(config)}, ${STOP}` };
  const state = `its /healthz: ${cam.state}, ${cam.fps.toFixed(1)} frames/s`;
  if (cam.state === 'streaming') return { check, status: 'pass', detail: `${inUse(pid)}; ${state}` };
  return {
    check,
    status: 'fail',
    detail: `${inUse(pid)}; ${state}${cam.lastError ? `: ${cam.lastError}` : ''}`,
    fix: CAMERA_FIX[cfg.kind] ?? STOP,
  };
}

/** A serial GPS receiver the daemon holds, from the daemon's own account of it. */
export function gpsOfDaemon(
  gps: Extract<Config['gps'], { source: 'serial' }>,
  config: Config,
  pid: number,
  health: Partial<UnitStatus> | null,
): CheckResult {
  const check = 'gps';
  const where = `serial ${gps.path} ${inUse(pid)}`;
  const g = health?.gps;
  if (!g) return { check, status: 'skip', detail: `${where}; ${noHealth(config)}, ${STOP}` };
  if (!g.connected)
    return {
      check,
      status: 'fail',
      detail: `${where}; its /healthz: not connected${g.lastError ? `: ${g.lastError}` : ''}`,
      fix: 'check the receiver cable and the serial path and baud rate',
    };
  if (g.fixAgeMs === null)
    return {
      check,
      status: 'fail',
      detail: `${where}; its /healthz: connected, no fix`,
      fix: 'move the car into open sky and check the antenna; reads are stored without position until then',
    };
  return {
    check,
    status: 'pass',
    detail: `${where}; its /healthz: connected, fix ${(g.fixAgeMs / 1000).toFixed(1)} s old`,
  };
}
