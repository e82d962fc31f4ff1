import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { HqSink, type HqSinkOptions } from '../../src/hq/sink.js';
import { generateSigningKeys } from '../../src/sync/signing.js';
import { Mosquitto } from './mosquitto.js';

/** What useBrokerAndHqSink gives a test file. */
export interface BrokerAndHqSink {
  /** The file's temporary folder: the broker's files, HQ's databases, the units' data folders. */
  readonly dir: string;
  /** HQ's signing key pair: the sinks sign with the private key; units are given the public one. */
  readonly hqKeys: { publicKeyPem: string; privateKeyPem: string };
  /** HQ's private key in a file (mode 0600), for the `hq-sink` command line's `--key`. */
  readonly hqKeyFile: string;
  /** Started in beforeAll. */
  readonly broker: Mosquitto;
  /** The started sink, database `hq.db` (in beforeAll; there is none with `sink: false`). */
  readonly sink: HqSink;
  /** Another sink as the shared one is made (not started), with database `<name>.db`. */
  newSink(name: string, options?: Partial<HqSinkOptions>): HqSink;
  /**
   * A unit's `sync` settings for this broker and HQ, as most sync tests give `unitConfig`: the
   * broker's plain URL, user unit/unit-secret, HQ's public key; `changes` add to or replace them.
   */
  unitSync(changes?: Record<string, unknown>): Record<string, unknown>;
  /** hqSinkArgs for this broker, signing with HQ's key unless given another key file. */
  hqSinkArgs(dbFile?: string, keyFile?: string): string[];
}

export interface BrokerAndHqSinkOptions {
  /** The broker's `max_packet_size`: larger packets get the sender disconnected. */
  maxPacketBytes?: number;
  /**
   * `false`: the broker alone (tests that start their own sinks). Otherwise what changes in the
   * shared sink's options, or a function making that from the broker (its TLS listener, say).
   */
  sink?: false | Partial<HqSinkOptions> | ((broker: Mosquitto) => Partial<HqSinkOptions>);
}

/**
 * The `hq-sink` command line's options to reach `broker` as user hq, signing with `keyFile`, with
 * database `dbFile` when given; a test adds the subcommand and the rest.
 */
export function hqSinkArgs(broker: Mosquitto, keyFile: string, dbFile?: string): string[] {
  return [
    '--url',
    broker.url,
    '--username',
    'hq',
    '--password',
    'hq-secret',
    '--key',
    keyFile,
    ...(dbFile === undefined ? [] : ['--db', dbFile]),
  ];
}

/**
 * The headquarters side that the sync and HQ tests send a unit's records to, set up once here
 * rather than in each file: a real Mosquitto on free loopback ports (users hq/hq-secret and
 * unit/unit-secret, and a mutual-TLS listener) and the reference HQ sink consuming from it as user
 * hq, signing with a key pair made for the file. Call it at the top of a test file: it registers a
 * beforeAll that starts them and an afterAll that stops them and removes the file's temporary
 * folder; hooks the file registers after the call run after the start and before the stop.
 */
export function useBrokerAndHqSink(tmpPrefix: string, options: BrokerAndHqSinkOptions = {}): BrokerAndHqSink {
  const dir = mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  const hqKeys = generateSigningKeys();
  const hqKeyFile = path.join(dir, 'hq-signing.key');
  writeFileSync(hqKeyFile, hqKeys.privateKeyPem, { mode: 0o600 });
  let broker: Mosquitto | undefined;
  let sink: HqSink | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is started in beforeAll (or not at all: sink: false)`);
    return value;
  };
  const fixture: BrokerAndHqSink = {
    dir,
    hqKeys,
    hqKeyFile,
    get broker() {
      return started(broker, 'the broker');
    },
    get sink() {
      return started(sink, 'the HQ sink');
    },
    newSink: (name, extra = {}) =>
      new HqSink({
        url: fixture.broker.url,
        username: 'hq',
        password: 'hq-secret',
        dbFile: path.join(dir, `${name}.db`),
        signingKey: hqKeys.privateKeyPem,
        ...extra,
      }),
    unitSync: (changes = {}) => ({
      brokerUrl: fixture.broker.url,
      username: 'unit',
      password: 'unit-secret',
      hqPublicKey: hqKeys.publicKeyPem,
      ...changes,
    }),
    hqSinkArgs: (dbFile, keyFile = hqKeyFile) => hqSinkArgs(fixture.broker, keyFile, dbFile),
  };

  beforeAll(async () => {
    const extraConfig = options.maxPacketBytes ? [`max_packet_size ${options.maxPacketBytes}`] : [];
    broker = await Mosquitto.create(path.join(dir, 'broker'), undefined, extraConfig);
    if (options.sink === false) return;
    const changes = typeof options.sink === 'function' ? options.sink(broker) : options.sink;
    sink = fixture.newSink('hq', changes);
    await sink.start();
  });

  afterAll(async () => {
    await sink?.stop();
    await broker?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  return fixture;
}
