/* global process, console */
// Renders the short recording the ARM64 check replays: the demo road scene (src/demo/scene.ts),
// small and at a low frame rate because every frame costs seconds under emulation.
// Usage: node scripts/arm64/make-replay-clip.mjs ROOT OUT.mp4 [VEHICLES] [WIDTH] [FPS]
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, out, nVehicles = '1', width = '480', fps = '2'] = process.argv.slice(2);
if (!root || !out) {
  console.error('usage: make-replay-clip.mjs ROOT OUT.mp4 [VEHICLES] [WIDTH] [FPS]');
  process.exit(2);
}
const scene = await import(pathToFileURL(path.join(root, 'dist/demo/scene.js')).href);
const w = Number(width);
const h = Math.round((w * 9) / 16 / 2) * 2;
const { frames } = await scene.renderDemoVideo({
  out,
  width: w,
  height: h,
  fps: Number(fps),
  vehicles: scene.DEMO_VEHICLES.slice(0, Number(nVehicles)),
  secondsPerVehicle: 2,
  gapSeconds: 1,
});
console.error(`replay clip ${out}: ${frames} frames, ${w}x${h} at ${fps} fps`);
