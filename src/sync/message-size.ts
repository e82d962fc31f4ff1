import { encodeRecord, type FrameImages } from './codec.js';
import type { ImageLeftOut, PullResponse } from './schemas.js';

/**
 * Keeping outbound messages within the broker's maximum packet size. A broker drops the
 * connection of a client that sends a larger packet (MQTT 5 §3.1.2.11.4, and what 3.1.1 brokers
 * do), so one such record, sent again after every reconnect ahead of the records queued behind
 * it, would stop the whole up-link.
 */

/** The largest packet MQTT can express: a remaining length of 268,435,455 plus the fixed header. */
export const MQTT_MAX_PACKET_BYTES = 268_435_460;

export const JSON_CONTENT_TYPE = 'application/json';
export const FRAME_CONTENT_TYPE = 'application/vnd.lpr-edge.frame';

/** Bytes of an MQTT variable byte integer. */
function varIntBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : 4;
}

/**
 * The size of a QoS 1 PUBLISH packet as MQTT 5 §3.1.2.11.4 defines it for the maximum packet size:
 * the whole packet (fixed header, topic, packet id, MQTT 5 properties with the content type,
 * payload). Mosquitto 2.0.11 counts 1-4 bytes fewer (not the remaining length), so this errs on
 * the safe side there.
 */
export function publishPacketBytes(
  topic: string,
  payloadBytes: number,
  opts: { v5: boolean; contentType?: string },
): number {
  let properties = 0;
  if (opts.contentType !== undefined) properties += 1 + 2 + Buffer.byteLength(opts.contentType);
  const remaining =
    2 + Buffer.byteLength(topic) + 2 + (opts.v5 ? varIntBytes(properties) + properties : 0) + payloadBytes;
  return 1 + varIntBytes(remaining) + remaining;
}

/** JSON starts with '{'; anything else the codec makes is a binary frame. */
export function contentTypeOf(payload: Buffer): string {
  return payload[0] === 0x7b ? JSON_CONTENT_TYPE : FRAME_CONTENT_TYPE;
}

export type FitResult =
  | { fits: true; payload: Buffer; leftOut: ImageLeftOut[]; fullPacketBytes: number }
  | { fits: false; packetBytes: number };

/**
 * Encode a record so its PUBLISH packet is at most `limitBytes`: as stored; if that is too big,
 * without the overview frame; then without the plate crop too. Each image left out is listed in
 * the body's `imagesLeftOut`, so HQ knows it exists on the unit and why it did not come. A record
 * too big even without images does not fit (`fits: false`).
 */
export function fitRecord(
  message: { body: Record<string, unknown> } & Record<string, unknown>,
  images: FrameImages,
  opts: {
    encoding: 'base64' | 'binary';
    limitBytes: number;
    /** The packet size for a payload (topic, protocol version and content type are the caller's). */
    packetBytes: (payload: Buffer) => number;
  },
): FitResult {
  // encodeRecord writes the images into the body: each attempt gets its own copy.
  const encode = (kept: FrameImages, leftOut: ImageLeftOut[]) =>
    encodeRecord(
      { ...message, body: { ...message.body, ...(leftOut.length > 0 ? { imagesLeftOut: leftOut } : {}) } },
      kept,
      opts.encoding,
    );
  let kept = { ...images };
  const leftOut: ImageLeftOut[] = [];
  let payload = encode(kept, leftOut);
  const fullPacketBytes = opts.packetBytes(payload);
  let packetBytes = fullPacketBytes;
  // The overview is the large, optional one; the crop is what HQ matches plates against.
  for (const image of ['overview', 'crop'] as const) {
    if (packetBytes <= opts.limitBytes) break;
    const { [image]: dropped, ...rest } = kept;
    if (!dropped) continue;
    kept = rest;
    leftOut.push({ image, reason: 'message-too-large', bytes: dropped.length, limitBytes: opts.limitBytes });
    payload = encode(kept, leftOut);
    packetBytes = opts.packetBytes(payload);
  }
  if (packetBytes > opts.limitBytes) return { fits: false, packetBytes };
  return { fits: true, payload, leftOut, fullPacketBytes };
}

/** A pull answer but its reads and numbering: the same in each of its messages. */
export type PullAnswerHead = Omit<PullResponse, 'reads' | 'part' | 'parts'>;

/** One read of a pull answer, with its crop when HQ asked for crops. */
export interface PullAnswerRead {
  body: Record<string, unknown>;
  crop?: Buffer;
}

/** A pull answer made into messages (`SyncService.buildAnswer`): what goes, and which reads it holds. */
export interface BuiltPullAnswer {
  requestId: string;
  /** `error` when the answer could not be made to fit the broker: then it holds no reads. */
  status: PullResponse['status'];
  reason?: string;
  /** As the messages say: the reads they hold together, and whether more matched. */
  count: number;
  truncated: boolean;
  /** How many of the reads given, from the first, the messages hold. */
  reads: number;
  /** The reads of each message, in order. */
  partReads: number[];
  /** Empty only when not even an error answer fits the broker (nothing can be sent). */
  payloads: Buffer[];
}

export type SplitResult =
  | {
      fits: true;
      payloads: Buffer[];
      cropsLeftOut: number;
      /** How many of the reads, from the first, the messages hold (all, unless `maxParts` cut them). */
      reads: number;
      /** The reads of each message, in order. */
      partReads: number[];
      /** The answer's `count` and `truncated` as the messages carry them (changed only by a cut). */
      count: number;
      truncated: boolean;
    }
  | { fits: false; packetBytes: number };

/**
 * A pull answer as messages whose PUBLISH packets are each at most `limitBytes`. HQ may ask for
 * hundreds of reads with their crops, far more than one packet takes, and a packet over the limit
 * gets the connection dropped without HQ hearing anything. So the reads go in order, as many whole
 * reads to a message as fit, each message numbered (`part` of `parts`) and carrying the answer's
 * `count`. Nothing is left out to make an answer fit except a crop too large for a message even
 * with its read alone: that read goes without it, listed in `imagesLeftOut` as on the up-link.
 * Does not fit (`fits: false`) only when a read without its crop, or the answer without reads,
 * is too large for a message.
 *
 * `maxParts` (1 for an HQ that does not put parts together): the answer stops at the last read
 * that fits in that many messages; it then says so (`truncated: true`) and counts only the reads
 * it holds, so it is whole as it stands.
 */
export function splitPullResponse(
  head: PullAnswerHead,
  reads: PullAnswerRead[],
  opts: { limitBytes: number; packetBytes: (payloadBytes: number) => number; maxParts?: number },
): SplitResult {
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  // Measured with the largest numbers any message of it can carry: none is larger (a cut answer
  // counts fewer reads, and says `true` where it said `false`).
  const most = Math.max(1, reads.length);
  const envelope = bytes({ ...head, part: most, parts: most, reads: [] });
  let maxPayload = opts.limitBytes - opts.packetBytes(0);
  while (maxPayload > 0 && opts.packetBytes(maxPayload) > opts.limitBytes) maxPayload--;
  const room = maxPayload - envelope;
  if (room < 0) return { fits: false, packetBytes: opts.packetBytes(envelope) };
  const maxParts = opts.maxParts ?? Infinity;
  const groups: Record<string, unknown>[][] = [[]];
  let used = 0;
  let cropsLeftOut = 0;
  let cut = false;
  for (const read of reads) {
    let body = read.crop
      ? {
          ...read.body,
          crop: { encoding: 'base64', contentType: 'image/jpeg', data: read.crop.toString('base64') },
        }
      : read.body;
    let cropLeftOut = false;
    if (read.crop && bytes(body) > room) {
      const leftOut: ImageLeftOut = {
        image: 'crop',
        reason: 'message-too-large',
        bytes: read.crop.length,
        limitBytes: opts.limitBytes,
      };
      body = { ...read.body, imagesLeftOut: [leftOut] };
      cropLeftOut = true;
    }
    const size = bytes(body);
    if (size > room) return { fits: false, packetBytes: opts.packetBytes(envelope + size) };
    const group = groups[groups.length - 1]!;
    // Reads are joined by a comma inside the message.
    if (group.length > 0 && used + 1 + size > room) {
      if (groups.length >= maxParts) {
        cut = true;
        break;
      }
      groups.push([body]);
      used = size;
    } else {
      used += (group.length > 0 ? 1 : 0) + size;
      group.push(body);
    }
    if (cropLeftOut) cropsLeftOut++;
  }
  const held = groups.reduce((n, g) => n + g.length, 0);
  const count = cut ? held : head.count;
  const truncated = head.truncated || cut;
  const payloads = groups.map((group, i) =>
    Buffer.from(
      JSON.stringify({ ...head, count, truncated, part: i + 1, parts: groups.length, reads: group }),
    ),
  );
  return {
    fits: true,
    payloads,
    cropsLeftOut,
    reads: held,
    partReads: groups.map((g) => g.length),
    count,
    truncated,
  };
}
