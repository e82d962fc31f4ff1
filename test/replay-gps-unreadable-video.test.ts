import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { nmeaBurst, straightDrive } from './helpers/nmea-track.js';
import { tempDir } from './helpers/tmp.js';

// replay refuses an empty video and a named pipe up front, naming what is wrong. With --gps it now
// first looks for an earlier replay of the recording's stretch of the drive, which asks ffprobe for
// the recording's duration before those checks: an empty file got ffprobe's "Invalid data found",
// and a named pipe nobody writes to kept ffprobe waiting until its timeout, then "ffprobe gave no
// answer", neither saying what to do.
const dir = tempDir('replay-gps-unreadable-');
const track = path.join(dir, 'drive.nmea');

beforeAll(() => {
  const lines = straightDrive(Date.UTC(2026, 11, 2, 12, 0, 0), 30).flatMap((p) => nmeaBurst(p));
  fs.writeFileSync(track, lines.join('\r\n') + '\r\n');
});

describe('replay --gps of a video file that holds nothing to replay', { timeout: 120_000 }, () => {
  it('refuses an empty file, saying it is empty', async () => {
    const file = path.join(dir, 'empty.mp4');
    fs.writeFileSync(file, '');
    const r = await runCli(['replay', file, '--gps', track, '--data-dir', path.join(dir, 'd-empty')]);
    expect(r.stderr.trim()).toBe(`lpr-edge: ${file}: the file is empty (0 bytes); not a video`);
    expect(r.code).toBe(2);
  });

  it('refuses a named pipe, saying what to do instead', async () => {
    const fifo = path.join(dir, 'pipe.mp4');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(['replay', fifo, '--gps', track, '--data-dir', path.join(dir, 'd-fifo')]);
    expect(r.stderr.trim()).toMatch(
      /^lpr-edge: \S+pipe\.mp4: a named pipe \(FIFO\), not a regular file; save what comes down the pipe to a file/,
    );
    expect(r.code).toBe(2);
  });
});
