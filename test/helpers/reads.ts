import type { Read } from '../../src/store/types.js';

/** A plausible read for tests that need one in the store; override any field. */
export function sampleRead(overrides: Partial<Read> = {}): Read {
  return {
    id: `read-${Math.random().toString(36).slice(2)}`,
    unitId: 'car-17',
    cameraId: 'front',
    ts: Date.UTC(2026, 10, 28, 21, 0, 0),
    firstSeen: Date.UTC(2026, 10, 28, 20, 59, 58),
    lastSeen: Date.UTC(2026, 10, 28, 21, 0, 1),
    plate: 'KDT4821',
    state: 'NY',
    stateConfidence: 0.93,
    confidence: 0.97,
    charConfidences: [0.99, 0.98, 0.97, 0.99, 0.96, 0.99, 0.98],
    candidates: [
      { plate: 'KDT4821', confidence: 0.97 },
      { plate: 'KDT482I', confidence: 0.01 },
    ],
    frames: 12,
    box: [100, 200, 180, 60],
    gps: {
      lat: 42.65,
      lon: -73.75,
      time: Date.UTC(2026, 10, 28, 21, 0, 0),
      mode: 3,
      hdop: 0.9,
      satellites: 9,
      speedMps: 12.5,
      headingDeg: 270,
    },
    gpsFixAgeMs: 350,
    flags: [],
    ...overrides,
  };
}
