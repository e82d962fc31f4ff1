import { describe, expect, it } from 'vitest';
import { openLiveCamera } from '../src/capture/live.js';
import { configSchema } from '../src/config/schema.js';
import { recordingLogger } from './helpers/logger.js';

// A unit whose pipeline takes longer over a frame than the camera's stallMs (several cameras
// sharing two cores, a burst of plates to read and store) is no stalled camera: the camera keeps
// delivering, and the newest frame waits in its slot. The watchdog measured the time since the
// pipeline last took a frame, so it killed a working camera, logged "camera lost; reconnecting",
// and the frames of the reconnect (a second and more of road) were never looked at. A camera fed
// by ffmpeg's live test source, through the V4L2 camera's real reader and reconnect wrapper.
describe('a live camera whose pipeline is slower than its stallMs', () => {
  it('is not taken for stalled: no reconnect, no error, every frame it delivers counted', async () => {
    const cfg = configSchema.shape.cameras.parse([
      {
        ...{ id: 'front', kind: 'v4l2', device: '/dev/video0', width: 320, height: 240, fps: 10 },
        reconnect: { stallMs: 1000 },
      },
    ])[0]!;
    if (cfg.kind !== 'v4l2') throw new Error('not a USB camera');
    const { log, records } = recordingLogger();
    const cam = openLiveCamera(cfg, {
      log,
      v4l2Args: () => ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10'],
    });
    let taken = 0;
    for await (const frame of cam.frames()) {
      expect(frame.width).toBe(320);
      // The pipeline's work on this frame: two and a half times the camera's stallMs.
      await new Promise((r) => setTimeout(r, 2500));
      if (++taken === 3) break;
    }
    await cam.stop();
    const health = cam.health();
    expect({ reconnects: health.reconnects, errors: health.errors, lastError: health.lastError }).toEqual({
      reconnects: 0,
      errors: 0,
      lastError: null,
    });
    expect(records.filter((r) => r.msg === 'camera lost; reconnecting')).toEqual([]);
    // The frames the camera delivered meanwhile were dropped for newer ones, as a busy pipeline does.
    expect(health.dropped).toBeGreaterThan(10);
  }, 60_000);
});
