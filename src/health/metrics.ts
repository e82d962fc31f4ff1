import type { CameraHealth } from '../capture/live-camera.js';
import type { GpsHealth } from '../gps/latest-fix.js';
import { describeOffset, type ClockHealth } from '../gps/clock-check.js';

/** Everything /healthz and /metrics report; the daemon fills what it has (missing = not reported). */
export interface UnitStatus {
  unitId: string;
  /** Seconds since the daemon started, by the monotonic clock (a wall-clock step does not change it). */
  uptimeS: number;
  cameras: CameraHealth[];
  /** null when the unit has no GPS configured. */
  gps: GpsHealth | null;
  /** A fix older than this is not attached to reads (`gps.maxFixAgeMs`): a stale fix is a problem. */
  gpsMaxFixAgeMs?: number;
  /** The unit's wall clock checked against live GPS time; null without a live GPS source. */
  clock?: ClockHealth | null;
  /**
   * The headquarters link. Down is not a problem (a patrol car is often out of coverage); a failure
   * with a config key to check (a CA, certificate or password refused) is: it does not heal.
   */
  sync?: {
    connected: boolean;
    queueDepth: number;
    /** Why the last attempt failed, and its code (TLS, socket or CONNACK); null once connected. */
    lastError?: string | null;
    errorCode?: string | null;
    /** The config key to check, for a failure of the unit's configuration. */
    check?: string | null;
  } | null;
  /** Reads that could not be saved since the start, all cameras. */
  storeFailures?: number;
  inference?: { lastMs: number | null; avgMs: number | null; count: number };
  reads?: number;
  hits?: number;
  outboxDepth?: number;
  /** Age of each hotlist from a source (not the unit's own watch list) in seconds, by list name; {} = none loaded. */
  hotlistAgeS?: Record<string, number>;
  /** Hotlist age above which the unit is degraded (policy IV.C.1; default 24 h). */
  hotlistMaxAgeS?: number;
  /** Extra problems other services report (e.g. "broker unreachable"). */
  problems?: string[];
}

/** Problems a technician should see; none means healthy. */
export function problems(s: UnitStatus): string[] {
  const out: string[] = [];
  // A unit that reads nothing must not look healthy to the technician who installed it.
  if (s.cameras.length === 0)
    out.push('no camera configured: add one under cameras in the config (lpr-edge provision writes them)');
  for (const c of s.cameras) {
    if (c.state !== 'streaming' && c.state !== 'ended')
      out.push(`camera ${c.id} ${c.state}${c.lastError ? `: ${c.lastError}` : ''}`);
  }
  if (s.gps) {
    if (!s.gps.connected) out.push(`GPS not connected${s.gps.lastError ? `: ${s.gps.lastError}` : ''}`);
    else if (s.gps.fixAgeMs === null)
      out.push(`GPS has no fix${s.gps.lastError ? `: ${s.gps.lastError}` : ''}`);
    else if (s.gpsMaxFixAgeMs !== undefined && s.gps.fixAgeMs > s.gpsMaxFixAgeMs)
      out.push(
        `GPS fix is ${Math.round(s.gps.fixAgeMs / 1000)} s old (reads get no position after gps.maxFixAgeMs ${s.gpsMaxFixAgeMs} ms)`,
      );
  }
  if (s.clock?.status === 'off' && s.clock.offsetMs !== null)
    out.push(
      `system clock is ${describeOffset(s.clock.offsetMs)} (more than gps.maxClockOffsetMs ${s.clock.maxOffsetMs} ms): reads are stamped with a wrong time`,
    );
  // Reads are checked against nothing: no alert can ever be raised. The unit's own watch list
  // (never stale) does not count: policy IV.C.1 asks for the agency's current list.
  if (s.hotlistAgeS && Object.keys(s.hotlistAgeS).length === 0)
    out.push(
      "no hotlist loaded (policy IV.C.1): import one (lpr-edge hotlist import FILE) or enable sync to receive HQ's",
    );
  if (s.hotlistAgeS && s.hotlistMaxAgeS !== undefined) {
    for (const [name, age] of Object.entries(s.hotlistAgeS)) {
      if (age > s.hotlistMaxAgeS) out.push(`hotlist ${name} is ${Math.round(age / 3600)} h old`);
    }
  }
  if (s.sync && !s.sync.connected && s.sync.check)
    out.push(
      `sync link failing: ${s.sync.lastError}${s.sync.errorCode ? ` (${s.sync.errorCode})` : ''}: check ${s.sync.check}`,
    );
  return [...out, ...(s.problems ?? [])];
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Prometheus text exposition format 0.0.4. */
export function prometheusText(s: UnitStatus): string {
  const lines: string[] = [];
  const metric = (
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    samples: [Record<string, string>, number | null | undefined][],
  ) => {
    const present = samples.filter(([, v]) => v !== null && v !== undefined && Number.isFinite(v));
    if (!present.length) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of present) lines.push(`${name}${labels(l)} ${v}`);
  };
  const cam = (c: CameraHealth) => ({ camera: c.id, position: c.position, kind: c.kind });
  metric('lpr_up', 'gauge', '1 when no problem is reported', [
    [{ unit: s.unitId }, problems(s).length === 0 ? 1 : 0],
  ]);
  metric('lpr_uptime_seconds', 'gauge', 'Seconds since the daemon started', [[{}, s.uptimeS]]);
  metric(
    'lpr_camera_up',
    'gauge',
    '1 while the camera streams',
    s.cameras.map((c) => [cam(c), c.state === 'streaming' ? 1 : 0]),
  );
  metric(
    'lpr_camera_fps',
    'gauge',
    'Frames per second over the last 5 s',
    s.cameras.map((c) => [cam(c), c.fps]),
  );
  metric(
    'lpr_camera_last_frame_age_seconds',
    'gauge',
    'Seconds since the last frame',
    s.cameras.map((c) => [cam(c), c.lastFrameAgeMs === null ? null : c.lastFrameAgeMs / 1000]),
  );
  metric(
    'lpr_camera_frames_total',
    'counter',
    'Frames delivered',
    s.cameras.map((c) => [cam(c), c.frames]),
  );
  metric(
    'lpr_camera_frames_dropped_total',
    'counter',
    'Frames replaced before inference took them',
    s.cameras.map((c) => [cam(c), c.dropped]),
  );
  metric(
    'lpr_camera_errors_total',
    'counter',
    'Camera failures (lost, stalled, refused)',
    s.cameras.map((c) => [cam(c), c.errors]),
  );
  metric(
    'lpr_camera_reconnects_total',
    'counter',
    'Reconnect attempts',
    s.cameras.map((c) => [cam(c), c.reconnects]),
  );
  if (s.inference) {
    metric('lpr_inference_last_ms', 'gauge', 'Duration of the last frame inference', [
      [{}, s.inference.lastMs],
    ]);
    metric('lpr_inference_avg_ms', 'gauge', 'Mean frame inference duration since the start', [
      [{}, s.inference.avgMs],
    ]);
    metric('lpr_inference_frames_total', 'counter', 'Frames run through inference', [
      [{}, s.inference.count],
    ]);
  }
  // Rows in the database, not counters: the retention purge lowers them (policy), which a counter must not do.
  metric('lpr_reads_stored', 'gauge', 'Plate reads held on the unit (falls when retention purges)', [
    [{}, s.reads],
  ]);
  metric('lpr_store_failures_total', 'counter', 'Reads that could not be saved', [[{}, s.storeFailures]]);
  metric('lpr_hits_stored', 'gauge', 'Hotlist hits held on the unit (falls when retention purges)', [
    [{}, s.hits],
  ]);
  if (s.sync) {
    metric('lpr_sync_connected', 'gauge', '1 while the headquarters link is up', [
      [{}, s.sync.connected ? 1 : 0],
    ]);
  }
  metric('lpr_outbox_depth', 'gauge', 'Records waiting for headquarters to acknowledge them', [
    [{}, s.outboxDepth],
  ]);
  if (s.gps) {
    metric('lpr_gps_connected', 'gauge', '1 while the GPS source is connected', [
      [{}, s.gps.connected ? 1 : 0],
    ]);
    metric('lpr_gps_fix_age_seconds', 'gauge', 'Age of the latest GPS fix', [
      [{}, s.gps.fixAgeMs === null ? null : s.gps.fixAgeMs / 1000],
    ]);
    metric('lpr_gps_satellites', 'gauge', 'Satellites used in the fix', [[{}, s.gps.satellites]]);
    metric('lpr_gps_hdop', 'gauge', 'Horizontal dilution of precision', [[{}, s.gps.hdop]]);
  }
  if (s.clock) {
    metric(
      'lpr_clock_offset_seconds',
      'gauge',
      'GPS time minus the system clock (median of the last fixes)',
      [[{}, s.clock.offsetMs === null ? null : s.clock.offsetMs / 1000]],
    );
    metric('lpr_clock_ok', 'gauge', '1 while the system clock is within gps.maxClockOffsetMs of GPS time', [
      [{}, s.clock.status === 'unknown' ? null : s.clock.status === 'ok' ? 1 : 0],
    ]);
  }
  if (s.hotlistAgeS) {
    metric(
      'lpr_hotlist_age_seconds',
      'gauge',
      'Age of each hotlist',
      Object.entries(s.hotlistAgeS).map(([list, age]) => [{ list }, age]),
    );
  }
  return lines.join('\n') + '\n';
}
