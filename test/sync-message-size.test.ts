import { generate } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../src/sync/codec.js';
import {
  FRAME_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  contentTypeOf,
  fitRecord,
  publishPacketBytes,
  splitPullResponse,
} from '../src/sync/message-size.js';

// mqtt-packet is the serializer mqtt.js writes every packet with: its length is what the broker
// receives and measures against its maximum packet size.
describe('publishPacketBytes', () => {
  const topic = 'lpr/v1/nyspd/car-12/up/read';
  // Around each boundary of the remaining-length integer (128, 16,384, 2,097,152).
  const sizes = [0, 1, 60, 100, 127, 16_300, 16_383, 16_384, 60_000, 2_097_100, 2_097_152];
  it.each(sizes)('equals the length mqtt.js sends for a %d-byte payload (MQTT 5 and 3.1.1)', (n) => {
    const payload = Buffer.alloc(n, 0x41);
    for (const contentType of [JSON_CONTENT_TYPE, FRAME_CONTENT_TYPE]) {
      const v5 = generate(
        {
          cmd: 'publish',
          topic,
          payload,
          qos: 1,
          messageId: 42,
          dup: false,
          retain: false,
          properties: { contentType },
        },
        { protocolVersion: 5 },
      );
      expect(publishPacketBytes(topic, n, { v5: true, contentType })).toBe(v5.length);
    }
    const v5bare = generate(
      { cmd: 'publish', topic, payload, qos: 1, messageId: 42, dup: false, retain: false },
      { protocolVersion: 5 },
    );
    expect(publishPacketBytes(topic, n, { v5: true })).toBe(v5bare.length);
    const v4 = generate(
      { cmd: 'publish', topic, payload, qos: 1, messageId: 42, dup: false, retain: false },
      { protocolVersion: 4 },
    );
    expect(publishPacketBytes(topic, n, { v5: false })).toBe(v4.length);
  });
});

describe('fitRecord', () => {
  const message = () => ({
    v: 1,
    id: 'car-1:read:r1',
    kind: 'read',
    body: { id: 'r1', flags: [] as string[] },
  });
  const packetBytes = (p: Buffer) =>
    publishPacketBytes('t', p.length, { v5: true, contentType: contentTypeOf(p) });
  const crop = Buffer.alloc(3_000, 1);
  const overview = Buffer.alloc(30_000, 2);

  it.each(['base64', 'binary'] as const)(
    '%s: keeps every image that fits, overview left out before the crop',
    (encoding) => {
      const all = fitRecord(message(), { crop, overview }, { encoding, limitBytes: 100_000, packetBytes });
      expect(all.fits && all.leftOut).toEqual([]);
      const noOverview = fitRecord(
        message(),
        { crop, overview },
        { encoding, limitBytes: 10_000, packetBytes },
      );
      if (!noOverview.fits) throw new Error('should fit without the overview');
      expect(noOverview.leftOut).toEqual([
        { image: 'overview', reason: 'message-too-large', bytes: 30_000, limitBytes: 10_000 },
      ]);
      expect(packetBytes(noOverview.payload)).toBeLessThanOrEqual(10_000);
      const decoded = decodeRecord(noOverview.payload);
      expect(decoded.images.crop?.equals(crop)).toBe(true);
      expect(decoded.images.overview).toBeUndefined();
      const none = fitRecord(message(), { crop, overview }, { encoding, limitBytes: 1_000, packetBytes });
      if (!none.fits) throw new Error('should fit without images');
      expect(none.leftOut.map((l) => l.image)).toEqual(['overview', 'crop']);
      expect(contentTypeOf(none.payload)).toBe(JSON_CONTENT_TYPE);
      expect((decodeRecord(none.payload).json as { body: object }).body).toHaveProperty(
        'imagesLeftOut',
        none.leftOut,
      );
    },
  );

  it('does not fit a record too big without images, and never changes the message it was given', () => {
    const m = message();
    const before = JSON.stringify(m);
    const r = fitRecord(m, { crop }, { encoding: 'base64', limitBytes: 50, packetBytes });
    expect(r.fits).toBe(false);
    expect(JSON.stringify(m)).toBe(before);
  });
});

describe('splitPullResponse', () => {
  const head = {
    v: 1 as const,
    requestId: 'q1',
    agency: 'nyspd',
    unit: 'car-1',
    status: 'answered' as const,
    count: 30,
    truncated: false,
    ts: 1,
  };
  const topic = 'lpr/v1/nyspd/car-1/up/pull-response';
  const packetBytes = (n: number) => publishPacketBytes(topic, n, { v5: true });
  const reads = Array.from({ length: 30 }, (_, i) => ({
    body: { id: `r${i}`, note: 'x'.repeat(200 + i * 13) },
    crop: Buffer.alloc(900 + i * 7, i),
  }));

  it('packs whole reads in order into numbered parts, each as full as the limit allows', () => {
    const limitBytes = 8_000;
    const r = splitPullResponse(head, reads, { limitBytes, packetBytes });
    if (!r.fits) throw new Error('should fit');
    expect(r.cropsLeftOut).toBe(0);
    const parts = r.payloads.map(
      (p) => JSON.parse(String(p)) as { part: number; parts: number; count: number; reads: { id: string }[] },
    );
    expect(parts.map((p) => [p.part, p.parts, p.count])).toEqual(
      parts.map((_, i) => [i + 1, parts.length, 30]),
    );
    expect(parts.flatMap((p) => p.reads.map((read) => read.id))).toEqual(reads.map((read) => read.body.id));
    r.payloads.forEach((payload, i) => {
      expect(packetBytes(payload.length)).toBeLessThanOrEqual(limitBytes);
      // The next part's first read would not have fitted here.
      const next = parts[i + 1]?.reads[0];
      if (next)
        expect(packetBytes(payload.length + 1 + JSON.stringify(next).length)).toBeGreaterThan(limitBytes);
    });
  });

  it('leaves out only a crop too large for a message with its read alone; a read too large without it does not fit', () => {
    const big = { body: { id: 'big' }, crop: Buffer.alloc(5_000) };
    const r = splitPullResponse({ ...head, count: 2 }, [reads[0]!, big], { limitBytes: 4_000, packetBytes });
    if (!r.fits) throw new Error('should fit');
    expect(r.cropsLeftOut).toBe(1);
    const bodies = r.payloads.flatMap((p) => (JSON.parse(String(p)) as { reads: object[] }).reads);
    expect(bodies[0]).toHaveProperty('crop');
    expect(bodies[1]).toEqual({
      id: 'big',
      imagesLeftOut: [{ image: 'crop', reason: 'message-too-large', bytes: 5_000, limitBytes: 4_000 }],
    });
    const huge = { body: { id: 'huge', note: 'x'.repeat(5_000) } };
    expect(splitPullResponse(head, [huge], { limitBytes: 4_000, packetBytes }).fits).toBe(false);
  });

  it('with maxParts 1 (an HQ that does not put parts together) stops after the reads one message holds, and says so', () => {
    const limitBytes = 8_000;
    const whole = splitPullResponse(head, reads, { limitBytes, packetBytes });
    const cut = splitPullResponse(head, reads, { limitBytes, packetBytes, maxParts: 1 });
    if (!whole.fits || !cut.fits) throw new Error('should fit');
    expect(whole.payloads.length).toBeGreaterThan(1);
    expect(cut.payloads).toHaveLength(1);
    // The first message of the whole answer, holding the same reads, now counted as the answer.
    expect(cut.reads).toBe(whole.partReads[0]);
    expect(cut).toMatchObject({ count: cut.reads, truncated: true, partReads: [cut.reads] });
    const only = JSON.parse(String(cut.payloads[0])) as {
      part: number;
      parts: number;
      count: number;
      truncated: boolean;
      reads: { id: string }[];
    };
    expect(only).toMatchObject({ part: 1, parts: 1, count: cut.reads, truncated: true });
    expect(only.reads.map((r) => r.id)).toEqual(reads.slice(0, cut.reads).map((r) => r.body.id));
    expect(packetBytes(cut.payloads[0]!.length)).toBeLessThanOrEqual(limitBytes);
    // An answer one message holds is not cut.
    const small = splitPullResponse({ ...head, count: 2 }, reads.slice(0, 2), {
      limitBytes,
      packetBytes,
      maxParts: 1,
    });
    expect(small).toMatchObject({ fits: true, reads: 2, count: 2, truncated: false });
  });
});
