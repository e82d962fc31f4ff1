import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { policySchema } from '../src/policy/config.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { UserDirectory } from '../src/policy/users.js';
import { createSyncService } from '../src/sync/service.js';
import { recordingLogger } from './helpers/logger.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';
import { ADMIN_PW } from './policy-helpers.js';

// A read too large for the broker goes without its plate crop (imagesLeftOut), and HQ acknowledges
// it all the same. The unit then holds the only copy of that crop: retention must not purge the
// read at the window as if HQ had everything, but keep it the year VI.B asks, as it does an
// overview HQ never received. Here Mosquitto takes packets of at most 20,000 bytes (MQTT 5 CONNACK).
const LIMIT = 20_000;
const DAY = 86_400_000;
const fixture = useBrokerAndHqSink('lpr-sync-crop-left-out-', { maxPacketBytes: LIMIT });
const { dir: tmp } = fixture;

describe('a plate crop left out to fit the broker', () => {
  it('is kept by retention after the ack (the read with it), while a read HQ got whole is purged at the window', async () => {
    const unitId = 'car-crop-left-out';
    const dataDir = path.join(tmp, unitId);
    const { db, reads } = openStore(dataDir);
    const config = unitConfig(
      dataDir,
      fixture.unitSync({
        ackTimeoutMs: 2000,
      }),
      unitId,
    );
    const whole = reads.save(makeRead(1, unitId), { crop: randomBytes(2_000), overview: null });
    const tooBig = reads.save(makeRead(2, unitId), { crop: randomBytes(40_000), overview: null });
    const sync = createSyncService({ config, db, reads, log: recordingLogger().log });
    try {
      await sync.start();
      await until(() => sync.outbox.depth() === 0, 20_000, 'HQ to acknowledge both reads');
    } finally {
      await sync.stop();
    }
    fixture.sink.flush();
    const cropAtHq = fixture.sink.db
      .prepare('SELECT crop FROM records WHERE id = ?')
      .pluck()
      .get(`${unitId}:read:${tooBig.id}`) as Buffer | null;
    expect(cropAtHq, 'HQ holds no crop for the read too big for the broker').toBeNull();

    // Ten days on, with a 7-day window an admin approved: the read HQ has whole goes; the other
    // is kept with its crop, and the run says why.
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
    const result = runRetention({ db, dataDir, now: Date.now() + 10 * DAY });
    expect(result).toMatchObject({ purged: 1, keptCropUnsent: 1 });
    expect(reads.get(whole.id)).toBeUndefined();
    expect(reads.get(tooBig.id)).toBeDefined();
    expect(existsSync(reads.imagePath(tooBig.cropPath!))).toBe(true);
    expect(new AuditLog(db).list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
      purged: 1,
      keptCropUnsent: 1,
    });
    db.close();
  });
});
