import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { until } from './helpers/unit.js';

// A unit's answer to a pull request that fails HQ's validation was logged as an invalid message
// and dropped, and `pull` went on waiting: after its last resend it failed with "no answer to pull
// request …", sending the analyst to look for a unit offline or a lost message when the unit had
// answered, and each resend would bring the same invalid answer. `pull` now fails at once with
// what is wrong with the answer.
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-hq-sink-pull-invalid-');

describe('hq pull and an invalid answer from the unit', () => {
  it('fails with what is wrong with the answer, not "no answer"', async () => {
    const car = await mqtt.connectAsync(fixture.broker.url, { username: 'unit', password: 'unit-secret' });
    try {
      await car.subscribeAsync(`lpr/v1/${AGENCY}/car-5/down/pull`, { qos: 1 });
      const requests: string[] = [];
      car.on('message', (_topic, payload) => requests.push(payload.toString()));
      const pull = fixture.sink.pull(
        AGENCY,
        'car-5',
        {
          requestId: 'req-invalid-answer',
          requester: 'analyst-7',
          purpose: 'investigation-vehicle',
          caseNumber: '2026-0042',
          attestation: true,
          criteria: { plate: 'ABC1234' },
        },
        { resendMs: 15_000, attempts: 1 },
      );
      const failed = pull.then(
        () => 'answered',
        (err: Error) => err.message,
      );
      await until(() => requests.length === 1, 10_000, 'the unit to receive the pull request');
      // The unit answers, with a count that is not a number.
      const answer = {
        v: 1,
        requestId: 'req-invalid-answer',
        agency: AGENCY,
        unit: 'car-5',
        status: 'answered',
        count: 'three',
        ts: Date.now(),
      };
      await car.publishAsync(`lpr/v1/${AGENCY}/car-5/up/pull-response`, JSON.stringify(answer), { qos: 1 });
      expect(await failed).toMatch(
        /answer from nyspd\/car-5 to pull request req-invalid-answer is invalid: .*count/s,
      );
    } finally {
      await car.endAsync();
    }
  }, 30_000);
});
