import readline from 'node:readline';
import type { V4l2Device } from '../capture/v4l2.js';
import type { GigeDevice } from '../capture/gige.js';

/**
 * The question-and-answer session for a technician at the unit's console. Lines are read from an
 * async iterator (not rl.question) so answers piped in ahead of the prompts are never lost.
 */
export async function askAnswers(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  found: { v4l2: V4l2Device[]; gige: GigeDevice[] },
  defaults: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const rl = readline.createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (q: string, def?: string): Promise<string> => {
    output.write(def ? `${q} [${def}]: ` : `${q}: `);
    const r = await lines.next();
    const v = r.done ? '' : String(r.value).trim();
    return v || def || '';
  };
  try {
    const answers: Record<string, unknown> = {};
    answers.unitId = await ask('Unit id (e.g. car-12)', defaults.unitId as string | undefined);
    answers.agency = await ask('Agency code', defaults.agency as string | undefined);
    const state = await ask(
      'Home state (two letters, empty for none)',
      defaults.homeState as string | undefined,
    );
    if (state) answers.homeState = state.toUpperCase();
    const url = await ask('Headquarters broker URL (mqtts://…, empty for none)');
    if (url) {
      const broker: Record<string, string> = { url };
      if (url.startsWith('mqtts:')) {
        broker.ca = await ask('  CA certificate (PEM path)');
        const cert = await ask('  client certificate (PEM path, empty for none)');
        if (cert) {
          broker.cert = cert;
          broker.key = await ask('  client key (PEM path)');
        }
      }
      answers.broker = broker;
    }
    output.write('\nCameras found:\n');
    const choices: Record<string, unknown>[] = [
      ...found.v4l2.map((d) => ({
        kind: 'v4l2',
        device: d.byId ?? d.device,
        label: `USB ${d.name} (${d.byId ?? d.device})`,
      })),
      ...found.gige.map((d) => ({
        kind: 'gige',
        camera: d.name,
        label: `GigE ${d.name}${d.address ? ` (${d.address})` : ''}`,
      })),
    ];
    if (!choices.length) output.write('  (none)\n');
    choices.forEach((c, i) => output.write(`  ${i + 1}. ${c.label as string}\n`));
    const picked = await ask('Cameras to use (numbers separated by commas, empty for none)');
    const cameras: Record<string, unknown>[] = [];
    for (const n of picked
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const c = choices[Number(n) - 1];
      if (!c) throw new Error(`camera choice "${n}" is not in the list (1–${choices.length})`);
      const cam = { ...c };
      delete cam.label;
      const id = await ask(`  id for ${c.label as string}`, `cam${cameras.length + 1}`);
      const position = await ask('  position (front, rear, left, right)', 'front');
      const size = await ask('  resolution WIDTHxHEIGHT', '1280x720');
      const [w, h] = size.split('x').map(Number);
      cameras.push({ ...cam, id, position, width: w, height: h });
    }
    for (;;) {
      const rtsp = await ask('Add a network (RTSP) camera URL (empty to finish)');
      if (!rtsp) break;
      const id = await ask('  id', `cam${cameras.length + 1}`);
      const position = await ask('  position (front, rear, left, right)', 'front');
      cameras.push({ kind: 'rtsp', url: rtsp, id, position, width: 1280, height: 720 });
    }
    answers.cameras = cameras;
    const gps = await ask('GPS source: gpsd, serial:/dev/ttyUSB0 or none', 'gpsd');
    answers.gps = gps;
    return answers;
  } finally {
    rl.close();
  }
}
