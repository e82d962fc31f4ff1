import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onCamera, parseVideoShow } from '../src/evaluation/video.js';
import { DATASET, ROOT, runCli } from './helpers/cli.js';
import { cropSet, evalSummary, frameSet } from './helpers/crop-set.js';
import { tempDir } from './helpers/tmp.js';
import { whiteBoxOnBlack } from './helpers/vision.js';

describe('a labelled frame as a camera sees it (eval --video)', () => {
  it('sits at its own size at the bottom centre of the camera picture, its plate box moved with it', async () => {
    const frame = whiteBoxOnBlack(100, 50, [10, 20, 30, 10]);
    const { image, plateBox } = await onCamera(frame, [10, 20, 30, 10], 300, 200);
    expect([image.width, image.height]).toEqual([300, 200]);
    expect(plateBox).toEqual([110, 170, 30, 10]);
    const at = (x: number, y: number) => image.rgb[(y * 300 + x) * 3];
    expect(at(115, 175)).toBe(255); // the white box, moved
    expect(at(105, 175)).toBe(0); // the frame's own black
    expect(at(50, 50)).toBe(96); // the camera's grey around it
  });

  it('is shrunk to fit a smaller camera, its plate box with it', async () => {
    const { image, plateBox } = await onCamera(
      whiteBoxOnBlack(400, 200, [0, 0, 1, 1]),
      [40, 100, 80, 40],
      200,
      200,
    );
    expect([image.width, image.height]).toEqual([200, 200]);
    expect(plateBox).toEqual([20, 150, 40, 20]);
  });

  it('names the camera size it needs', () => {
    expect(parseVideoShow('1920x1080')).toMatchObject({ width: 1920, height: 1080 });
    for (const bad of ['1920', '1920x', 'x1080', '10x10', '1920*1080'])
      expect(() => parseVideoShow(bad)).toThrow(/WIDTHxHEIGHT, e\.g\. 1920x1080/);
  });
});

describe.skipIf(!existsSync(DATASET))('eval --video (real frames, the daemon path)', () => {
  const dir = tempDir();
  /** The unit's config with the sweep turned off, to tell what the sweep reads from the rest. */
  const withoutSweep = (): string => {
    const config = path.join(dir, 'no-sweep.yaml');
    writeFileSync(
      config,
      [
        `unitId: t\nagency: a\ndataDir: ${dir}/d\nvision:`,
        `  detector: { model: ${ROOT}/models/ppocr-det.onnx, sweepEvery: 0 }`,
        `  recogniser: { model: ${ROOT}/models/plate-rec.onnx }\n`,
      ].join('\n'),
    );
    return config;
  };

  it('reads frames through tracking and voting, as a 1080p camera would see them', async () => {
    const frames = frameSet(dir, 'video', ['car1', 'car13', '316b64c0-55bf-4079-a1c0-d93f461a576f']);
    const summary = await evalSummary(frames, '--video', '1920x1080');
    expect(summary).toMatchObject({ video: '1920x1080', images: 3, exactTop1: 100, detectionRecall: 100 });
    // Reads stored away from the labelled plate are counted: false reads the car would store.
    expect(summary.otherReadsPerImage).toBeTypeOf('number');
    expect(await evalSummary(frames)).not.toHaveProperty('otherReadsPerImage');
  }, 120_000);

  it('reads small plates that a whole 1080p frame shows too roughly, by looking closer in the next frame', async () => {
    // Plates 28-60 px tall (HK0E7C, KCS1M, CCV020): the whole-frame search, at about half the
    // frame's size, finds each line but reads it too doubtfully to start a track. Without the
    // sweep, which would find them too.
    const frames = frameSet(dir, 'small', ['3850ba91-3c64-4c64-acba-0c46b61ec0da', 'car15', 'wts-lg-000088']);
    const summary = await evalSummary(frames, '--video', '1920x1080', '--config', withoutSweep());
    expect(summary).toMatchObject({ images: 3, exactTop1: 100, detectionRecall: 100 });
  }, 120_000);

  it('reads plates too small for the whole-frame search by sweeping the frame at its own size', async () => {
    // AJK7551 and 7AWV401, 37 and 47 px tall: at about half the frame's size the whole-frame
    // search does not find 7AWV401's line at all, and reads AJK7551's as "2Q74".
    const frames = frameSet(dir, 'sweep', ['wts-lg-000044', 'wts-lg-000167']);
    const swept = await evalSummary(frames, '--video', '1920x1080');
    expect(swept).toMatchObject({ images: 2, exactTop1: 100, detectionRecall: 100 });
    const unswept = await evalSummary(frames, '--video', '1920x1080', '--config', withoutSweep());
    expect(unswept).toMatchObject({ images: 2, exactTop1: 0 });
  }, 120_000);

  it('does not store the edge of a plate frame that some frames read as a character and others do not', async () => {
    // Missouri HK5R9C: the frame's edge after the C is read I close up, 1 in the whole-frame
    // search and not at all in other close searches; the vote stored HK5R9CI.
    const frames = frameSet(dir, 'edge', ['wts-lg-000034']);
    const summary = await evalSummary(frames, '--video', '1920x1080');
    expect(summary).toMatchObject({ images: 1, exactTop1: 100 });
  }, 120_000);

  it('refuses plate crops and a malformed camera size, saying what to give', async () => {
    const crops = cropSet(dir, 'crops', [['ak399.png', 'ak', 'FGJ235']]);
    const onCrops = await runCli(['eval', crops, '--video', '1920x1080']);
    expect(onCrops.code).toBe(2);
    expect(onCrops.stderr).toMatch(/--video needs a set of full frames/);
    const frames = frameSet(dir, 'one', ['car1']);
    const bad = await runCli(['eval', frames, '--video', '1080p']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--video: "1080p" is not a camera size: give WIDTHxHEIGHT/);
  });
});
