import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout for journald; when stdout is a terminal, the same records pretty-printed
 * so a technician at the console can read them.
 */
export function createLogger(
  level: LevelWithSilent = 'info',
  destination: 'stdout' | 'stderr' = 'stdout',
): Logger {
  const fd = destination === 'stdout' ? 1 : 2;
  const tty = destination === 'stdout' ? process.stdout.isTTY : process.stderr.isTTY;
  if (tty) {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        options: { destination: fd, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    // On stderr it is a command's log, interleaved with the command's own messages: written at
    // once, so a warning logged before the command's final line is not printed after it.
    pino.destination({ fd, sync: destination === 'stderr' }),
  );
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
