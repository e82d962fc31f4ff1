#!/usr/bin/env node
// Renders the demo recording (data/demo/demo.mp4 by default) that the embedded config replays.
// Usage: node scripts/make-demo-video.mjs [OUT.mp4]   (run `npm run build` first)
/* global console, process */
import { existsSync } from 'node:fs';
import { renderDemoVideo } from '../dist/demo/scene.js';
import { DEMO_VIDEO } from '../dist/config/defaults.js';

const out = process.argv[2] ?? DEMO_VIDEO;
if (!process.argv[2] && existsSync(out)) {
  console.error(`demo video already at ${out}`);
} else {
  const { frames, fps } = await renderDemoVideo({ out });
  console.error(`wrote ${out}: ${frames} frames at ${fps} fps`);
}
