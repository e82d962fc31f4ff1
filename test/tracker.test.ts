import { describe, expect, it } from 'vitest';
import { Tracker, type TrackedObservation } from '../src/tracker/tracker.js';
import { voteText } from '../src/tracker/vote.js';

const frame = { width: 10, height: 10, rgb: Buffer.alloc(300) };
const cfg = { idleMs: 1000, maxTrackMs: 10_000, minSimilarity: 0.6 };

function obs(plate: string, ts: number, x: number, confidence = 0.9, mono = ts): TrackedObservation {
  return {
    plate,
    confidence,
    charConfidences: [...plate].map(() => confidence),
    candidates: [{ text: plate, confidence }],
    box: [x, 100, 120, 40],
    lineBox: [x, 110, 120, 20],
    ts,
    mono,
    frame,
  };
}

describe('character voting', () => {
  it('fixes a character misread in one frame from the others', () => {
    const vote = voteText([
      { plate: 'KDT4821', confidence: 0.9, charConfidences: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] },
      { plate: 'KDT4B21', confidence: 0.6, charConfidences: [0.9, 0.9, 0.9, 0.9, 0.4, 0.9, 0.9] },
      { plate: 'KDT4821', confidence: 0.85, charConfidences: [0.9, 0.9, 0.9, 0.9, 0.8, 0.9, 0.9] },
    ]);
    expect(vote.plate).toBe('KDT4821');
    expect(vote.charConfidences[4]).toBeLessThan(vote.charConfidences[0]!);
  });

  it('prefers the length most readings agree on (a dropped repeated character loses)', () => {
    const vote = voteText([
      { plate: 'AA1234', confidence: 0.8, charConfidences: [0.8, 0.8, 0.8, 0.8, 0.8, 0.8] },
      { plate: 'A1234', confidence: 0.7, charConfidences: [0.7, 0.7, 0.7, 0.7, 0.7] },
      { plate: 'AA1234', confidence: 0.75, charConfidences: [0.8, 0.8, 0.8, 0.8, 0.8, 0.8] },
    ]);
    expect(vote.plate).toBe('AA1234');
  });

  // Missouri HK5R9C as the 1080p video eval read it (wts-lg-000034): the plate frame's edge after
  // the C is read I close up, 1 in the whole-frame search, and not at all in other frames.
  const reading = (plate: string, confidence: number, last = confidence) => ({
    plate,
    confidence,
    charConfidences: [...plate].map((_, i) => (i === plate.length - 1 ? last : 1)),
  });

  it('drops an end stroke that some frames read as I, some as 1 and some not at all', () => {
    const frames = [
      reading('HK5R9C1', 0.75),
      reading('HK5R9C', 1),
      reading('HK5R9CI', 0.95, 0.96),
      reading('HK5R9C1', 0.75),
      reading('HK5R9C', 1),
      reading('HK5R9CI', 0.95, 0.96),
      reading('HK5R9C1', 0.75),
      reading('HK5R9C', 1),
      reading('HK5R9CI', 0.95, 0.96),
      reading('HK5R9C1', 0.75),
    ];
    expect(voteText(frames).plate).toBe('HK5R9C');
    // The same frames without the ones that saw no seventh character keep it, as before.
    expect(voteText(frames.filter((r) => r.plate.length === 7)).plate).toBe('HK5R9CI');
  });

  it('keeps a first character that is not a stroke, though frames whose crop cut it off outweigh it', () => {
    const cutOff = { plate: 'JK7551', confidence: 0.9, charConfidences: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9] };
    const weakA = { plate: 'AJK7551', confidence: 0.8, charConfidences: [0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] };
    expect(voteText([weakA, cutOff, weakA, cutOff, weakA]).plate).toBe('AJK7551');
  });

  it('keeps a last character that most frames read the same, though some frames missed it', () => {
    const vote = voteText([
      reading('HK5R9C1', 0.9),
      reading('HK5R9C1', 0.85),
      reading('HK5R9C', 0.95),
      reading('HK5R9C1', 0.8),
    ]);
    expect(vote.plate).toBe('HK5R9C1');
    expect(vote.charConfidences[6]).toBeLessThan(vote.charConfidences[5]!);
  });
});

describe('tracker', () => {
  it('merges one vehicle seen over many frames into one read, emitted when the track goes idle', () => {
    const tracker = new Tracker('front', cfg);
    const plates = ['KDT4821', 'KDT4821', 'KOT4821', 'KDT4821', 'KDT4B21'];
    for (const [i, p] of plates.entries())
      expect(tracker.update(i * 100, [obs(p, i * 100, 100 + i * 10)])).toEqual([]);
    expect(tracker.update(1000, [])).toEqual([]);
    const done = tracker.update(1500, []);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ frames: 5, firstSeen: 0, lastSeen: 400, vote: { plate: 'KDT4821' } });
  });

  it('keeps two vehicles in one frame apart', () => {
    const tracker = new Tracker('front', cfg);
    for (let i = 0; i < 4; i++)
      tracker.update(i * 100, [obs('ABC123', i * 100, 50), obs('XYZ789', i * 100, 600)]);
    const done = tracker.flush();
    expect(done.map((t) => [t.vote.plate, t.frames]).sort()).toEqual([
      ['ABC123', 4],
      ['XYZ789', 4],
    ]);
  });

  it('emits a track that lasts too long even while the plate is still in view', () => {
    const tracker = new Tracker('front', { ...cfg, maxTrackMs: 500 });
    let emitted = 0;
    for (let i = 0; i <= 6; i++) emitted += tracker.update(i * 100, [obs('ABC123', i * 100, 50)]).length;
    expect(emitted).toBe(1);
  });

  // Frames carry the wall clock (what reads record) and the monotonic clock (what tracking runs on).
  // The wall clock is stepped by an hour between the third and fourth frame, as NTP or the GPS
  // does after boot in a patrol car.
  it.each([
    ['back', -3_600_000],
    ['forward', 3_600_000],
  ])('keeps one vehicle one read, its times in order, when the wall clock steps %s mid-track', (_, step) => {
    const tracker = new Tracker('front', cfg);
    const wall0 = Date.UTC(2026, 11, 1, 9, 0, 0);
    const wall = (i: number) => wall0 + i * 100 + (i >= 3 ? step : 0);
    const mono = (i: number) => 5000 + i * 100;
    const done = [];
    for (let i = 0; i < 6; i++)
      done.push(
        ...tracker.update(mono(i), [obs('KDT4821', wall(i), 100 + i * 10, i === 1 ? 0.95 : 0.9, mono(i))]),
      );
    expect(done).toEqual([]);
    // The plate has gone: the track ends idleMs later by the monotonic clock, not an hour later.
    done.push(...tracker.update(mono(5) + cfg.idleMs + 1, []));
    expect(done).toHaveLength(1);
    expect(tracker.open).toBe(0);
    // On the corrected (latest) clock, as far apart as they really were; the best frame was the
    // second, taken before the step.
    expect(done[0]).toMatchObject({
      frames: 6,
      firstSeen: wall(5) - 500,
      lastSeen: wall(5),
      ts: wall(5) - 400,
    });
  });
});

// A gap in what the camera saw (a camera that stalls and reconnects, a variable-rate recording)
// can be far longer than idleMs: the pipeline then ends the tracks idle that long (`expire`)
// before the next frame's plates are matched, whatever that frame shows.
describe('tracker: a gap in the frames', () => {
  /** Observations of `plate` every 100 ms from `from` to `to` (ms), at the same place in view, as the pipeline feeds them. */
  function seen(tracker: Tracker, plate: string, from: number, to: number) {
    const done = [...tracker.expire(from)];
    for (let t = from; t <= to; t += 100) done.push(...tracker.update(t, [obs(plate, t, 100)]));
    return done;
  }

  it('keeps a vehicle seen after the gap apart from one with a similar plate seen before it', () => {
    const tracker = new Tracker('front', cfg);
    const done = seen(tracker, 'ABC1234', 0, 1000);
    // No frame at all for 5 s, then another vehicle, whose plate differs in two characters.
    const after = seen(tracker, 'XBC1284', 6000, 8000);
    // The first vehicle's read is emitted by the first frame after the gap.
    expect(after.map((t) => t.vote.plate)).toEqual(['ABC1234']);
    done.push(...after, ...tracker.flush());
    expect(done.map((t) => [t.vote.plate, t.frames, t.firstSeen, t.lastSeen])).toEqual([
      ['ABC1234', 11, 0, 1000],
      ['XBC1284', 21, 6000, 8000],
    ]);
  });

  it('makes the same plate seen again after the gap a new read, not one spanning the gap', () => {
    const tracker = new Tracker('front', cfg);
    const done = [...seen(tracker, 'KDT4821', 0, 500), ...seen(tracker, 'KDT4821', 3000, 3500)];
    done.push(...tracker.flush());
    expect(done.map((t) => [t.firstSeen, t.lastSeen])).toEqual([
      [0, 500],
      [3000, 3500],
    ]);
  });

  it('still extends a track seen again within idleMs', () => {
    const tracker = new Tracker('front', cfg);
    const done = [...seen(tracker, 'KDT4821', 0, 500), ...seen(tracker, 'KDT4821', 1500, 2000)];
    done.push(...tracker.flush());
    expect(done.map((t) => [t.firstSeen, t.lastSeen, t.frames])).toEqual([[0, 2000, 12]]);
  });

  it('ends idle tracks on expire(), without a frame, as update() would', () => {
    const tracker = new Tracker('front', cfg);
    seen(tracker, 'KDT4821', 0, 500);
    expect(tracker.expire(1500)).toEqual([]);
    expect(tracker.expire(1501).map((t) => t.vote.plate)).toEqual(['KDT4821']);
    expect(tracker.lastSightings()).toEqual([]);
  });
});
