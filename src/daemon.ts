import { setTimeout as sleep } from 'node:timers/promises';
import { DataDirLock } from './store/data-dir-lock.js';
import { openUnit, type Unit } from './unit.js';
import { syntaxOptions } from './state/syntax.js';
import type { LoadOptions } from './config/load.js';
import { Vision } from './vision/vision.js';
import { createStateReader, type PlateStateReader } from './state/reader.js';
import { openCamera } from './capture/open-camera.js';
import { CameraPipeline, type PipelineDeps } from './pipeline/camera-pipeline.js';
import type { PositionSource } from './gps/types.js';
import type { Service } from './service.js';
import type { Logger } from './log.js';
import type { CameraConfig } from './config/schema.js';
import { policyServices, type PolicyServices } from './policy/services.js';
import { PolicyMaintenance } from './policy/maintenance.js';
import { zonesWithoutPosition } from './policy/exclusion.js';
import { createPositionSource } from './gps/index.js';
import { HealthServer } from './health/server.js';
import { SdNotifier } from './health/sd-notify.js';
import { LiveCamera } from './capture/live-camera.js';
import type { GpsHealth } from './gps/latest-fix.js';
import type { ClockHealth } from './gps/clock-check.js';
import { createSyncService, type SyncService } from './sync/service.js';
import { hotlistPort } from './sync/adapters.js';
import { syncFilesProblem } from './sync/files.js';
import { buildHotlist, type HotlistParts } from './hotlist/services.js';
import { canFallBehind, listAgeHours } from './hotlist/currency.js';
import type { UnitStatus as ConsoleStatus } from './alerts/server.js';
import type { UnitStatus } from './health/metrics.js';
import type { CameraHealth } from './capture/live-camera.js';
import { monotonicMs } from './util/clock.js';
import { settlesWithin } from './util/settles-within.js';

/** The daemon could not start; the message names the cause and the config key to change. */
export class StartError extends Error {
  override name = 'StartError';
  exitCode = 1;
}

/** Wait before reopening a camera whose source failed, doubling up to the maximum. */
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
/**
 * A live camera that delivers frames its pipeline has not taken for this long is stuck (e.g. inference
 * hung): the watchdog pings stop and systemd restarts the unit. Nothing else stops them — no GPS, no
 * broker, a camera unplugged (it reconnects by itself): a restart fixes none of those.
 */
const STUCK_PIPELINE_MS = 120_000;
/**
 * How long a stop waits for the camera pipelines to finish their frame; under systemd's
 * TimeoutStopSec (30 s) so that the rest still stops in order.
 */
const STOP_GRACE_MS = 10_000;

/**
 * The composition root: builds every service from the validated config, starts them in order,
 * and stops them in reverse. Nothing here is a module-level singleton, so a test can run a whole
 * daemon against a temporary data directory.
 */
export class Daemon {
  private readonly services: Service[] = [];
  private readonly pipelines = new Map<string, CameraPipeline>();
  private readonly cameraLoops: Promise<void>[] = [];
  /** Cameras whose loop has not ended yet (named when a stop gives up waiting for them). */
  private readonly camerasRunning = new Set<string>();
  /** Recordings played to their end (a field-test replay, the demo): finished, not failed. */
  private readonly endedRecordings = new Set<string>();
  /** Why each camera last failed to open or run, until it runs again. */
  private readonly cameraErrors = new Map<string, string>();
  /** Frames, and their inference time, of pipelines since replaced (a camera reopened): totals only grow. */
  private framesEarlier = 0;
  private inferenceMsEarlier = 0;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private stopGraceMs = STOP_GRACE_MS;
  /** Aborted on stop, so a camera waiting to be retried does not hold up the shutdown. */
  private readonly stopSignal = new AbortController();
  private maintenance: PolicyMaintenance | null = null;
  private hotlist: HotlistParts | null = null;
  private sync: SyncService | null = null;
  /** Why sync is configured but not running (its certificate, key or HQ key unusable), or null. */
  private syncDisabled: string | null = null;
  /** Reads the state of registration of each finished track (src/state). */
  private state?: PlateStateReader;
  private lock: DataDirLock | null = null;
  private readonly notifier = new SdNotifier({ healthy: () => this.watchdogHealthy() });
  private stuckPipelineMs = STUCK_PIPELINE_MS;
  private stuckLogged = false;
  /** On the monotonic clock: the uptime must not jump when the wall clock is stepped. */
  private readonly startedAt = monotonicMs();

  private constructor(
    readonly unit: Unit,
    private readonly vision: Vision,
    private readonly position: PositionSource,
    private readonly policy: PolicyServices,
  ) {}

  /** `stuckPipelineMs`, `stopGraceMs`: for tests; the defaults are STUCK_PIPELINE_MS, STOP_GRACE_MS. */
  static async start(
    opts: LoadOptions & { log?: Logger; stuckPipelineMs?: number; stopGraceMs?: number } = {},
  ): Promise<Daemon> {
    const unit = openUnit(opts);
    const { config, log } = unit;
    const unplaceable = zonesWithoutPosition(config);
    if (unplaceable) {
      unit.close();
      throw new StartError(unplaceable);
    }
    // One daemon per data directory: two would send each other's records and share the cameras.
    let lock: DataDirLock;
    try {
      lock = DataDirLock.acquire(config.dataDir);
    } catch (err) {
      unit.close();
      throw err;
    }
    log.info(
      { unit: config.unitId, agency: config.agency, config: unit.configSource, dataDir: config.dataDir },
      'starting lpr-edge',
    );
    let vision: Vision | null = null;
    let state: PlateStateReader;
    try {
      vision = await Vision.open(config.vision, syntaxOptions(config));
      state = await createStateReader(config, vision);
    } catch (err) {
      await vision?.close();
      unit.close();
      lock.release();
      throw err;
    }
    // Audits config and exclusion-zone changes since the last start (policy II, VI.F).
    // GPS (gpsd or serial NMEA) tags every read; it reconnects by itself and is stopped last.
    const gps = createPositionSource(config.gps, log);
    const daemon = new Daemon(unit, vision, gps, policyServices(unit, { recordStartup: true }));
    daemon.state = state;
    daemon.lock = lock;
    if (opts.stuckPipelineMs !== undefined) daemon.stuckPipelineMs = opts.stuckPipelineMs;
    if (opts.stopGraceMs !== undefined) daemon.stopGraceMs = opts.stopGraceMs;
    if (gps.start && gps.stop) daemon.services.push(gps as Service);
    const maxDiskMb = config.storage.maxDiskMb;
    daemon.maintenance = new PolicyMaintenance({ db: unit.db, dataDir: config.dataDir, maxDiskMb, log });
    daemon.services.push(daemon.maintenance);
    // Hotlist matching on every committed read, the hit lifecycle and the officer console.
    const hotlist = buildHotlist(unit, {
      audit: daemon.policy.audit,
      users: daemon.policy.users,
      queries: daemon.policy.queries,
      unitStatus: () => daemon.consoleStatus(),
    });
    daemon.services.push(...hotlist.services);
    daemon.hotlist = hotlist;
    try {
      // Headquarters: reads, hits, audit and query logs up; signed hotlists, roster, pull requests
      // down. Created in here: reading its certificates or password file can fail like a start.
      const syncProblem = config.sync.enabled ? syncFilesProblem(config.sync) : null;
      if (syncProblem) {
        // The reader runs without HQ: reads stay in the database, and the outbox collects them at
        // the next start with sync working, so none is lost. Said once here and in /healthz.
        daemon.syncDisabled = `sync disabled: ${syncProblem}`;
        log.error(
          { problem: syncProblem },
          'sync disabled: reads are kept and sent once this is fixed and lpr-edge restarted',
        );
      } else if (config.sync.enabled) {
        daemon.sync = createSyncService(unit, {
          audit: daemon.policy.audit,
          roster: daemon.policy.users,
          queries: daemon.policy.queries,
          hotlists: hotlistPort(hotlist.store),
        });
        daemon.services.push(daemon.sync);
      }
      // Listed as they start, so a failed start stops only what did start.
      for (const service of daemon.services.splice(0)) {
        await service.start();
        daemon.services.push(service);
        log.info({ service: service.name }, 'service started');
      }
      if (config.health.enabled) {
        const server = new HealthServer({
          host: config.health.host,
          port: config.health.port,
          log,
          collect: () => daemon.status(),
        });
        await server.start().catch((err: NodeJS.ErrnoException) => {
          throw err.code === 'EADDRINUSE'
            ? new StartError(
                `health port ${config.health.host}:${config.health.port} is already in use (config key health.port)`,
              )
            : err;
        });
        daemon.services.push(server);
      }
    } catch (err) {
      // Without this the started services (GPS, console, sync) keep the process alive, headless,
      // until systemd's start timeout: stop what started and let the process exit non-zero.
      log.error({ err: (err as Error).message }, 'start failed');
      await daemon.stop();
      throw err instanceof StartError ? err : new StartError(`could not start: ${(err as Error).message}`);
    }
    for (const camera of config.cameras) {
      daemon.camerasRunning.add(camera.id);
      daemon.cameraLoops.push(
        daemon.runCamera(camera).finally(() => daemon.camerasRunning.delete(camera.id)),
      );
    }
    log.info({ cameras: config.cameras.map((c) => c.id) }, 'lpr-edge running');
    // Type=notify: tell systemd we are up, and ping its watchdog from the event loop.
    await daemon.notifier.ready(`${config.cameras.length} camera(s)`);
    return daemon;
  }

  /** What /healthz and /metrics report (src/health). */
  status(): UnitStatus {
    const { config } = this.unit;
    const pipelines = [...this.pipelines.values()];
    const gps = this.services.find((s) => s.name === 'gps');
    const consoleHealth = this.services.find((s) => s.name === 'console')?.health?.();
    const extra = this.stuckPipelines().map(
      (id) =>
        `camera ${id} delivers frames but none processed for ${this.stuckPipelineMs / 1000} s (pipeline stuck)`,
    );
    for (const p of pipelines) {
      const h = p.health();
      if (h.storeError) extra.push(`camera ${h.camera} cannot store reads: ${h.storeError}`);
    }
    // Reads are still recorded without the console, but the officer gets no alerts: not healthy.
    if (consoleHealth?.error) extra.push(`officer console not listening: ${String(consoleHealth.error)}`);
    if (this.syncDisabled) extra.push(this.syncDisabled);
    const sync = this.sync?.health();
    const frames = pipelines.reduce((n, p) => n + p.stats().framesProcessed, this.framesEarlier);
    const inferenceTotal = pipelines.reduce((n, p) => n + inferenceMs(p), this.inferenceMsEarlier);
    // A live receiver reports the clock check with its health; it is shown on its own.
    const { clock = null, ...gpsHealth } =
      (gps?.health?.() as (GpsHealth & { clock?: ClockHealth }) | undefined) ?? {};
    return {
      unitId: config.unitId,
      uptimeS: Math.round((monotonicMs() - this.startedAt) / 1000),
      // Every configured camera, recordings too: one that never opened is reported, not left out.
      cameras: config.cameras.map((c) => this.cameraHealth(c)),
      gps: gps?.health ? (gpsHealth as GpsHealth) : null,
      clock,
      gpsMaxFixAgeMs: config.gps.source === 'none' ? undefined : config.gps.maxFixAgeMs,
      sync: sync
        ? {
            connected: sync.connected === true,
            queueDepth: sync.queueDepth as number,
            lastError: sync.lastError as string | null,
            errorCode: sync.errorCode as string | null,
            check: sync.check as string | null,
          }
        : null,
      reads: this.unit.reads.count(),
      storeFailures: pipelines.reduce((n, p) => n + p.health().storeFailures, 0),
      hits: this.hotlist?.hits.count(),
      outboxDepth: sync ? (sync.queueDepth as number) : undefined,
      // Lists from a source only: the unit's own entries cannot fall behind.
      hotlistAgeS: Object.fromEntries(
        (this.hotlist?.store.lists() ?? [])
          .filter(canFallBehind)
          .map((l) => [l.id, Math.round(listAgeHours(l, Date.now()) * 3600)]),
      ),
      hotlistMaxAgeS: config.hotlists.maxAgeHours * 3600,
      // Vision is shared by the cameras: its last frame's detect + recognise time, and the mean since
      // the start over every frame of every camera.
      inference: {
        lastMs: tenths(this.vision.times.detectMs + this.vision.times.recogniseMs),
        avgMs: frames > 0 ? tenths(inferenceTotal / frames) : null,
        count: frames,
      },
      problems: extra,
    };
  }

  /** Live cameras that deliver frames their pipeline has not taken for stuckPipelineMs. */
  private stuckPipelines(): string[] {
    return [...this.pipelines.values()]
      .filter((p) => {
        if (!(p.source instanceof LiveCamera)) return false;
        const camera = p.source.health();
        const sinceProcessed = p.health().lastProcessedAgeMs ?? 0;
        return camera.state === 'streaming' && sinceProcessed > this.stuckPipelineMs;
      })
      .map((p) => p.source.id);
  }

  /** Before each watchdog ping: withheld only for what a restart can fix (a stuck pipeline). */
  private watchdogHealthy(): boolean {
    const stuck = this.stuckPipelines();
    if (stuck.length && !this.stuckLogged)
      this.unit.log.error(
        { cameras: stuck },
        'pipeline stuck: withholding watchdog pings so systemd restarts lpr-edge',
      );
    this.stuckLogged = stuck.length > 0;
    return stuck.length === 0;
  }

  /** A live camera reports its own health; a recording is described from its pipeline. */
  private cameraHealth(c: CameraConfig): CameraHealth {
    const pipeline = this.pipelines.get(c.id);
    if (pipeline?.source instanceof LiveCamera) return pipeline.source.health();
    const h = pipeline?.health();
    const failed = this.cameraErrors.get(c.id);
    return {
      id: c.id,
      name: ('name' in c && c.name) || c.id,
      position: c.position,
      kind: c.kind,
      state: this.endedRecordings.has(c.id)
        ? 'ended'
        : failed !== undefined
          ? 'failed'
          : pipeline
            ? 'streaming'
            : 'connecting',
      fps: 0,
      lastFrameAgeMs: h?.lastFrameAgeMs ?? null,
      frames: h?.framesDecoded ?? 0,
      dropped: h?.framesDropped ?? 0,
      errors: 0,
      reconnects: 0,
      lastError: failed ?? h?.lastError ?? null,
    };
  }

  /** The officer console's status bar: cameras, GPS and the headquarters link. */
  consoleStatus(): ConsoleStatus {
    const s = this.status();
    const gps = s.gps;
    return {
      cameras: [...this.pipelines.values()].map((p) => {
        const h = p.health();
        if (this.endedRecordings.has(h.camera)) return { id: h.camera, ok: true, detail: 'recording ended' };
        const ok = h.lastFrameAgeMs !== null && h.lastFrameAgeMs < 5000;
        return { id: h.camera, ok, detail: ok ? 'ok' : (h.lastError ?? 'no frames') };
      }),
      gps: gps
        ? {
            ok: gps.fixAgeMs !== null && gps.fixAgeMs < 5000,
            detail: gps.fixAgeMs === null ? 'no fix' : `${gps.mode ?? '?'}D fix`,
          }
        : { ok: null, detail: 'not configured' },
      sync: this.sync
        ? {
            ok: this.sync.health().connected === true,
            detail: `${String(this.sync.health().queueDepth)} queued`,
          }
        : this.syncDisabled
          ? { ok: false, detail: 'disabled: see /healthz' }
          : { ok: null, detail: 'off (no broker configured)' },
    };
  }

  /** Cameras run independently: one that fails is reopened with backoff and never stops the others. */
  private async runCamera(camera: CameraConfig): Promise<void> {
    const { log } = this.unit;
    let delay = RESTART_MIN_MS;
    while (!this.stopping) {
      const deps: PipelineDeps = {
        config: this.unit.config,
        vision: this.vision,
        reads: this.unit.reads,
        position: this.position,
        log,
        gates: [this.policy.zones],
        keepOverview: () => this.maintenance?.keepOverview ?? true,
        hitsHotlist: (read) => this.hotlist?.matching.wouldHit(read) ?? false,
        state: this.state,
      };
      try {
        const source = await openCamera(camera, { log });
        // A stop that came while the camera was opening found no pipeline to stop.
        if (this.stopping) return await source.stop();
        const pipeline = new CameraPipeline(source, deps);
        const replaced = this.pipelines.get(camera.id);
        this.framesEarlier += replaced?.stats().framesProcessed ?? 0;
        this.inferenceMsEarlier += replaced ? inferenceMs(replaced) : 0;
        this.pipelines.set(camera.id, pipeline);
        this.cameraErrors.delete(camera.id);
        const stats = await pipeline.run();
        if (this.stopping) return;
        if (camera.kind === 'file' && !camera.loop) {
          const ended = { camera: camera.id, frames: stats.framesDecoded, reads: stats.reads };
          // A cut-off file ends as if complete (ffmpeg exits 0): said, so it is not taken for the whole.
          if (stats.endedEarly) log.warn({ ...ended, endedEarly: stats.endedEarly }, 'recording ended early');
          else log.info(ended, 'recording ended');
          this.endedRecordings.add(camera.id);
          return;
        }
        delay = RESTART_MIN_MS;
      } catch (err) {
        this.cameraErrors.set(camera.id, (err as Error).message);
        log.error({ camera: camera.id, err: (err as Error).message, retryInMs: delay }, 'camera failed');
      }
      await sleep(delay, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, RESTART_MAX_MS);
    }
  }

  /** Stops everything; a second call waits for the first to finish. */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    const { log } = this.unit;
    log.info('stopping lpr-edge');
    await this.notifier.stopping();
    await Promise.all([...this.pipelines.values()].map((p) => p.source.stop()));
    // A pipeline stuck in inference or in the database does not end when its source stops: the
    // rest is stopped without it, and the models it may still be using are left open.
    const loopsEnded = await settlesWithin(Promise.all(this.cameraLoops), this.stopGraceMs);
    if (!loopsEnded) {
      const cameras = [...this.camerasRunning];
      log.warn({ cameras, waitedMs: this.stopGraceMs }, 'camera pipeline did not stop; stopping without it');
    }
    for (const service of [...this.services].reverse()) {
      await service
        .stop()
        .catch((err: unknown) => log.error({ service: service.name, err }, 'service stop failed'));
    }
    if (loopsEnded) {
      await this.state?.close();
      await this.vision.close();
    }
    this.unit.close();
    this.lock?.release();
    log.info('stopped');
  }
}

/** Time a pipeline's frames spent in vision (detection and recognition), in ms. */
function inferenceMs(p: CameraPipeline): number {
  const { detect, recognise } = p.stats().stageMs;
  return detect + recognise;
}

function tenths(ms: number): number {
  return Math.round(ms * 10) / 10;
}
