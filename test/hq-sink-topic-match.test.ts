import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { until } from './helpers/unit.js';

// The broker's access rules let each unit publish on its own topics only (docs/sync.md, topic-level
// authorisation); what a message says about whose it is must agree with the topic, or one unit
// could speak for another. The sink checked that for records, not for statuses and pull answers:
// car-1 could set car-2 "online" at HQ, or add reads to an answer HQ awaits from car-2.
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-hq-sink-topic-', { sink: false });

describe('the reference sink and a message naming another unit than its topic', () => {
  it('drops a status or a pull answer whose agency or unit is not its topic’s, and logs it', async () => {
    const { log, records } = recordingLogger();
    const sink = fixture.newSink('hq', { log });
    await sink.start();
    const car1 = await mqtt.connectAsync(fixture.broker.url, { username: 'unit', password: 'unit-secret' });
    try {
      const status = (unit: string) => ({ v: 1, state: 'online', agency: AGENCY, unit, ts: Date.now() });
      const answer = (unit: string, requestId: string) => ({
        v: 1,
        requestId,
        agency: AGENCY,
        unit,
        status: 'answered',
        count: 0,
        ts: Date.now(),
      });
      // car-1 speaking for car-2, then for itself.
      await car1.publishAsync(`lpr/v1/${AGENCY}/car-1/status`, JSON.stringify(status('car-2')), { qos: 1 });
      await car1.publishAsync(
        `lpr/v1/${AGENCY}/car-1/up/pull-response`,
        JSON.stringify(answer('car-2', 'req-of-car-2')),
        { qos: 1 },
      );
      await car1.publishAsync(`lpr/v1/${AGENCY}/car-1/status`, JSON.stringify(status('car-1')), { qos: 1 });
      await car1.publishAsync(
        `lpr/v1/${AGENCY}/car-1/up/pull-response`,
        JSON.stringify(answer('car-1', 'req-of-car-1')),
        { qos: 1 },
      );
      await until(() => sink.stats.received >= 4, 10_000, 'HQ to receive the four messages');
      const units = sink.db.prepare('SELECT unit FROM unit_status ORDER BY unit').pluck().all();
      expect(units).toEqual(['car-1']);
      const answers = sink.db.prepare('SELECT request_id, unit FROM pull_responses').all();
      expect(answers).toEqual([{ request_id: 'req-of-car-1', unit: 'car-1' }]);
      const dropped = records.filter((r) => r.msg === 'hq sink: invalid message dropped').map((r) => r.err);
      expect(dropped).toEqual([
        expect.stringMatching(/status of nyspd\/car-2 on lpr\/v1\/nyspd\/car-1\/status/),
        expect.stringMatching(/pull answer of nyspd\/car-2 on lpr\/v1\/nyspd\/car-1\/up\/pull-response/),
      ]);
    } finally {
      await car1.endAsync();
      await sink.stop();
    }
  });
});
