import path from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { DEFAULT_CONFIG_PATH } from '../../config/load.js';
import { discoverV4l2 } from '../../capture/v4l2.js';
import { discoverGige } from '../../capture/gige.js';
import { gpsSpec, parseCameraFlag, parseGpsFlag } from '../../provision/answers.js';
import { askAnswers } from '../../provision/interactive.js';
import { cameraFrameSize, CameraSizeError, fillCameraSizes } from '../../provision/camera-size.js';
import {
  absolutePaths,
  answersFromConfig,
  buildConfig,
  checkCertificates,
  checkHqKeyKnown,
  readAnswersFile,
  readPreviousConfig,
  validateAnswers,
} from '../../provision/provision.js';
import { assertWritable, writeConfigAtomic } from '../../provision/write-config.js';
import { hiddenFromService, unreadableByService } from '../../provision/file-access.js';
import { checkServiceDataDir } from '../../selftest/checks.js';

/** A path as one shell word (quoted only when it needs to be), for a command to copy. */
function shellWord(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

export const provisionCommand: Command = {
  name: 'provision',
  summary: 'set up this unit: id, agency, broker, cameras, GPS (interactive, flags or an answers file)',
  usage: `provision [--answers FILE] [--unit-id ID --agency CODE] [--home-state XX]
          [--broker-url URL|none --hq-key PEM [--hq-ack-key PEM --hq-ack-key-id ID] [--ca PEM] [--cert PEM --key PEM]]
          [--camera SPEC]... [--no-cameras] [--gps SPEC]
          [--interactive] [--discover-gige] [--print]
  --answers FILE    YAML/JSON with unitId, agency, homeState, dataDir, broker{url,hqKey,hqAckKey,hqAckKeyId,ca,cert,key},
                    cameras[], gps
  --broker-url none stop syncing with headquarters (as "none" at the interactive question): the sync
                    section is kept, turned off, for when a broker is given again
  --hq-key PEM      headquarters' public signing key (hq-signing.pub from "hq-sink keygen"): the unit
                    checks every hotlist, roster, pull request and ack from HQ against it
  --hq-ack-key PEM  a separate key HQ's consumers sign acks with (hq-ack.pub from "hq-sink keygen --name
                    hq-ack"), taken for acks only; --hq-ack-key-id ID: the keyId they sign with (--key-id)
  --camera SPEC     KIND:TARGET[,key=value…], e.g. v4l2:/dev/video0,id=front,width=1280,height=720 (repeatable)
  --no-cameras      provision the unit without cameras on purpose (refused otherwise: it reads no plates)
  --gps SPEC        gpsd[:HOST[:PORT]], serial:PATH[:BAUD] (BAUD: an all-digit last part) or none
  --interactive     ask for everything (the default when no answers are given and stdin is a terminal)
  --discover-gige   list GigE Vision cameras too (aravis broadcasts discovery on the camera network)
  --print           print the config instead of writing it
Provisioning again changes only what is given: everything left out (cameras, GPS, data folder, home
state, broker) keeps its value from the current config; --home-state none removes the home state.
The config is validated, then written atomically to --config (default ${DEFAULT_CONFIG_PATH});
the previous file is kept as <file>.prev. Users and roles cannot be created here (policy VI.A).`,
  options: {
    answers: { type: 'string' },
    'unit-id': { type: 'string' },
    agency: { type: 'string' },
    'home-state': { type: 'string' },
    'broker-url': { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'hq-key': { type: 'string' },
    'hq-ack-key': { type: 'string' },
    'hq-ack-key-id': { type: 'string' },
    camera: { type: 'string', multiple: true },
    gps: { type: 'string' },
    interactive: { type: 'boolean' },
    'no-cameras': { type: 'boolean' },
    'discover-gige': { type: 'boolean' },
    'discovery-root': { type: 'string' },
    print: { type: 'boolean' },
  },
  async run(ctx, positionals, values) {
    if (positionals.length) throw new UsageError(`provision: unexpected argument "${positionals[0]}"`);
    const target = ctx.configPath ?? DEFAULT_CONFIG_PATH;
    const previous = readPreviousConfig(target);
    // Before any question: answered in full, they would all be lost to a config it cannot write.
    if (!values.print) assertWritable(target);
    // What this run was given (answers file, then flags); the rest is kept from the previous config.
    const given: Record<string, unknown> = values.answers ? readAnswersFile(values.answers as string) : {};
    const flag = (name: string) => values[name] as string | undefined;
    // The certificates belong to a broker; without one they would be silently left out.
    const tlsFlag = ['ca', 'cert', 'key', 'hq-key', 'hq-ack-key', 'hq-ack-key-id'].find(
      (k) => flag(k) !== undefined,
    );
    // "none", as the interactive question takes it: the unit stops syncing with headquarters.
    const noBroker = flag('broker-url')?.trim().toLowerCase() === 'none';
    if (tlsFlag && noBroker)
      throw new UsageError(
        `provision: --${tlsFlag} is for the headquarters broker, and --broker-url none stops syncing: leave --${tlsFlag} out`,
      );
    if (tlsFlag && flag('broker-url') === undefined)
      throw new UsageError(
        `provision: --${tlsFlag} is for the headquarters broker: give --broker-url too (e.g. --broker-url mqtts://hq.example.org:8883)`,
      );
    const cams = values.camera as string[] | undefined;
    if (values['no-cameras'] && cams?.length)
      throw new UsageError('provision: --no-cameras with --camera: give one or the other');
    try {
      if (flag('unit-id')) given.unitId = flag('unit-id');
      if (flag('agency')) given.agency = flag('agency');
      if (flag('home-state')) given.homeState = flag('home-state');
      // Stored as the interactive answer is: the previous sync section is kept, turned off.
      if (noBroker) given.broker = 'none';
      else if (flag('broker-url'))
        given.broker = {
          url: flag('broker-url'),
          // An empty path is kept, for validation to refuse by name.
          ...(flag('ca') !== undefined ? { ca: flag('ca') } : {}),
          ...(flag('cert') !== undefined ? { cert: flag('cert') } : {}),
          ...(flag('key') !== undefined ? { key: flag('key') } : {}),
          ...(flag('hq-key') !== undefined ? { hqKey: flag('hq-key') } : {}),
          ...(flag('hq-ack-key') !== undefined ? { hqAckKey: flag('hq-ack-key') } : {}),
          ...(flag('hq-ack-key-id') !== undefined ? { hqAckKeyId: flag('hq-ack-key-id') } : {}),
        };
      if (cams?.length) given.cameras = cams.map((c, i) => parseCameraFlag(c, i));
      if (values['no-cameras']) given.cameras = [];
      if (flag('gps')) given.gps = parseGpsFlag(flag('gps')!);
    } catch (err) {
      throw new UsageError(`provision: ${(err as Error).message}`);
    }
    if (Array.isArray(given.cameras)) {
      try {
        await fillCameraSizes(given.cameras as Record<string, unknown>[]);
      } catch (err) {
        if (err instanceof CameraSizeError) throw new UsageError(`provision: ${err.message}`);
        throw err;
      }
    }
    if (ctx.dataDir) given.dataDir = ctx.dataDir;
    // `--home-state none` (or "none" when asked) takes a home state away; left out, it is kept.
    const clearHomeState = (v: unknown) => typeof v === 'string' && v.toLowerCase() === 'none';
    // Provisioning again changes only what it is given: a flag left out must not reset the GPS,
    // strand unsent reads in another data folder, or forget the cameras.
    const fromPrevious = answersFromConfig(previous, path.dirname(path.resolve(target)));
    let raw: Record<string, unknown> = { ...fromPrevious, ...given };
    let noCameras = Boolean(values['no-cameras']);
    const interactive =
      Boolean(values.interactive) || (!values.answers && !given.unitId && process.stdin.isTTY);
    if (interactive) {
      const found = {
        v4l2: discoverV4l2(flag('discovery-root') ?? '/'),
        gige: values['discover-gige'] ? await discoverGige() : [],
      };
      const asked = await askAnswers(
        process.stdin,
        ctx.stdout,
        found,
        { ...previous, ...raw },
        cameraFrameSize,
      );
      noCameras ||= asked.noCameras === true;
      delete asked.noCameras;
      try {
        // The GPS offered as it was is kept as it was (with its thresholds), not re-parsed from text.
        const gps = asked.gps === gpsSpec(raw.gps) ? raw.gps : parseGpsFlag(asked.gps as string);
        raw = { ...raw, ...asked, gps };
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    if (clearHomeState(raw.homeState)) delete raw.homeState;
    // "none" at the broker question: the unit stops syncing with headquarters.
    const stopSync = raw.broker === 'none';
    if (stopSync) delete raw.broker;
    if (!raw.unitId || !raw.agency) {
      throw new UsageError('provision: give --unit-id and --agency (or --answers FILE, or --interactive)');
    }
    const answers = absolutePaths(
      validateAnswers(raw, values.answers ? `answers ${values.answers as string}` : 'provision'),
    );
    checkCertificates(answers);
    checkHqKeyKnown(answers, previous);
    if (!answers.cameras.length && !noCameras)
      throw new UsageError(
        'provision: no camera given: a unit without cameras reads no plates; add --camera KIND:TARGET (e.g. --camera v4l2:/dev/video0,id=front), or give --no-cameras to provision it without cameras on purpose',
      );
    const config = buildConfig(answers, previous, { stopSync });
    // Warned about, not refused: the config may be meant for a daemon run by hand, and a warning
    // here beats a unit that fails only once the service starts.
    for (const w of hiddenFromService(target, config)) ctx.stderr.write(`lpr-edge: warning: ${w}\n`);
    if (values.print) {
      const { stringify } = await import('yaml');
      ctx.stdout.write(stringify(config));
      return 0;
    }
    const header = `# lpr-edge config for unit ${answers.unitId}, written by "lpr-edge provision" on ${new Date().toISOString()}\n`;
    const { previous: kept } = writeConfigAtomic(target, config, header);
    for (const w of unreadableByService(target, answers)) ctx.stderr.write(`lpr-edge: warning: ${w}\n`);
    // The service's own config with a data folder its sandbox keeps read-only: told now, as selftest does.
    const outside = checkServiceDataDir({ dataDir: answers.dataDir }, target);
    if (outside) ctx.stderr.write(`lpr-edge: warning: ${outside.detail}; fix: ${outside.fix}\n`);
    ctx.stdout.write(
      `wrote ${target}${kept ? ` (previous kept as ${kept})` : ''}: ${answers.cameras.length} camera(s), GPS ${answers.gps.source}\n`,
    );
    // The running daemon reads its config only when it starts.
    ctx.stdout.write(
      `next: "lpr-edge selftest${path.resolve(target) === DEFAULT_CONFIG_PATH ? '' : ` --config ${shellWord(path.resolve(target))}`}" to check the unit, then "sudo systemctl restart lpr-edge" so the daemon uses this config\n`,
    );
    return 0;
  },
};
