import { afterAll, describe, expect, it } from 'vitest';
import { earlierReplay } from '../src/fieldtest/replay-repeat.js';
import { ReadStore } from '../src/store/reads.js';
import { makeRead, openTestDb, tempDir } from './policy-helpers.js';

// A dashcam writes a drive as back-to-back files: the next file's first frame is at this one's
// start plus its length. A read on that frame belongs to the next file's replay, not this one's.
describe('replay --gps: the stretch a recording covers ends where the next file begins', () => {
  const dataDir = tempDir();
  const db = openTestDb(dataDir);
  const reads = new ReadStore(db, dataDir);
  afterAll(() => db.close());
  const start = Date.UTC(2026, 10, 28, 21, 0, 0);
  const oneMinute = { from: start, to: start + 60_000 };

  it('a read on the next file’s first frame does not make this file a repeat', () => {
    reads.save(makeRead({ ts: start + 60_000 }), { crop: null, overview: null });
    expect(earlierReplay(reads, dataDir, 'front', oneMinute)).toBeNull();
  });

  it('a read within the file does, naming how many', () => {
    reads.save(makeRead({ ts: start }), { crop: null, overview: null });
    expect(earlierReplay(reads, dataDir, 'front', oneMinute)).toMatch(
      /already holds 1 read\(s\) of camera "front"/,
    );
  });
});
