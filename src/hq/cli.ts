import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import {
  describeIssues,
  hotlistDocumentSchema,
  rosterDocumentSchema,
  type HotlistDocument,
  type RosterDocument,
} from '../sync/schemas.js';
import { generateSigningKeys, loadPrivateKey } from '../sync/signing.js';
import { parseTime } from '../cli/commands/policy-common.js';
import { HqSink } from './sink.js';

const USAGE = `hq-sink: reference headquarters consumer for lpr-edge sync

  node scripts/hq-sink.mjs run     --url URL --db FILE --key KEY [--key-id ID] [--group hq] [--agency A] [auth] [--stats-ms 5000]
                                   (acks are signed with KEY: hq-signing.key, or an ack key with the
                                   --key-id the units list it under in sync.hqKeys, signing acks only)
  node scripts/hq-sink.mjs keygen  --out DIR [--name hq-signing] [--force]
                                   (writes NAME.key and NAME.pub; --force replaces an existing pair;
                                   e.g. --name hq-ack for a separate ack key)
  node scripts/hq-sink.mjs hotlist --url URL --key KEY --file DOC.json [--unit U] [auth]
  node scripts/hq-sink.mjs roster  --url URL --key KEY --file DOC.json [--unit U] [auth]
  node scripts/hq-sink.mjs pull    --url URL --key HQ.key --agency A --unit U --requester NAME --purpose CODE --case NO
                                   [--plate P] [--from ISO] [--to ISO] [--resend-ms 35000] [--attempts 4] [auth]
                                   (no answer within --resend-ms: the same signed request is sent again)

--key-id ID: the keyId put in every envelope signed with --key (unset: HQ's main key, sync.hqPublicKey)
auth: --username U --password P, and/or --ca CA.pem --cert CERT.pem --client-key KEY.pem (mutual TLS)
DOC.json for hotlist/roster is a HotlistDocument / RosterDocument (docs/asyncapi.yaml); it is signed here.`;

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      db: { type: 'string' },
      group: { type: 'string' },
      agency: { type: 'string' },
      unit: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      'client-key': { type: 'string' },
      key: { type: 'string' },
      'key-id': { type: 'string' },
      name: { type: 'string' },
      file: { type: 'string' },
      out: { type: 'string' },
      requester: { type: 'string' },
      purpose: { type: 'string' },
      case: { type: 'string' },
      plate: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'stats-ms': { type: 'string' },
      'resend-ms': { type: 'string' },
      attempts: { type: 'string' },
      'client-id': { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const cmd = positionals[0];
  if (!cmd || values.help) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (cmd === 'keygen') {
    const out = values.out ?? '.';
    const name = values.name ?? 'hq-signing';
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.'))
      throw new Error(`--name "${name}": a file name of letters, digits, ".", "_" or "-" (e.g. hq-ack)`);
    // A new pair would silently cut every unit off: units verify against the old public key.
    const existing = [`${name}.key`, `${name}.pub`].filter((f) => existsSync(path.join(out, f)));
    if (existing.length > 0 && !values.force)
      throw new Error(
        `${path.join(out, existing[0]!)} exists; the units verify against that pair. Give another --out, or --force to replace it (then provision every unit with the new ${name}.pub)`,
      );
    mkdirSync(out, { recursive: true });
    const keys = generateSigningKeys();
    writeFileSync(path.join(out, `${name}.key`), keys.privateKeyPem, { mode: 0o600 });
    writeFileSync(path.join(out, `${name}.pub`), keys.publicKeyPem);
    const use =
      name === 'hq-signing'
        ? 'sync.hqPublicKey on the units'
        : 'on the units: sync.hqPublicKey, or an entry of sync.hqKeys with the keyId signed with (--key-id)';
    console.log(`wrote ${out}/${name}.key (keep secret) and ${out}/${name}.pub (${use})`);
    return 0;
  }
  if (!values.url) throw new Error('--url is required');
  // run acknowledges every record it takes, and a unit may delete what HQ acknowledged: it must
  // store them on disk. The other commands take records only when given a database.
  if (cmd === 'run' && !values.db)
    throw new Error('run: --db FILE is required (records are acknowledged once stored)');
  if (cmd === 'run' && !values.key)
    throw new Error('run: --key KEY is required (hq-signing.key: the units take only acks signed with it)');
  if (values.key) loadPrivateKey(values.key); // a wrong file named now, before connecting
  if (values['key-id'] !== undefined && !values.key)
    throw new Error('--key-id names the key given with --key');
  if (values['key-id'] !== undefined && !/^[A-Za-z0-9._:-]{1,200}$/.test(values['key-id']))
    throw new Error(
      `--key-id "${values['key-id']}": letters, digits, ".", "_", ":" or "-", as in sync.hqKeys`,
    );
  const statsMs = parseStatsMs(values['stats-ms']);
  const criteria =
    cmd === 'pull'
      ? {
          ...(values.plate ? { plate: values.plate } : {}),
          ...(values.from ? { from: parseTime(values.from, 'from') } : {}),
          ...(values.to ? { to: parseTime(values.to, 'to', true) } : {}),
        }
      : {};
  // A document file is checked before connecting: its faults are named, not hidden behind a broker
  // that cannot be reached, nor dumped as raw validation JSON.
  const document = cmd === 'hotlist' || cmd === 'roster' ? readDocument(cmd, values.file) : undefined;
  const log = createLogger('info', 'stderr');
  const sink = new HqSink({
    url: values.url,
    dbFile: values.db ?? ':memory:',
    consume: values.db !== undefined,
    clientId: values['client-id'],
    group: values.group,
    agency: values.agency,
    username: values.username,
    password: values.password,
    ca: values.ca,
    cert: values.cert,
    key: values['client-key'],
    signingKey: values.key,
    signingKeyId: values['key-id'],
    log,
  });
  await sink.start();
  try {
    if (cmd === 'run') {
      const timer = setInterval(() => {
        const cpu = process.cpuUsage();
        console.log(
          JSON.stringify({ ...sink.stats, stored: sink.count(), cpuMs: (cpu.user + cpu.system) / 1000 }),
        );
      }, statsMs);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      clearInterval(timer);
      const cpu = process.cpuUsage();
      console.log(
        JSON.stringify({
          final: true,
          ...sink.stats,
          stored: sink.count(),
          cpuMs: (cpu.user + cpu.system) / 1000,
        }),
      );
      return 0;
    }
    if (document) {
      if (!values.key) throw new Error('--key is required (documents are signed)');
      if (document.type === 'hotlist') await sink.publishHotlist(document, { unit: values.unit });
      else await sink.publishRoster(document, { unit: values.unit });
      console.log(`${cmd} signed and published`);
      return 0;
    }
    if (cmd === 'pull') {
      if (!values.agency || !values.unit || !values.key)
        throw new Error('--agency, --unit and --key are required (pull requests are signed)');
      const resendMs = positiveInt(values['resend-ms'], '--resend-ms');
      const attempts = positiveInt(values.attempts, '--attempts');
      const answer = await sink.pull(
        values.agency,
        values.unit,
        {
          requester: values.requester,
          purpose: values.purpose,
          caseNumber: values.case,
          attestation: true,
          criteria,
        },
        { resendMs, attempts },
      );
      console.log(JSON.stringify(answer, null, 2));
      return answer.status === 'answered' ? 0 : 1;
    }
    console.error(`unknown command ${cmd}\n${USAGE}`);
    return 2;
  } finally {
    await sink.stop();
  }
}

/** The HotlistDocument or RosterDocument in `file`, or an error naming the file and each wrong field. */
function readDocument(cmd: 'hotlist' | 'roster', file: string | undefined): HotlistDocument | RosterDocument {
  if (!file) throw new Error(`${cmd}: --file DOC.json is required`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(
      `--file ${file}: ${err instanceof SyntaxError ? 'not JSON: ' : ''}${(err as Error).message}`,
    );
  }
  const schema = cmd === 'hotlist' ? hotlistDocumentSchema : rosterDocumentSchema;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const title = cmd === 'hotlist' ? 'HotlistDocument' : 'RosterDocument';
    throw new Error(`--file ${file}: not a ${title} (docs/asyncapi.yaml): ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive whole number, not "${value}"`);
  return n;
}

/**
 * `--stats-ms`: how often `run` prints its counters. Checked before connecting: Number("abc") is
 * NaN, which setInterval takes as 1 ms, flooding the output.
 */
function parseStatsMs(value: string | undefined): number {
  if (value === undefined) return 5000;
  const ms = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(ms >= 100 && ms <= 3_600_000))
    throw new Error(`--stats-ms "${value}": give milliseconds from 100 to 3600000 (digits only), e.g. 5000`);
  return ms;
}
