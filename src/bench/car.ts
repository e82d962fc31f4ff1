import { openLiveCamera } from '../capture/live.js';
import { v4l2CameraSchema } from '../capture/config.js';
import { NmeaFixBuilder, nmeaSentence } from '../gps/nmea.js';
import { silentLogger } from '../log.js';

/**
 * In-car figures: how many frames per second a live camera can hand to the pipeline through the
 * ffmpeg reader and the reconnect wrapper (a lavfi 720p/1080p source standing in for a camera,
 * consumer taking every frame at once), with the parent's CPU time per frame; and NMEA sentences
 * parsed per second with checksum verification.
 */
export async function benchCar(): Promise<void> {
  for (const [w, h] of [
    [1280, 720],
    [1920, 1080],
  ] as const) {
    const cfg = v4l2CameraSchema.parse({
      kind: 'v4l2',
      id: 'bench',
      device: '/dev/video0',
      width: w,
      height: h,
      fps: 120,
    });
    const cam = openLiveCamera(cfg, {
      log: silentLogger(),
      v4l2Args: () => ['-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=120`],
    });
    const seconds = 5;
    let frames = 0;
    let t0 = 0;
    let cpu0 = process.cpuUsage();
    const stopAt = { t: Infinity };
    for await (const frame of cam.frames()) {
      if (frame.rgb.length !== w * h * 3) throw new Error('wrong frame size');
      if (frames === 0) {
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        stopAt.t = t0 + seconds * 1000;
      }
      frames++;
      if (performance.now() > stopAt.t) break;
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await cam.stop();
    console.log(
      JSON.stringify({
        bench: 'live camera delivery (ffmpeg rgb24 pipe + reconnect wrapper)',
        size: `${w}x${h}`,
        framesPerS: Math.round((frames - 1) / elapsed),
        nodeCpuMsPerFrame: Math.round(((cpu.user + cpu.system) / 1000 / frames) * 100) / 100,
      }),
    );
  }
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = `12${String(Math.floor(i / 60) % 60).padStart(2, '0')}${String(i % 60).padStart(2, '0')}.00`;
    lines.push(nmeaSentence(`GPGGA,${t},4239.1560,N,07345.3720,W,1,09,0.9,85.0,M,-34.0,M,,`));
    lines.push(nmeaSentence(`GPRMC,${t},A,4239.1560,N,07345.3720,W,24.3,38.5,281126,,,A`));
  }
  const b = new NmeaFixBuilder();
  const start = performance.now();
  let fixes = 0;
  for (let rep = 0; rep < 20; rep++) for (const l of lines) if (b.push(l)) fixes++;
  const s = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({
      bench: 'NMEA parse with checksum',
      sentencesPerS: Math.round((lines.length * 20) / s),
      fixes,
    }),
  );
}
