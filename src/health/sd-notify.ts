import { execFile } from 'node:child_process';

/**
 * systemd's notify protocol (Type=notify, WatchdogSec=) without native add-ons.
 *
 * NOTIFY_SOCKET is a unix *datagram* socket, and Node has no unix datagram sockets (dgram is
 * UDP only); the npm packages that add them are native add-ons, which we avoid on the ARM units.
 * So each message is sent by a short-lived `systemd-notify` child. Two consequences are handled in
 * the unit file: NotifyAccess=all (the sender is a child, not the main PID) and `--pid` names the
 * daemon as MAINPID. systemd-notify waits for the manager to process the message (a barrier)
 * before it exits, so the message is attributed to our cgroup.
 *
 * Watchdog pings are sent from a timer on the event loop: if the loop hangs (a runaway
 * synchronous task), the pings stop and systemd restarts the unit after WatchdogSec.
 */
export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  /** The notify program (tests point it at a wrapper; default `systemd-notify`). */
  command?: string;
  /** Extra check before each watchdog ping: return false to withhold it (e.g. the daemon is wedged). */
  healthy?: () => boolean;
  onError?: (err: Error) => void;
}

export class SdNotifier {
  private readonly env: NodeJS.ProcessEnv;
  private readonly command: string;
  private timer: NodeJS.Timeout | null = null;
  /** Pings sent so far (for tests and /metrics). */
  pings = 0;

  constructor(private readonly opts: NotifierOptions = {}) {
    this.env = opts.env ?? process.env;
    this.command = opts.command ?? 'systemd-notify';
  }

  /** True when started by systemd with Type=notify. */
  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  /** WatchdogSec in ms when the watchdog is on for this process, else null. */
  get watchdogMs(): number | null {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!this.enabled || !Number.isFinite(usec) || usec <= 0) return null;
    const pid = this.env.WATCHDOG_PID;
    if (pid && Number(pid) !== process.pid) return null;
    return usec / 1000;
  }

  send(...assignments: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return new Promise((resolve) => {
      execFile(
        this.command,
        [`--pid=${process.pid}`, ...assignments],
        { env: { ...process.env, NOTIFY_SOCKET: this.env.NOTIFY_SOCKET }, timeout: 5000 },
        (err) => {
          if (err) this.opts.onError?.(err);
          resolve();
        },
      );
    });
  }

  /** The daemon is up: services started. Starts watchdog pings when systemd asked for them. */
  async ready(status = 'running'): Promise<void> {
    await this.send('--ready', `--status=${status}`);
    const wd = this.watchdogMs;
    if (wd !== null && !this.timer) {
      // Half the watchdog interval, as sd_watchdog_enabled(3) recommends.
      this.timer = setInterval(() => void this.ping(), Math.max(100, wd / 2));
    }
  }

  async ping(): Promise<void> {
    if (this.opts.healthy && !this.opts.healthy()) return;
    this.pings++;
    await this.send('WATCHDOG=1');
  }

  status(text: string): Promise<void> {
    return this.send(`--status=${text}`);
  }

  async stopping(): Promise<void> {
    this.stopWatchdog();
    await this.send('STOPPING=1');
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
