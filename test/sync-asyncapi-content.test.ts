import path from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { buildAsyncApi } from '../src/sync/asyncapi.js';
import { decodeRecord } from '../src/sync/codec.js';
import { upMessageSchemas } from '../src/sync/schemas.js';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, plateCrop, unitConfig, until } from './helpers/unit.js';

// docs/asyncapi.yaml is what an HQ integrator builds a consumer from. Its read channel listed one
// message, `application/json`, while a unit with sync.imageEncoding=binary sends reads with images
// as binary frames (content type application/vnd.lpr-edge.frame over MQTT 5): a consumer built
// from the document would fail on every one. Here a real unit sends over Mosquitto in both
// encodings, and each message's content type must be one the document lists for its channel.
const fixture = useBrokerAndHqSink('lpr-sync-asyncapi-content-', { sink: false });
const { dir: tmp } = fixture;

interface Api {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { channel: { $ref: string }; messages: { $ref: string }[] }>;
  components: { messages: Record<string, { contentType: string; payload: unknown }> };
}

/** The content types the document gives for the messages of the channel whose address matches `topic`. */
function documentedContentTypes(api: Api, topic: string): string[] {
  const [key, channel] = Object.entries(api.channels).find(([, c]) =>
    new RegExp(`^${c.address.replace(/\{[a-zA-Z]+\}/g, '[^/]+')}$`).test(topic),
  )!;
  const operation = Object.values(api.operations).find((o) => o.channel.$ref === `#/channels/${key}`)!;
  const names = Object.values(channel.messages).map((m) => m.$ref.split('/').pop()!);
  // The operation lists every message of its channel.
  expect(operation.messages.map((m) => m.$ref.split('/').pop()).sort()).toEqual([...names].sort());
  return names.map((n) => api.components.messages[n]!.contentType);
}

describe('the content types a unit sends', () => {
  for (const encoding of ['base64', 'binary'] as const) {
    it(`are the AsyncAPI document's for each up channel (sync.imageEncoding: ${encoding})`, async () => {
      const dataDir = path.join(tmp, encoding);
      const unit = openStore(dataDir);
      const config = unitConfig(
        dataDir,
        fixture.unitSync({
          imageEncoding: encoding,
          sendOverview: true,
          clientId: `content-${encoding}`,
        }),
      );
      const crop = await plateCrop();
      unit.reads.save(makeRead(1), { crop, overview: crop });
      unit.reads.save(makeRead(2), { crop: null, overview: null });
      new AuditLog(unit.db).append({ type: 'login', actor: 'officer-1', details: {} });
      const seen: { topic: string; contentType: string | undefined; payload: Buffer }[] = [];
      const hq = await mqtt.connectAsync(fixture.broker.url, {
        username: 'hq',
        password: 'hq-secret',
        protocolVersion: 5,
      });
      hq.on('message', (topic, payload, packet) =>
        seen.push({ topic, contentType: packet.properties?.contentType, payload }),
      );
      await hq.subscribeAsync('lpr/v1/nyspd/car-1/up/#', { qos: 1 });
      const sync = createSyncService({ config, db: unit.db, reads: unit.reads, log: recordingLogger().log });
      try {
        await sync.start();
        await until(
          () =>
            seen.filter((s) => s.topic.endsWith('/read')).length >= 2 &&
            seen.some((s) => s.topic.endsWith('/audit')),
          10_000,
          'the reads and the audit record',
        );
      } finally {
        await sync.stop();
        await hq.endAsync();
        unit.db.close();
      }
      const api = buildAsyncApi() as unknown as Api;
      const types = new Set<string>();
      for (const message of seen) {
        expect(message.contentType, message.topic).toBeDefined();
        types.add(message.contentType!);
        expect(documentedContentTypes(api, message.topic), message.topic).toContain(message.contentType);
        // Whatever its framing, what it carries is the documented record.
        const kind = message.topic.split('/').pop() as keyof typeof upMessageSchemas;
        expect(upMessageSchemas[kind].safeParse(decodeRecord(message.payload).json).success).toBe(true);
      }
      // Binary frames are what the read with images went as (the one without, JSON).
      expect([...types].sort()).toEqual(
        encoding === 'binary' ? ['application/json', 'application/vnd.lpr-edge.frame'] : ['application/json'],
      );
    });
  }
});
