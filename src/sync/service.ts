import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/defaults.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Service } from '../service.js';
import type { Db } from '../store/database.js';
import type { ReadStore } from '../store/reads.js';
import { monotonicMs } from '../util/clock.js';
import { readConfiguredFile } from '../util/input-file.js';
import { InboundRouter } from './inbound.js';
import { MqttLink } from './link.js';
import {
  contentTypeOf,
  fitRecord,
  publishPacketBytes,
  splitPullResponse,
  type BuiltPullAnswer,
  type PullAnswerHead,
  type PullAnswerRead,
} from './message-size.js';
import { Outbox, type OutboxItem, type OutboxSource } from './outbox.js';
import { ParkedRecords } from './parked.js';
import type { AuditPort, HotlistPort, QueryPort, RosterPort } from './ports.js';
import type { Status } from './schemas.js';
import { loadHqKeys, uncoveredKinds } from './signing.js';
import { readSource } from './sources.js';
import { recordSources } from './adapters.js';
import { Topics } from './topics.js';

const SOFTWARE_VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
})();

export interface SyncDeps {
  log: Logger;
  hotlists?: HotlistPort;
  roster?: RosterPort;
  audit?: AuditPort;
  queries?: QueryPort;
  /** Outbox streams besides reads; default: hits, dispositions, audit records, query logs. */
  sources?: OutboxSource[];
  /** Extra fields for the status topic (software/model versions, camera and GPS health). */
  status?: () => Partial<
    Omit<Status, 'v' | 'state' | 'agency' | 'unit' | 'ts' | 'bootId' | 'connection' | 'seq' | 'will'>
  >;
  /** The wall clock: what records carry (`sentAt`, status `ts`), and list ages against HQ's `issuedAt`. */
  now?: () => number;
}

/**
 * Token bucket: `rate` messages per second with one second of burst. 0 = unlimited. Refilled by the
 * monotonic clock: on the wall clock a step forward counted as time that had passed (a burst the
 * bucket had not saved up), and a step back made the refill negative.
 */
class RateLimiter {
  private tokens: number;
  private last = monotonicMs();
  constructor(private readonly rate: number) {
    this.tokens = rate;
  }
  take(n: number): number {
    if (this.rate === 0) return n;
    const now = monotonicMs();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    const got = Math.min(n, Math.floor(this.tokens));
    this.tokens -= got;
    return got;
  }
}

/** A pull answer on its way out (`SyncService.sendAnswer`). */
interface QueuedAnswer {
  requestId: string;
  topic: string;
  payloads: Buffer[];
  /** Parts (indexes into `payloads`) not yet handed to the broker, in order. */
  waiting: number[];
  /** Parts handed to the broker and not yet acknowledged by it (PUBACK). */
  publishing: number;
  settle(result: { unsentParts: number[] }): void;
}

function readPassword(cfg: Config['sync']): string | undefined {
  if (cfg.password) return cfg.password;
  if (cfg.passwordFile)
    return readConfiguredFile(cfg.passwordFile, 'sync.passwordFile').toString('utf8').split(/\r?\n/)[0];
  return undefined;
}

/**
 * The headquarters sync: drains the outbox over the MQTT link (bounded window, rate limit,
 * priority), applies HQ acknowledgements, handles the down-link, and keeps the retained status
 * topic current.
 */
export class SyncService implements Service {
  readonly name = 'sync';
  readonly topics: Topics;
  readonly outbox: Outbox;
  /** Records too large for the broker even without images: held back, not dropped. */
  private readonly parked: ParkedRecords;
  readonly link: MqttLink;
  readonly inbound: InboundRouter;
  /**
   * Sent and not yet acknowledged, with when (monotonic clock). The ack timeout is timed here, not
   * from `sync_outbox.last_sent_at` (a wall-clock record): a clock stepped forward would make every
   * record in flight look timed out and send the window again; one stepped back would hold them.
   */
  private readonly inFlight = new Map<string, number>();
  /**
   * Pull answers being sent, in the order they were made: their messages go out through the same
   * rate limiter as records (ahead of them: HQ is waiting for the answer), and wait for the link.
   */
  private readonly answers: QueuedAnswer[] = [];
  private readonly limiter: RateLimiter;
  private readonly cfg: Config['sync'];
  private readonly log: Logger;
  private readonly now: () => number;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe?: () => void;
  private pumping = false;
  private pumpAgain = false;
  private collectQueued = false;
  private started = false;
  /** `sentWithoutImages`: messages sent without an image that would have made them too large. */
  readonly stats = {
    published: 0,
    acked: 0,
    resent: 0,
    publishErrors: 0,
    sentWithoutImages: 0,
    /** Messages of pull answers the broker has taken. */
    answerParts: 0,
  };
  /**
   * Orders this boot's statuses at HQ, never the wall clock (stepped by NTP or the GPS, often
   * backwards): a random id per start, the connection to the broker within the boot (each
   * connection's last will names it) and a number per status, kept in memory.
   */
  readonly bootId = randomUUID();
  private connection = 0;
  private statusSeq = 0;
  /** Lists applied from HQ, with their age (policy IV.C.1), for the status topic. */
  private readonly hotlistAges?: () => { listId: string; version: number; ageSec: number }[];

  constructor(
    private readonly config: Config,
    db: Db,
    private readonly reads: ReadStore,
    private readonly deps: SyncDeps,
  ) {
    this.cfg = config.sync;
    if (!this.cfg.brokerUrl) throw new Error('sync.brokerUrl is not set');
    this.log = deps.log.child({ module: 'sync' });
    this.now = deps.now ?? Date.now;
    this.topics = new Topics(config.agency, config.unitId);
    this.outbox = new Outbox(
      db,
      config.unitId,
      [
        readSource(db, reads, { sendOverview: this.cfg.sendOverview }),
        ...(deps.sources ?? recordSources(db)),
      ],
      this.now,
    );
    this.parked = new ParkedRecords(db, this.now);
    this.limiter = new RateLimiter(this.cfg.rate);
    const versions = db.prepare(
      "SELECT name, version, issued_at FROM sync_versions WHERE name LIKE 'hotlist:%'",
    );
    // Ages against HQ's issuedAt, a time from elsewhere: only the wall clock can compare with it.
    this.hotlistAges = () =>
      (versions.all() as { name: string; version: number; issued_at: number }[]).map((r) => ({
        listId: r.name.slice('hotlist:'.length),
        version: r.version,
        ageSec: Math.round((this.now() - r.issued_at) / 1000),
      }));
    const keys = loadHqKeys(this.cfg);
    const uncovered = uncoveredKinds(keys);
    if (uncovered.length === 4)
      this.log.warn(
        'sync.hqPublicKey is not set: hotlists, rosters, pull requests and acks from HQ will be rejected ' +
          '(records are sent but stay queued: none is ever acknowledged, nor purged)',
      );
    else if (uncovered.length > 0)
      this.log.warn(
        { unsigned: uncovered },
        'no HQ key signs these (sync.hqPublicKey is not set, and no sync.hqKeys entry signs them): they will be rejected',
      );
    this.inbound = new InboundRouter({
      db,
      log: this.log,
      topics: this.topics,
      outbox: this.outbox,
      reads,
      keys,
      maxPayloadBytes: this.cfg.maxPayloadBytes,
      pullMaxResults: this.cfg.pullMaxResults,
      hotlists: deps.hotlists,
      roster: deps.roster,
      audit: deps.audit,
      queries: deps.queries,
      buildAnswer: (head, reads, opts) => this.buildAnswer(head, reads, opts),
      sendAnswer: (answer) => this.sendAnswer(answer),
      now: this.now,
      onAcked: (ids) => {
        this.stats.acked += ids.length;
        for (const id of ids) this.inFlight.delete(id);
        this.schedulePump();
      },
    });
    this.link = new MqttLink({
      url: this.cfg.brokerUrl,
      clientId: this.cfg.clientId ?? `lpr-${config.agency}-${config.unitId}`,
      protocolVersion: this.cfg.protocolVersion,
      ca: this.cfg.ca,
      cert: this.cfg.cert,
      key: this.cfg.key,
      username: this.cfg.username,
      password: readPassword(this.cfg),
      keepaliveSec: this.cfg.keepaliveSec,
      sessionExpirySec: this.cfg.sessionExpirySec,
      reconnectInitialMs: this.cfg.reconnectInitialMs,
      reconnectMaxMs: this.cfg.reconnectMaxMs,
      subscriptions: this.topics.subscriptions(),
      // Made for each connection attempt: the will ends that connection, after its statuses.
      will: () => {
        this.connection++;
        return { topic: this.topics.status(), payload: this.statusPayload('offline', { will: true }) };
      },
      log: this.log,
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // After a restart nothing is in flight: whatever HQ has not acknowledged is due again.
    this.inFlight.clear();
    this.outbox.resetInFlight();
    // Parked records are tried again at each start: the limit may have been raised since.
    const released = this.parked.releaseAll();
    if (released > 0)
      this.log.info({ records: released }, 'parked records are due again; checked against the limit');
    this.outbox.collect();
    this.unsubscribe = this.reads.onRead(() => this.scheduleCollect());
    this.link.on('connect', () => {
      this.publishStatus();
      this.schedulePump();
    });
    this.link.on('message', (topic, payload) => {
      void this.inbound.handle(topic, payload).then((outcome) => {
        // A new list or roster, or a rejected message, changes what the status reports: tell HQ at once.
        if (outcome === 'applied' || outcome === 'rejected') this.publishStatus();
      });
    });
    this.link.start();
    this.timers.push(
      // Picks up records written by other processes (CLI), resends timed-out ones, refills the rate.
      setInterval(() => {
        this.scheduleCollect();
        this.schedulePump();
      }, 250),
      setInterval(() => this.publishStatus(), this.cfg.statusIntervalMs),
      setInterval(() => this.outbox.prune(7 * 24 * 3600_000), 3600_000),
    );
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // Messages of pull answers still waiting for the rate or the link do not go: each answer's
    // sender hears which (the query log listed their reads as sent). Those handed to the broker
    // before have until the link's clean end to be acknowledged.
    for (const answer of this.answers.splice(0)) {
      this.log.warn(
        {
          requestId: answer.requestId,
          unsentParts: answer.waiting.map((i) => i + 1),
          parts: answer.payloads.length,
        },
        'sync stopped while a pull answer was being sent: its remaining parts are not sent',
      );
      answer.settle({ unsentParts: [...answer.waiting] });
    }
    this.unsubscribe?.();
    await this.link.stop({ topic: this.topics.status(), payload: this.statusPayload('offline') });
  }

  health(): Record<string, unknown> {
    return {
      connected: this.link.connected,
      lastError: this.link.lastFailure?.message ?? null,
      errorCode: this.link.lastFailure?.code ?? null,
      check: this.link.lastFailure?.check ?? null,
      protocolVersion: this.link.version,
      queueDepth: this.outbox.depth(),
      inFlight: this.inFlight.size,
      answerPartsWaiting: this.answers.reduce((n, a) => n + a.waiting.length, 0),
      maxMessageBytes: this.messageLimit(),
      parked: this.parked.summary(),
      ...this.stats,
      ...this.link.stats,
    };
  }

  private scheduleCollect(): void {
    if (this.collectQueued) return;
    this.collectQueued = true;
    setImmediate(() => {
      this.collectQueued = false;
      if (!this.started) return;
      try {
        if (this.outbox.collect() > 0) this.schedulePump();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'outbox collect failed');
      }
    });
  }

  private schedulePump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    setImmediate(() => {
      try {
        this.pump();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'outbox pump failed');
      } finally {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.schedulePump();
        }
      }
    });
  }

  /**
   * The largest packet a message may make: `sync.maxMessageBytes`, or less when the broker
   * announced less for this connection. A larger one would get the connection dropped.
   */
  private messageLimit(): number {
    return Math.min(this.cfg.maxMessageBytes, this.link.maxPacketBytes ?? Infinity);
  }

  /**
   * Hold back a record that cannot fit even without images: sent, it would only get the
   * connection dropped, again after every reconnect, ahead of everything queued behind it. It is
   * kept (unacknowledged, never purged) and reported; the next start tries it again.
   */
  private park(item: OutboxItem, packetBytes: number, limitBytes: number): void {
    this.inFlight.delete(item.msgId);
    this.parked.park(item.msgId, `${packetBytes} bytes without images, limit ${limitBytes}`);
    this.log.error(
      { msgId: item.msgId, kind: item.kind, packetBytes, limitBytes },
      'record too large for the broker even without images: parked on the unit, not sent; tried again at the next start',
    );
  }

  /** Send what the window and the rate allow. Synchronous: publishes are queued on the socket. */
  private pump(): void {
    if (!this.started || !this.link.connected) return;
    // Pull answers first, from the same bucket: HQ is waiting for them, records only queue.
    this.pumpAnswers();
    // Not acknowledged within the ack timeout: due again (same id; HQ de-duplicates).
    const timedOut: string[] = [];
    const resendBefore = monotonicMs() - this.cfg.ackTimeoutMs;
    for (const [id, sentAt] of this.inFlight) if (sentAt <= resendBefore) timedOut.push(id);
    if (timedOut.length > 0) {
      for (const id of timedOut) this.inFlight.delete(id);
      this.outbox.markUnsent(timedOut);
    }
    const room = this.cfg.window - this.inFlight.size;
    if (room <= 0) return;
    const items = this.outbox.due(Math.min(room, 200));
    if (items.length === 0) return;
    const allowed = this.limiter.take(items.length);
    const batch = items.slice(0, allowed);
    if (batch.length === 0) return;
    const now = this.now();
    const sentAt = monotonicMs();
    this.outbox.markSent(
      batch.map((i) => i.msgId),
      now,
    );
    // In flight from here, before anything below can throw: a record marked sent but not timed
    // here would not be sent again until the next restart.
    for (const item of batch) this.inFlight.set(item.msgId, sentAt);
    const v5 = this.link.version === 5;
    const limitBytes = this.messageLimit();
    let parkedAny = false;
    for (const item of batch) {
      if (item.attempts > 0) this.stats.resent++;
      const loaded = this.outbox.load(item);
      if (!loaded) {
        // The source row is gone (cannot normally happen: unacked records are not purged).
        this.log.warn({ msgId: item.msgId }, 'outbox record has no source row; dropping it');
        this.inFlight.delete(item.msgId);
        this.outbox.ack([item.msgId]);
        continue;
      }
      const message = {
        v: 1,
        id: item.msgId,
        kind: item.kind,
        agency: this.config.agency,
        unit: this.config.unitId,
        seq: item.sourceSeq,
        // seq restarts at 1 in a new database: HQ keeps each database's streams apart by this.
        install: this.outbox.installId,
        sentAt: now,
        body: loaded.body,
      };
      const topic = this.topics.up(item.kind);
      const fitted = fitRecord(message, loaded.images ?? {}, {
        encoding: this.cfg.imageEncoding,
        limitBytes,
        packetBytes: (p) =>
          publishPacketBytes(topic, p.length, { v5, ...(v5 ? { contentType: contentTypeOf(p) } : {}) }),
      });
      if (!fitted.fits) {
        this.park(item, fitted.packetBytes, limitBytes);
        parkedAny = true;
        continue;
      }
      if (fitted.leftOut.length > 0) {
        this.stats.sentWithoutImages++;
        this.outbox.markImagesLeftOut(
          item.msgId,
          fitted.leftOut.map((l) => l.image),
        );
        // The record id only: a plate in the log would outlive the read's retention.
        this.log.warn(
          {
            msgId: item.msgId,
            kind: item.kind,
            imagesLeftOut: fitted.leftOut.map((l) => l.image),
            packetBytes: fitted.fullPacketBytes,
            limitBytes,
          },
          'record too large for the broker: sent without images, which stay on the unit',
        );
      }
      const payload = fitted.payload;
      this.link
        .publish(topic, payload, {
          qos: 1,
          ...(v5 ? { properties: { contentType: contentTypeOf(payload) } } : {}),
        })
        .then(() => {
          this.stats.published++;
        })
        .catch((err: Error) => {
          // Never reached the broker: due again right away, and not counted as sent.
          this.stats.publishErrors++;
          this.inFlight.delete(item.msgId);
          try {
            this.outbox.markNotDelivered([item.msgId]);
          } catch {
            /* database closed during shutdown */
          }
          this.log.debug({ msgId: item.msgId, err: err.message }, 'publish failed; will retry');
        });
    }
    // HQ learns of a parked record at once, not at the next status interval.
    if (parkedAny) this.publishStatus();
    if (batch.length === items.length || allowed > 0) this.pumpAgain = true;
  }

  /**
   * Make a pull answer into messages that each fit the broker's limit (`splitPullResponse`): one
   * larger would get the connection dropped and HQ would never hear the answer. `oneMessage` (an HQ
   * that does not put parts together): cut to the reads one message holds. An answer that cannot
   * be made to fit is an `error` naming the limit, which holds no reads; if not even that fits
   * (it always does: `maxMessageBytes` is at least 8 KiB), there is nothing to send.
   */
  private buildAnswer(
    head: PullAnswerHead,
    reads: PullAnswerRead[],
    opts: { oneMessage?: boolean } = {},
  ): BuiltPullAnswer {
    const topic = this.topics.up('pull-response');
    const limitBytes = this.messageLimit();
    const v5 = this.link.version === 5;
    const packetBytes = (n: number) => publishPacketBytes(topic, n, { v5 });
    const split = splitPullResponse(head, reads, {
      limitBytes,
      packetBytes,
      ...(opts.oneMessage ? { maxParts: 1 } : {}),
    });
    if (!split.fits) {
      // Only a limit smaller than one read's metadata gets here: HQ is told, rather than left waiting.
      this.log.error(
        { requestId: head.requestId, packetBytes: split.packetBytes, limitBytes },
        'pull answer cannot fit the broker limit even one read to a message; answered with an error',
      );
      const reason = `the answer does not fit the broker's maximum packet size (${limitBytes} bytes) even one read to a message, without its crop`;
      const error = splitPullResponse({ ...head, status: 'error', reason, count: 0, truncated: false }, [], {
        limitBytes,
        packetBytes,
      });
      if (!error.fits)
        this.log.error(
          { requestId: head.requestId, limitBytes },
          'not even an error answer fits the broker limit: HQ gets no answer',
        );
      return {
        requestId: head.requestId,
        status: 'error',
        reason,
        count: 0,
        truncated: false,
        reads: 0,
        partReads: error.fits ? error.partReads : [],
        payloads: error.fits ? error.payloads : [],
      };
    }
    if (split.cropsLeftOut > 0)
      this.log.warn(
        { requestId: head.requestId, cropsLeftOut: split.cropsLeftOut, limitBytes },
        'pull answer: crops too large for the broker left out (marked in imagesLeftOut); they stay on the unit',
      );
    if (split.reads < reads.length)
      this.log.warn(
        { requestId: head.requestId, sent: split.reads, found: reads.length, limitBytes },
        'pull answer cut to one message (the request did not say HQ puts parts together); marked truncated',
      );
    if (split.payloads.length > 1)
      this.log.info(
        { requestId: head.requestId, parts: split.payloads.length, count: split.count, limitBytes },
        'pull answer larger than the broker takes in one message: sent in parts',
      );
    return {
      requestId: head.requestId,
      status: head.status,
      ...(head.reason !== undefined ? { reason: head.reason } : {}),
      count: split.count,
      truncated: split.truncated,
      reads: split.reads,
      partReads: split.partReads,
      payloads: split.payloads,
    };
  }

  /**
   * Send an answer's messages, in order, as the rate limit allows, while connected (the link
   * down, they wait). Resolves once the broker has taken every one, or when the service stops
   * first, naming the parts (indexes) that were never handed to the broker.
   */
  private sendAnswer(answer: BuiltPullAnswer): Promise<{ unsentParts: number[] }> {
    if (answer.payloads.length === 0) return Promise.resolve({ unsentParts: [] });
    if (!this.started) return Promise.resolve({ unsentParts: answer.payloads.map((_, i) => i) });
    return new Promise((resolve) => {
      this.answers.push({
        requestId: answer.requestId,
        topic: this.topics.up('pull-response'),
        payloads: answer.payloads,
        waiting: answer.payloads.map((_, i) => i),
        publishing: 0,
        settle: resolve,
      });
      this.schedulePump();
    });
  }

  /** Hand waiting answer messages to the broker, as many as the rate allows now. */
  private pumpAnswers(): void {
    const waiting = this.answers.reduce((n, a) => n + a.waiting.length, 0);
    if (waiting === 0) return;
    const allowed = this.limiter.take(waiting);
    let left = allowed;
    const v5 = this.link.version === 5;
    const limitBytes = this.messageLimit();
    for (const answer of [...this.answers]) {
      while (left > 0 && answer.waiting.length > 0) {
        const part = answer.waiting[0]!;
        if (publishPacketBytes(answer.topic, answer.payloads[part]!.length, { v5 }) > limitBytes) {
          this.abandonAnswer(answer, limitBytes);
          break;
        }
        answer.waiting.shift();
        left--;
        answer.publishing++;
        this.link
          .publish(answer.topic, answer.payloads[part]!, { qos: 1 })
          .then(() => {
            this.stats.answerParts++;
            answer.publishing--;
            this.answerProgress(answer);
          })
          .catch((err: Error) => {
            answer.publishing--;
            this.stats.publishErrors++;
            // Never reached the broker: it waits again, in its place, unless the service stopped
            // (and has told the answer's sender it was not sent).
            if (!this.started || !this.answers.includes(answer)) return;
            answer.waiting.push(part);
            answer.waiting.sort((a, b) => a - b);
            this.log.debug(
              { requestId: answer.requestId, part: part + 1, err: err.message },
              'pull answer part not sent; will retry',
            );
            this.schedulePump();
          });
      }
    }
    // More waiting than the bucket held: the next pump (every 250 ms at the latest) sends on.
    if (allowed > 0 && allowed < waiting) this.pumpAgain = true;
  }

  /**
   * An answer made for a larger limit than this connection's (a reconnect reached a broker, or a
   * cluster node, that takes less; a fall back to 3.1.1): its next part would get the link dropped,
   * and again after every reconnect. The parts not yet sent are not sent; its sender hears which
   * (and audits them), and HQ asking again gets an answer made for the limit then in force.
   */
  private abandonAnswer(answer: QueuedAnswer, limitBytes: number): void {
    this.answers.splice(this.answers.indexOf(answer), 1);
    const unsentParts = answer.waiting.splice(0);
    this.log.error(
      {
        requestId: answer.requestId,
        unsentParts: unsentParts.map((i) => i + 1),
        parts: answer.payloads.length,
        limitBytes,
      },
      "pull answer made for a larger limit than the broker's now: its remaining parts are not sent",
    );
    answer.settle({ unsentParts });
  }

  /** An answer whose every message the broker has taken is done. */
  private answerProgress(answer: QueuedAnswer): void {
    if (answer.waiting.length > 0 || answer.publishing > 0) return;
    const i = this.answers.indexOf(answer);
    if (i < 0) return;
    this.answers.splice(i, 1);
    answer.settle({ unsentParts: [] });
  }

  private statusPayload(state: 'online' | 'offline', opts: { will?: true } = {}): Buffer {
    let extra: ReturnType<NonNullable<SyncDeps['status']>> = {};
    let downLink: ReturnType<InboundRouter['statusSummary']> = {};
    let queueDepth: number | undefined;
    let parked: Status['parked'];
    try {
      extra = this.deps.status?.() ?? {};
      downLink = this.inbound.statusSummary();
      queueDepth = this.outbox?.depth();
      const held = this.parked?.summary();
      if (held && held.count > 0) parked = held;
    } catch {
      /* status is best effort */
    }
    const status: Status = {
      v: 1,
      state,
      agency: this.config.agency,
      unit: this.config.unitId,
      ts: this.now(),
      bootId: this.bootId,
      connection: this.connection,
      // The will has no number: it comes after every status of its connection.
      ...(opts.will ? opts : { seq: ++this.statusSeq }),
      software: SOFTWARE_VERSION,
      ...(this.hotlistAges ? { hotlists: this.hotlistAges() } : {}),
      ...downLink,
      ...extra,
      ...(queueDepth !== undefined ? { queueDepth, inFlight: this.inFlight?.size ?? 0 } : {}),
      ...(parked ? { parked } : {}),
    };
    return Buffer.from(JSON.stringify(status));
  }

  private publishStatus(): void {
    if (!this.link.connected) return;
    this.link
      .publish(this.topics.status(), this.statusPayload('online'), { qos: 1, retain: true })
      .catch((err: Error) => this.log.debug({ err: err.message }, 'status publish failed'));
  }
}

/**
 * Build the sync service for a unit (the daemon calls this when `sync.enabled`). The unit's
 * stores are passed in; the other modules' services come in `deps`.
 */
export function createSyncService(
  unit: { config: Config; db: Db; reads: ReadStore; log: Logger },
  deps: Partial<SyncDeps> = {},
): SyncService {
  return new SyncService(unit.config, unit.db, unit.reads, { log: unit.log, ...deps });
}
