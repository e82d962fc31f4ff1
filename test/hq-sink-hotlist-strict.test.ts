import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { SinkProcess } from '../src/hq/sink-process.js';
import { policyServices } from '../src/policy/services.js';
import { hotlistPort } from '../src/sync/adapters.js';
import { createSyncService } from '../src/sync/service.js';
import { loadPrivateKey, signDocument } from '../src/sync/signing.js';
import { Topics } from '../src/sync/topics.js';
import { ROOT } from './helpers/cli.js';
import { recordingLogger } from './helpers/logger.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { openStore, unitConfig, until } from './helpers/unit.js';

// A hotlist's entries were strict, its top level not: a misspelt top-level key was dropped and the
// list applied without it. `"unti": "car-2"` for `"unit"` made a list meant for one car every
// car's. As pull requests and rosters already are, the document is now refused naming the key:
// by `hq-sink hotlist` before it publishes anything, and by a unit given it signed by another HQ
// tool (rejected, audited, reported in its status, nothing of it applied).
const fixture = useBrokerAndHqSink('lpr-hq-sink-hotlist-strict-', { sink: false });
const { dir: tmp, hqKeys } = fixture;

function hqSinkCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/hq-sink.mjs'), ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const misspelt = () => ({
  type: 'hotlist',
  agency: 'nyspd',
  unti: 'car-2', // meant: unit
  listId: 'ncic',
  kind: 'full',
  version: 1,
  issuedAt: Date.now(),
  entries: [{ plate: 'ABC1234', state: 'NY', listType: 'stolen-vehicle' }],
});

describe('a hotlist with a misspelt top-level key', () => {
  it('is refused naming the key by hq-sink hotlist and by the unit, and nothing of it is applied', async () => {
    const dataDir = path.join(tmp, 'unit');
    const unit = openStore(dataDir);
    const config = unitConfig(dataDir, fixture.unitSync());
    const policy = policyServices({ db: unit.db, config });
    const store = new HotlistStore(unit.db, new Equivalence(defaultHotlistsConfig().equivalence));
    const sync = createSyncService(
      { config, db: unit.db, reads: unit.reads, log: recordingLogger().log },
      { audit: policy.audit, hotlists: hotlistPort(store) },
    );
    const hqDb = path.join(tmp, 'hq.db');
    const sink = new SinkProcess([...fixture.hqSinkArgs(hqDb), '--stats-ms', '200']);
    const hq = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
    try {
      await sink.ready();
      await sync.start();
      await until(() => sync.link.connected, 10_000, 'the unit to connect');
      const file = path.join(tmp, 'ncic.json');
      writeFileSync(file, JSON.stringify(misspelt()));

      // HQ's own tool names the key and publishes nothing.
      const cli = await hqSinkCli('hotlist', ...fixture.hqSinkArgs(), '--file', file);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`--file ${file}: not a HotlistDocument`);
      expect(cli.stderr).toContain('Unrecognized key: "unti"');
      expect(cli.stdout).not.toContain('published');

      // Signed and sent by another HQ tool: the unit refuses it.
      await hq.publishAsync(
        new Topics('nyspd', 'fleet').fleetHotlist('ncic'),
        JSON.stringify(signDocument(misspelt(), loadPrivateKey(hqKeys.privateKeyPem))),
        { qos: 1, retain: true },
      );
      const handled = () =>
        unit.db.prepare("SELECT outcome, reason FROM sync_inbound WHERE kind = 'hotlist'").all() as {
          outcome: string;
          reason: string;
        }[];
      await until(() => handled().length > 0, 10_000, 'the unit to handle the list');
      expect(handled()).toHaveLength(1);
      expect(handled()[0]).toMatchObject({ outcome: 'rejected' });
      expect(handled()[0]!.reason).toContain('Unrecognized key: "unti"');
      // Nothing of it applied.
      expect(store.findInList('ncic', 'ABC1234')).toEqual([]);
      expect(
        unit.db.prepare("SELECT COUNT(*) FROM sync_versions WHERE name = 'hotlist:ncic'").pluck().get(),
      ).toBe(0);
      // Audited on the unit, and reported to HQ in its status.
      const audited = unit.db
        .prepare("SELECT details FROM audit_log WHERE type = 'hotlist.import'")
        .pluck()
        .all() as string[];
      expect(audited.map((d) => JSON.parse(d) as { outcome: string })).toMatchObject([
        { outcome: 'rejected' },
      ]);
      const reported = () => {
        const db = new Database(hqDb, { readonly: true });
        try {
          const payload = db.prepare("SELECT payload FROM unit_status WHERE unit = 'car-1'").pluck().get() as
            string | undefined;
          return payload
            ? (JSON.parse(payload) as { lastRejected?: { reason: string } }).lastRejected
            : undefined;
        } finally {
          db.close();
        }
      };
      await until(() => reported() !== undefined, 10_000, "HQ to hear of the unit's refusal");
      expect(reported()!.reason).toContain('Unrecognized key: "unti"');
    } finally {
      await hq.endAsync();
      await sync.stop();
      await sink.stop();
      unit.db.close();
    }
  });
});
