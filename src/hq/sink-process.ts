import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/defaults.js';
import { stopChild } from '../util/stop-child.js';

export interface SinkStats {
  received: number;
  stored: number;
  duplicates: number;
  invalid: number;
  acksSent: number;
  cpuMs: number;
  final?: boolean;
}

/** The reference HQ consumer as its own process (scripts/hq-sink.mjs run), for benches and the fleet simulation. */
export class SinkProcess {
  readonly proc: ChildProcess;
  last?: SinkStats;
  private buf = '';

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, [path.join(PROJECT_ROOT, 'scripts', 'hq-sink.mjs'), 'run', ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.proc.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        try {
          this.last = JSON.parse(line) as SinkStats;
        } catch {
          /* not a stats line */
        }
      }
    });
  }

  /** Whether the process has ended, by an exit of its own or by a signal (then `exitCode` stays null). */
  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  async ready(timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.last) {
      if (Date.now() > end) throw new Error('hq sink process did not report');
      if (this.exited)
        throw new Error(`hq sink process exited with ${this.proc.exitCode ?? this.proc.signalCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then SIGKILL if the process has not exited `killAfterMs` later. */
  async stop(killAfterMs = 10_000): Promise<SinkStats | undefined> {
    await stopChild(this.proc, 'SIGTERM', killAfterMs);
    return this.last;
  }
}
