import readline from 'node:readline';
import type { V4l2Device } from '../capture/v4l2.js';
import type { GigeDevice } from '../capture/gige.js';
import { answersSchema, gpsSpec } from './answers.js';

/** The technician's input ended (a short answers pipe, Ctrl-D) before every question was answered. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The question-and-answer session for a technician at the unit's console. Lines are read from an
 * async iterator (not rl.question) so answers piped in ahead of the prompts are never lost.
 */
export async function askAnswers(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  found: { v4l2: V4l2Device[]; gige: GigeDevice[] },
  defaults: Record<string, unknown>,
  /** Asks a camera (kind and target, as written) its frame size (src/provision/camera-size.ts). */
  frameSize: FrameSizeOf = async () => ({ problem: 'not asked' }),
): Promise<Record<string, unknown>> {
  const rl = readline.createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (q: string, def?: string): Promise<string> => {
    output.write(def ? `${q} [${def}]: ` : `${q}: `);
    const r = await lines.next();
    // Answering the rest with defaults would write a config nobody chose.
    if (r.done)
      throw new InputError(
        `provision: the input ended at "${q}" before every question was answered; nothing was written (answer each question, or use --answers FILE)`,
      );
    return String(r.value).trim() || def || '';
  };
  /** Ask again (while there is input) until `problem` finds nothing wrong with the answer. */
  const askValid = async (q: string, problem: (v: string) => string | undefined, def?: string) => {
    for (;;) {
      const v = await ask(q, def);
      const p = problem(v);
      if (!p) return v;
      output.write(`  ${p}\n`);
    }
  };
  try {
    const answers: Record<string, unknown> = {};
    answers.unitId = await ask('Unit id (e.g. car-12)', defaults.unitId as string | undefined);
    answers.agency = await ask('Agency code', defaults.agency as string | undefined);
    const prevState = defaults.homeState as string | undefined;
    const state = await ask(`Home state (two letters, ${prevState ? 'none' : 'empty'} for none)`, prevState);
    // "none" is passed on: it takes away the home state the previous config had.
    if (state) answers.homeState = state.toLowerCase() === 'none' ? 'none' : state.toUpperCase();
    // The current broker and its files are offered: Enter keeps them, "none" stops syncing.
    const prevBroker = (defaults.broker ?? {}) as Record<string, string | undefined>;
    const url = await ask(
      `Headquarters broker URL (mqtts://…${prevBroker.url ? ', "none" to stop syncing' : ', empty for none'})`,
      prevBroker.url,
    );
    if (url.toLowerCase() === 'none') {
      // Passed on as "none": provision turns the previous config's sync off.
      answers.broker = 'none';
    } else if (url) {
      const broker: Record<string, string> = { url };
      if (url.startsWith('mqtts:')) {
        broker.ca = await askValid(
          '  CA certificate (PEM path)',
          (v) =>
            v
              ? undefined
              : 'an mqtts broker needs the CA certificate that signed its certificate: give its PEM path',
          prevBroker.ca,
        );
        const cert = await ask(
          `  client certificate (PEM path${prevBroker.cert ? '' : ', empty for none'})`,
          prevBroker.cert,
        );
        if (cert) {
          broker.cert = cert;
          broker.key = await askValid(
            '  client key (PEM path)',
            (v) => (v ? undefined : "a client certificate needs its key: give the key's PEM path"),
            prevBroker.key,
          );
        }
      }
      const prevSync = defaults.sync as Record<string, unknown> | undefined;
      const knownKey = typeof prevSync?.hqPublicKey === 'string' ? prevSync.hqPublicKey : undefined;
      const hqKey = await askValid(
        `  headquarters' public signing key (hq-signing.pub path${knownKey ? ', empty to keep the current one' : ''})`,
        (v) =>
          v || knownKey
            ? undefined
            : 'the unit checks everything HQ sends against this key: give the path of hq-signing.pub',
      );
      if (hqKey) broker.hqKey = hqKey;
      Object.assign(broker, await askAckKey(ask, askValid, prevSync));
      answers.broker = broker;
    }
    const cameras = await chooseCameras(ask, askValid, output, found, defaults.cameras, frameSize);
    if (!cameras.length) answers.noCameras = true;
    answers.cameras = cameras;
    const gps = await ask('GPS source: gpsd, serial:/dev/ttyUSB0 or none', gpsSpec(defaults.gps) ?? 'gpsd');
    answers.gps = gps;
    return answers;
  } finally {
    rl.close();
  }
}

type Ask = (q: string, def?: string) => Promise<string>;
type FrameSizeOf = (
  cam: Record<string, unknown>,
) => Promise<{ width: number; height: number } | { problem: string }>;

/**
 * The size to offer for `cam`: the camera's own, asked of it. The capture scales to the size
 * configured, so none is guessed (USB and GigE cameras were offered 1280x720): one that cannot be
 * asked is said so, and the technician answers without a default.
 */
async function offeredSize(
  frameSize: FrameSizeOf,
  cam: Record<string, unknown>,
  output: NodeJS.WritableStream,
): Promise<string | undefined> {
  const size = await frameSize(cam);
  if (!('problem' in size)) return `${size.width}x${size.height}`;
  const what = cam.kind === 'rtsp' ? 'the stream' : 'the camera';
  output.write(`  cannot ask ${what} its frame size (${size.problem})\n`);
  return undefined;
}

/** A camera's frame size, WIDTHxHEIGHT, asked until it is one. */
async function askSize(askValid: AskValid, def: string | undefined): Promise<[number, number]> {
  const size = await askValid(
    '  resolution WIDTHxHEIGHT',
    (v) => (/^\d+x\d+$/.test(v) ? undefined : 'answer WIDTHxHEIGHT in pixels, such as 1280x720'),
    def,
  );
  const [w, h] = size.split('x').map(Number);
  return [w!, h!];
}
type AskValid = (q: string, problem: (v: string) => string | undefined, def?: string) => Promise<string>;

/**
 * A separate key HQ's consumers sign acks with, and its keyId (--hq-ack-key, --hq-ack-key-id):
 * empty keeps the config's sync.hqKeys as they are (none, or those it has).
 */
async function askAckKey(
  ask: Ask,
  askValid: AskValid,
  prevSync: Record<string, unknown> | undefined,
): Promise<{ hqAckKey?: string; hqAckKeyId?: string }> {
  const known = Array.isArray(prevSync?.hqKeys)
    ? (prevSync.hqKeys as { keyId?: unknown }[]).map((k) => String(k?.keyId)).join(', ')
    : '';
  const hqAckKey = await ask(
    `  headquarters' ack key (hq-ack.pub path, ${known ? `empty to keep ${known}` : 'empty for none'})`,
  );
  if (!hqAckKey) return {};
  // The keyId's rule is the answers schema's own, so the answer is never refused later.
  const idField = answersSchema.shape.broker.unwrap().shape.hqAckKeyId;
  const hqAckKeyId = await askValid('  its keyId (as HQ signs with, hq-sink run --key-id)', (v) => {
    const r = idField.safeParse(v);
    return r.success ? undefined : r.error.issues[0]?.message;
  });
  return { hqAckKey, hqAckKeyId };
}

/**
 * The cameras: the current ones kept on Enter; else picked from those discovered plus network
 * cameras. None at all is only taken when the technician confirms it (the unit would read no plates).
 */
async function chooseCameras(
  ask: Ask,
  askValid: AskValid,
  output: NodeJS.WritableStream,
  found: { v4l2: V4l2Device[]; gige: GigeDevice[] },
  current: unknown,
  frameSize: FrameSizeOf,
): Promise<Record<string, unknown>[]> {
  const yesNo = (v: string) => (/^(y|yes|n|no)$/i.test(v) ? undefined : 'answer yes or no');
  const prev = Array.isArray(current) ? (current as Record<string, unknown>[]) : [];
  if (prev.length) {
    output.write('\nCurrent cameras:\n');
    prev.forEach((c, i) =>
      output.write(
        `  ${i + 1}. ${String(c.id)} (${String(c.kind)} ${String(c.device ?? c.url ?? c.camera ?? c.path)})\n`,
      ),
    );
    if (/^y/i.test(await askValid('Keep the current cameras? (yes/no)', yesNo, 'yes'))) return prev;
  }
  for (;;) {
    const cameras = await pickCameras(ask, askValid, output, found, frameSize);
    if (cameras.length) return cameras;
    const none = await askValid(
      'No camera chosen: a unit without cameras reads no plates. Provision it without cameras? (yes/no)',
      yesNo,
      'no',
    );
    if (/^y/i.test(none)) return cameras;
  }
}

/** Cameras picked from those discovered, then network (RTSP) cameras typed in. */
async function pickCameras(
  ask: Ask,
  askValid: AskValid,
  output: NodeJS.WritableStream,
  found: { v4l2: V4l2Device[]; gige: GigeDevice[] },
  frameSize: FrameSizeOf,
): Promise<Record<string, unknown>[]> {
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
  const numbers = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const picked = await askValid('Cameras to use (numbers separated by commas, empty for none)', (v) => {
    const bad = numbers(v).find((n) => !/^\d+$/.test(n) || !choices[Number(n) - 1]);
    if (bad === undefined) return undefined;
    return choices.length
      ? `"${bad}" is not in the list: answer numbers from 1 to ${choices.length} separated by commas, or leave it empty for none`
      : `"${bad}" is not in the list: no cameras were found, leave it empty (network cameras come next)`;
  });
  const cameras: Record<string, unknown>[] = [];
  for (const n of numbers(picked)) {
    const c = choices[Number(n) - 1]!;
    const cam = { ...c };
    delete cam.label;
    const id = await ask(`  id for ${c.label as string}`, `cam${cameras.length + 1}`);
    const position = await ask('  position (front, rear, left, right)', 'front');
    const [w, h] = await askSize(askValid, await offeredSize(frameSize, cam, output));
    cameras.push({ ...cam, id, position, width: w, height: h });
  }
  for (;;) {
    const rtsp = await ask('Add a network (RTSP) camera URL (empty to finish)');
    if (!rtsp) break;
    const id = await ask('  id', `cam${cameras.length + 1}`);
    const position = await ask('  position (front, rear, left, right)', 'front');
    const [w, h] = await askSize(askValid, await offeredSize(frameSize, { kind: 'rtsp', url: rtsp }, output));
    cameras.push({ kind: 'rtsp', url: rtsp, id, position, width: w, height: h });
  }
  return cameras;
}
