import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { Daemon } from '../src/daemon.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { freePort, waitFor } from './helpers/proc.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, plateCrop } from './helpers/unit.js';
import { importCurrentHotlist } from './helpers/hotlist-fixtures.js';
import { ROOT } from './helpers/cli.js';
import {
  asServiceUser,
  canActAsServiceUser,
  letServiceUserReach,
  letServiceUserThrough,
  serviceUser,
} from './helpers/service-user.js';

/**
 * What a technician meets when the headquarters link is set up wrong on a unit: the reader keeps
 * reading, and /healthz says what is wrong with the link and which config key to fix.
 */

const fixture = useBrokerAndHqSink('daemon-sync-faults-', { sink: { clientId: 'hq-faults' } });
const { dir, hqKeys } = fixture;
const daemons: Daemon[] = [];

afterAll(async () => {
  for (const d of daemons) await d.stop();
});

type Healthz = {
  status: string;
  problems: string[];
  sync: { connected: boolean; lastError?: string | null; errorCode?: string | null } | null;
};

/** Starts a daemon (no camera) for unit car-1 with this `sync` section; returns it and its /healthz. */
async function startUnit(dataDir: string, sync: Record<string, unknown>) {
  const healthPort = await freePort();
  const config = path.join(dir, `config-${healthPort}.yaml`);
  writeFileSync(
    config,
    stringify({
      unitId: 'car-1',
      agency: 'nyspd',
      dataDir,
      vision: embeddedDefaults().vision,
      cameras: [],
      console: { port: await freePort() },
      health: { port: healthPort },
      sync: {
        enabled: true,
        brokerUrl: fixture.broker.tlsUrl,
        reconnectInitialMs: 100,
        reconnectMaxMs: 500,
        ...sync,
      },
    }),
  );
  const { log, records } = recordingLogger();
  const daemon = await Daemon.start({ configPath: config, log });
  daemons.push(daemon);
  const healthz = async () =>
    (await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).json()) as Healthz;
  return { daemon, healthz, records };
}

describe('sync set up wrong on a unit', () => {
  it('starts the reader without sync when its key or HQ key is unusable, says which key to fix, and sends the kept reads once fixed', async () => {
    const dataDir = path.join(dir, 'unit-data');
    await importCurrentHotlist(dataDir);
    const car = fixture.broker.certs.client('car-1');
    const other = fixture.broker.certs.client('car-2');
    const hqKey = path.join(dir, 'hq-public.pem');
    writeFileSync(hqKey, hqKeys.publicKeyPem);
    const good = { ca: fixture.broker.certs.ca, cert: car.cert, key: car.key, hqPublicKey: hqKey };

    // Another unit's key beside this unit's certificate: the reader runs, sync does not.
    const wrongKey = await startUnit(dataDir, { ...good, key: other.key });
    const h1 = await wrongKey.healthz();
    expect(h1.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^sync disabled: sync\\.key ${other.key} cannot be used with sync\\.cert ${car.cert} \\(.*\\): fix: install the key this certificate was issued for`,
        ),
      ),
    );
    // A plate read meanwhile is kept.
    wrongKey.daemon.unit.reads.save(makeRead(1, 'car-1'), { crop: await plateCrop(), overview: null });
    // Said once in the log, with the key to change.
    const said = wrongKey.records.filter((r) => /^sync disabled/.test(r.msg));
    expect(said).toHaveLength(1);
    expect(String(said[0]!.problem)).toMatch(/^sync\.key /);
    await wrongKey.daemon.stop();

    // The key fixed, but HQ's public key is not where the config says.
    const noHqKey = await startUnit(dataDir, { ...good, hqPublicKey: path.join(dir, 'missing.pem') });
    expect((await noHqKey.healthz()).problems).toContainEqual(
      `sync disabled: sync.hqPublicKey ${path.join(dir, 'missing.pem')}: no such file: fix: correct sync.hqPublicKey or put the file there`,
    );
    await noHqKey.daemon.stop();

    // All fixed: the read made while sync was off reaches headquarters.
    const fixed = await startUnit(dataDir, good);
    await waitFor(() => fixture.sink.count('read') === 1, 30_000, 'the kept read at HQ');
    const h3 = await fixed.healthz();
    expect(h3.problems.filter((p) => /sync/.test(p))).toEqual([]);
    expect(h3.sync?.connected).toBe(true);
    await fixed.daemon.stop();
  }, 120_000);
});

describe('a sync file the service user cannot read', () => {
  // The daemon runs as its own user (systemd User=); a key left root's, mode 600, is EACCES to it.
  it.skipIf(!canActAsServiceUser)('names the config key, the user and the fix', () => {
    const files = path.join(dir, 'keys');
    mkdirSync(files);
    letServiceUserThrough(dir);
    chmodSync(files, 0o755);
    const key = path.join(files, 'car-1.key');
    writeFileSync(key, 'a private key', { mode: 0o600 });
    const module = path.join(ROOT, 'dist/sync/files.js');
    const closeProject = letServiceUserReach(module);
    try {
      const script = `
        const { syncFilesProblem } = await import(${JSON.stringify(module)});
        console.log(syncFilesProblem({ key: ${JSON.stringify(key)} }));`;
      const r = asServiceUser(process.execPath, ['--input-type=module', '-e', script]);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(
        `sync.key ${key}: cannot be read by ${serviceUser.name}, the user lpr-edge runs as: ` +
          `fix: chgrp ${serviceUser.name} ${key} && chmod 640 ${key} (or correct sync.key)`,
      );
    } finally {
      closeProject();
    }
  });
});

describe('a broker the unit cannot trust', () => {
  it('shows the link error, its code and the config key to check in /healthz, logged once per attempt', async () => {
    const dataDir = path.join(dir, 'wrong-ca-data');
    await importCurrentHotlist(dataDir);
    const car = fixture.broker.certs.client('car-1');
    // The CA of another agency's broker: the broker's certificate does not chain to it.
    const unit = await startUnit(dataDir, {
      ca: fixture.broker.certs.rogueCa,
      cert: car.cert,
      key: car.key,
      hqPublicKey: hqKeys.publicKeyPem,
    });
    const h = await waitFor(
      async () => {
        const body = await unit.healthz();
        return body.sync?.lastError ? body : null;
      },
      20_000,
      'the link error in /healthz',
    );
    expect(h.sync).toMatchObject({
      connected: false,
      lastError: 'self-signed certificate in certificate chain',
      errorCode: 'SELF_SIGNED_CERT_IN_CHAIN',
      check: 'sync.ca (the broker certificate does not chain to it)',
    });
    // Not "out of coverage": a CA that does not fit never heals by driving on.
    expect(h.problems).toContain(
      'sync link failing: self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN): check sync.ca (the broker certificate does not chain to it)',
    );
    // A few attempts later: one warning per attempt, not two.
    const count = (re: RegExp) => unit.records.filter((r) => re.test(r.msg)).length;
    await waitFor(() => count(/sync link reconnect scheduled/) >= 3, 20_000, 'three attempts');
    await unit.daemon.stop();
    const attempts = count(/sync link reconnect scheduled/);
    expect(count(/sync link error/)).toBeGreaterThanOrEqual(attempts);
    expect(count(/sync link error/)).toBeLessThanOrEqual(attempts + 1);
  }, 60_000);
});
