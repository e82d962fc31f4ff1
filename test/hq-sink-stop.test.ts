import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HqSink } from '../src/hq/sink.js';
import { SinkProcess } from '../src/hq/sink-process.js';
import { generateSigningKeys } from '../src/sync/signing.js';
import { hqSinkArgs } from './helpers/broker-and-hq-sink.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { until } from './helpers/unit.js';

// HQ has to stop whatever its broker does: hung (SIGSTOP: the socket stays open, nothing answers)
// or gone with a QoS 1 publish unacknowledged. And the sink process wrapper has to notice a
// child that died by a signal, or that ignores SIGTERM. Bounds are loose on purpose (a loaded
// two-core machine): without the fixes these waits never end at all.
const hqKeys = generateSigningKeys();
let tmp: string;
let keyFile: string;
const brokers: Mosquitto[] = [];
const sinks: SinkProcess[] = [];

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lpr-hq-sink-stop-'));
  keyFile = path.join(tmp, 'hq-signing.key');
  writeFileSync(keyFile, hqKeys.privateKeyPem, { mode: 0o600 });
});

afterEach(async () => {
  for (const s of sinks.splice(0)) {
    s.proc.kill('SIGCONT');
    if (!s.exited) s.proc.kill('SIGKILL');
  }
  for (const b of brokers.splice(0)) {
    b.proc?.kill('SIGCONT');
    await b.kill('SIGKILL');
  }
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function newBroker(name: string): Promise<Mosquitto> {
  const b = await Mosquitto.create(path.join(tmp, name));
  brokers.push(b);
  return b;
}

function newSinkProcess(broker: Mosquitto, name: string, statsMs = 200): SinkProcess {
  const s = new SinkProcess([
    ...hqSinkArgs(broker, keyFile, path.join(tmp, `${name}.db`)),
    '--stats-ms',
    String(statsMs),
  ]);
  sinks.push(s);
  return s;
}

/** How `p` ends within `ms`: 'resolved', 'rejected', or 'pending'. */
async function within(p: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<'pending'>((resolve) => {
      timer = setTimeout(() => resolve('pending'), ms);
    }),
  ]);
  clearTimeout(timer);
  return r;
}

describe('HqSink.stop', () => {
  it('returns within seconds while its broker is hung', async () => {
    const broker = await newBroker('hung');
    const sink = new HqSink({
      url: broker.url,
      dbFile: ':memory:',
      username: 'hq',
      password: 'hq-secret',
      signingKey: hqKeys.privateKeyPem,
    });
    await sink.start();
    broker.proc!.kill('SIGSTOP');
    expect(await within(sink.stop(), 10_000)).toBe('resolved');
  });

  it('returns within seconds when the broker went away with a QoS 1 publish unacknowledged', async () => {
    const broker = await newBroker('gone');
    const sink = new HqSink({
      url: broker.url,
      dbFile: ':memory:',
      username: 'hq',
      password: 'hq-secret',
      signingKey: hqKeys.privateKeyPem,
    });
    await sink.start();
    broker.proc!.kill('SIGSTOP');
    // Never acknowledged: the broker is frozen, then killed.
    void sink.publishRaw('nyspd', 'car-1', 'ack', '{}').catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    await broker.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(await within(sink.stop(), 10_000)).toBe('resolved');
  });
});

describe('SinkProcess (hq-sink run)', () => {
  it('exits cleanly on SIGTERM, final stats written, while its broker is hung', async () => {
    const broker = await newBroker('run-hung');
    const sink = newSinkProcess(broker, 'run-hung');
    await sink.ready();
    broker.proc!.kill('SIGSTOP');
    // The SIGKILL fallback is 30 s away: the sink has to leave by itself before it.
    expect(await within(sink.stop(30_000), 20_000)).toBe('resolved');
    expect(sink.proc.signalCode).toBeNull();
    expect(sink.proc.exitCode).toBe(0);
    await until(() => sink.last?.final === true, 5000, 'the final stats line');
  });

  it('stop() resolves when the process had already died by a signal', async () => {
    const broker = await newBroker('killed');
    const sink = newSinkProcess(broker, 'killed');
    await sink.ready();
    await new Promise((r) => {
      sink.proc.once('exit', r);
      sink.proc.kill('SIGKILL');
    });
    expect(sink.proc.exitCode).toBeNull();
    expect(await within(sink.stop(), 10_000)).toBe('resolved');
  });

  it('ready() fails at once when the process died by a signal before reporting', async () => {
    const broker = await newBroker('early');
    const sink = newSinkProcess(broker, 'early', 600_000); // no stats line before the first tick
    await new Promise((r) => setTimeout(r, 300));
    sink.proc.kill('SIGKILL');
    const t0 = Date.now();
    await expect(sink.ready(25_000)).rejects.toThrow(/exited with SIGKILL/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('stop() kills a process that does not act on SIGTERM', async () => {
    const broker = await newBroker('frozen-sink');
    const sink = newSinkProcess(broker, 'frozen-sink');
    await sink.ready();
    sink.proc.kill('SIGSTOP'); // SIGTERM stays pending; only SIGKILL ends it
    expect(await within(sink.stop(1000), 10_000)).toBe('resolved');
    expect(sink.proc.signalCode).toBe('SIGKILL');
  });
});
