import type { ChildProcess } from 'node:child_process';

/**
 * Send `signal` to a child process and wait for it to exit; one that has not exited
 * `killAfterMs` later (hung, or ignoring the signal) gets SIGKILL, so the wait has an end.
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  killAfterMs = 5000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const force = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(force);
}
