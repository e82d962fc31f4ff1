import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export interface DemoVehicle {
  plate: string;
  /** The state name printed above the characters, as on US plates. */
  stateName: string;
  bodyColour: string;
}

export interface SceneOptions {
  out: string;
  width?: number;
  height?: number;
  fps?: number;
  vehicles?: DemoVehicle[];
  /** How long each vehicle is in view. */
  secondsPerVehicle?: number;
  /** Empty road between vehicles. */
  gapSeconds?: number;
}

export const DEMO_VEHICLES: DemoVehicle[] = [
  { plate: 'KDT4821', stateName: 'NEW YORK', bodyColour: '#2b4c7e' },
  { plate: 'HZN5177', stateName: 'NEW JERSEY', bodyColour: '#8c2f2f' },
  { plate: 'BXR3926', stateName: 'VERMONT', bodyColour: '#3d3d3d' },
];

/**
 * Renders a road scene in which vehicles approach the camera one after another, each with a
 * US-style plate, and encodes it to H.264 with ffmpeg. It is the demo recording and the fixture of
 * the end-to-end tests: what it renders is what a replay must read.
 */
export async function renderDemoVideo(opts: SceneOptions): Promise<{ frames: number; fps: number }> {
  const width = opts.width ?? 1280;
  const height = opts.height ?? 720;
  const fps = opts.fps ?? 10;
  const vehicles = opts.vehicles ?? DEMO_VEHICLES;
  const inView = Math.round((opts.secondsPerVehicle ?? 2) * fps);
  const gap = Math.round((opts.gapSeconds ?? 2) * fps);
  mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  const ffmpeg = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(fps),
      '-i',
      'pipe:0',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '18',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(fps),
      opts.out,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number | null>((resolve, reject) => {
    ffmpeg.once('error', reject);
    ffmpeg.once('close', resolve);
  });
  let frames = 0;
  const write = async (svg: string) => {
    const rgb = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
    if (!ffmpeg.stdin.write(rgb)) await new Promise((r) => ffmpeg.stdin.once('drain', r));
    frames++;
  };
  for (const vehicle of vehicles) {
    for (let i = 0; i < gap / 2; i++) await write(sceneSvg(width, height, null, 0));
    for (let i = 0; i < inView; i++)
      await write(sceneSvg(width, height, vehicle, i / Math.max(1, inView - 1)));
    for (let i = 0; i < gap / 2; i++) await write(sceneSvg(width, height, null, 0));
  }
  ffmpeg.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`ffmpeg could not encode ${opts.out}: ${stderr.trim()}`);
  return { frames, fps };
}

/** One still of the scene with a vehicle at `progress` of its approach, as PNG (for tests and docs). */
export async function renderStill(
  vehicle: DemoVehicle,
  opts: { width?: number; height?: number; progress?: number } = {},
): Promise<Buffer> {
  const svg = sceneSvg(opts.width ?? 1280, opts.height ?? 720, vehicle, opts.progress ?? 0.8);
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** One frame: road and sky, and a vehicle `progress` (0..1) of the way along its approach. */
function sceneSvg(width: number, height: number, vehicle: DemoVehicle | null, progress: number): string {
  const horizon = height * 0.45;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`,
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#9cb8d6"/><stop offset="1" stop-color="#dfe7ee"/></linearGradient></defs>`,
    `<rect width="${width}" height="${horizon}" fill="url(#sky)"/>`,
    `<rect y="${horizon}" width="${width}" height="${height - horizon}" fill="#6b6b66"/>`,
    `<rect x="${width * 0.49}" y="${horizon}" width="${width * 0.02}" height="${height - horizon}" fill="#e8e3c8"/>`,
  ];
  if (vehicle) {
    // The vehicle grows and drifts across as it approaches.
    const scale = 0.55 + 0.45 * progress;
    const carW = width * 0.42 * scale;
    const carH = carW * 0.62;
    const cx = width * (0.62 - 0.2 * progress);
    const top = height * 0.9 - carH;
    const plateW = carW * 0.36;
    const plateH = plateW / 2;
    const px = cx - plateW / 2;
    const py = top + carH * 0.58;
    parts.push(
      `<rect x="${cx - carW / 2}" y="${top}" width="${carW}" height="${carH}" rx="${carW * 0.06}" fill="${vehicle.bodyColour}"/>`,
      `<rect x="${cx - carW * 0.42}" y="${top + carH * 0.08}" width="${carW * 0.84}" height="${carH * 0.32}" rx="${carW * 0.03}" fill="#1d2733"/>`,
      `<rect x="${cx - carW * 0.47}" y="${top + carH * 0.5}" width="${carW * 0.12}" height="${carH * 0.1}" fill="#d94c3d"/>`,
      `<rect x="${cx + carW * 0.35}" y="${top + carH * 0.5}" width="${carW * 0.12}" height="${carH * 0.1}" fill="#d94c3d"/>`,
      `<rect x="${px}" y="${py}" width="${plateW}" height="${plateH}" rx="${plateH * 0.08}" fill="#f4f4ef" stroke="#1f3f7a" stroke-width="${plateH * 0.04}"/>`,
      `<text x="${cx}" y="${py + plateH * 0.24}" font-family="DejaVu Sans" font-weight="bold" font-size="${plateH * 0.17}" fill="#1f3f7a" text-anchor="middle">${vehicle.stateName}</text>`,
      `<text x="${cx}" y="${py + plateH * 0.8}" font-family="DejaVu Sans Condensed" font-weight="bold" font-size="${plateH * 0.44}" fill="#1b2a4a" text-anchor="middle">${vehicle.plate}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
