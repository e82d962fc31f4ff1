import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { stopChild } from '../../src/util/stop-child.js';

export { freePort } from '../../src/util/free-port.js';

/** Poll `check` until it returns a value (not undefined/false) or time runs out. */
export async function waitFor<T>(
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ port, host });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Kill a child and wait for it to exit (SIGKILL after 3 s). */
export async function killChild(
  child: ChildProcess | null | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child) await stopChild(child, signal, 3000);
}

/** socat pseudo-terminal pair with stable symlinks `a` and `b` (a serial line with two ends). */
export async function ptyPair(a: string, b: string): Promise<ChildProcess> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  await waitFor(() => /starting data transfer loop/.test(err), 5000, 'socat pty pair');
  return child;
}

export { spawn };
