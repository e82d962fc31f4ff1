import sharp from 'sharp';
const { Vision } = await import('../dist/vision/vision.js');
const { embeddedDefaults } = await import('../dist/config/defaults.js');
const { parseConfig } = await import('../dist/config/load.js');
const { syntaxOptions } = await import('../dist/state/syntax.js');
const { loadImage } = await import('../dist/vision/load-image.js');
const { levelled, tiltedBounds } = await import('../dist/vision/image.js');
const { degrade, parseDegradations } = await import('../dist/evaluation/degrade.js');
const cfg = parseConfig(embeddedDefaults());
const v = await Vision.open(cfg.vision, syntaxOptions(cfg));
let n = 0;
for (const f of process.argv.slice(3)) {
  let img = await loadImage(f);
  if (process.argv[2] !== 'none') img = (await degrade(img, parseDegradations(process.argv[2]), 40, 'x')).image;
  const [top] = await v.findPlatesInStill(img);
  const found = await v.detector.detect(img, 1280);
  const line = found.filter((l) => l.tilted).find((l) => top && Math.abs(l.box[1] - top.lineBox[1]) < 10 && Math.abs(l.box[0] - top.lineBox[0]) < 10);
  console.log(f.split('/').pop(), top?.plate, top?.lineBox.map(Math.round), line ? line.tilted.tilt.toFixed(1) : 'level');
  if (line) {
    const t = { box: [line.tilted.box[0] - 5, line.tilted.box[1] - 4, line.tilted.box[2] + 10, line.tilted.box[3] + 8], tilt: line.tilted.tilt };
    const l = await levelled(img, t);
    await sharp(l.image.rgb, { raw: { width: l.image.width, height: l.image.height, channels: 3 } }).extract({ left: l.box[0], top: l.box[1], width: l.box[2], height: l.box[3] }).resize({ height: 64 }).png().toFile(`/tmp/lv${n++}.png`);
  }
}
await v.close();
