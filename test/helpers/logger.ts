import { pino } from 'pino';
import type { Logger } from '../../src/log.js';

/** One pino record as logged: level, message and whatever fields came with it. */
export type LogRecord = { level: number; msg: string } & Record<string, unknown>;

/** A debug-level logger whose records land in `records`, to check what a technician would see. */
export function recordingLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { log, records };
}
