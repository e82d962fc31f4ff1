import { randomUUID, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import { decodeRecord, encodeRecord, parseJson } from '../sync/codec.js';
import {
  pullResponseSchema,
  statusSchema,
  upMessageSchema,
  type Ack,
  type HotlistDocument,
  type PullRequest,
  type PullResponse,
  type RosterDocument,
  type Status,
} from '../sync/schemas.js';
import { loadPrivateKey, signDocument } from '../sync/signing.js';
import { FLEET, ROOT, Topics, hqSubscriptions, parseTopic, type UpKind } from '../sync/topics.js';
import { endMqttClient } from '../util/mqtt-end.js';

/**
 * The reference headquarters consumer: the integration tests' counterpart and the example an HQ
 * team starts from. Several instances share the load through an MQTT 5 shared subscription
 * (`$share/{group}/...`); each stores records into SQLite (de-duplicating by message id) and
 * acknowledges them to the unit, signed with HQ's key, only after the transaction has committed.
 */
export interface HqSinkOptions {
  url: string;
  dbFile: string;
  clientId?: string;
  group?: string;
  /** Agency to consume ('+' = all). */
  agency?: string;
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  /**
   * Ed25519 private key (PEM text or path) for signing hotlists, rosters, pull requests and acks.
   * Needed to consume: a unit takes only acks signed with it. A consumer that only acknowledges
   * can hold an ack key instead of HQ's main key, with its `signingKeyId`.
   */
  signingKey?: string;
  /**
   * The keyId written in every envelope this sink signs: the units check it against the key of
   * that id in their `sync.hqKeys` (an ack key: acks only). Unset: HQ's main key (`hqPublicKey`).
   */
  signingKeyId?: string;
  /** Commit + acknowledge at least this often. */
  flushMs?: number;
  /**
   * Consume the units' records and acknowledge them (default true). Off for a tool that only
   * publishes or asks (hotlist, roster, pull) without a database of its own: an acknowledged
   * record is one the unit may delete, so only a consumer that stores it may take it.
   */
  consume?: boolean;
  log?: Logger;
}

/** How `pull` waits for a unit's answer. */
export interface PullOptions {
  /** No answer within this long: send the same signed request again (default 35 s: a unit answers a repeat at most every 30 s). */
  resendMs?: number;
  /** Sends at most, the first included (default 4); no answer after the last: give up. */
  attempts?: number;
}

/**
 * A pull answer as HQ keeps it: every message of it (its parts, and answers to repeats of the
 * request) merged, each read once. `count` is the reads held; `complete` once every part of one
 * answer has arrived.
 */
export type PullAnswer = Omit<PullResponse, 'part' | 'parts'> & { complete: boolean };

/**
 * Kinds whose records a unit numbers per database (`{unit}:{kind}:{install}-{n}`) and never
 * changes: a resend's body is the same. A unit whose database is restored from a backup keeps its
 * install id and numbers its next records again from where the backup stood, so an id HQ holds
 * with another body is another record: it is quarantined (`REUSED_ID`), not dropped as a duplicate.
 */
const NUMBERED_KINDS = new Set(['disposition', 'query-log']);
const REUSED_ID =
  'HQ already holds another record under this id (the unit numbered it again: its database restored from a backup?)';

/** A status or a pull answer's message, validated, to be written; as it came, to quarantine it. */
type Unwritten = ({ status: Status } | { answer: PullResponse }) & { topic: string; payload: Buffer };

/** A message kept raw for review (see onMessage); records are acknowledged, statuses and answers not. */
interface Quarantined {
  id: string;
  agency: string;
  unit: string;
  topic: string;
  reason: string;
  payload: Buffer;
  ack: boolean;
}

interface Pending {
  id: string;
  agency: string;
  unit: string;
  kind: string;
  /** The unit database's id: a re-imaged unit's streams start at seq 1 again under a new one. */
  install: string | null;
  seq: number;
  sentAt: number;
  body: string;
  crop: Buffer | null;
  overview: Buffer | null;
}

export class HqSink {
  readonly db: Database.Database;
  private client?: MqttClient;
  private pending: Pending[] = [];
  /** Records that failed validation but carry an id: kept raw and acknowledged (see onMessage). */
  private quarantine: Quarantined[] = [];
  /**
   * Statuses and pull-answer messages taken but not yet written (the database was locked by
   * another consumer, or full): written in the order they came, before anything newer of theirs,
   * at the next flush. They used to be dropped as invalid.
   */
  private unwritten: Unwritten[] = [];
  private flushTimer?: NodeJS.Timeout;
  private readonly signingKey?: KeyObject;
  /** A waiting pull's answer, or why the answer that came cannot be stored. */
  private readonly waiters = new Map<string, (r: PullAnswer | Error) => void>();
  private readonly insert;
  private readonly heldBody;
  readonly stats = { received: 0, stored: 0, duplicates: 0, invalid: 0, acksSent: 0 };

  constructor(private readonly opts: HqSinkOptions) {
    if (opts.signingKey) this.signingKey = loadPrivateKey(opts.signingKey);
    // Every unit rejects an unsigned ack: without the key, nothing taken here would count as synced.
    if ((opts.consume ?? true) && !this.signingKey)
      throw new Error('hq sink: consuming records needs the signing key (the units take only signed acks)');
    if (opts.dbFile !== ':memory:') mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    this.db = new Database(opts.dbFile);
    this.db.pragma('journal_mode = WAL');
    // FULL: an ack tells the unit it may purge the record, so a commit must survive power loss.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (
        id TEXT PRIMARY KEY,            -- the unit's stable message id: duplicates are dropped here
        agency TEXT NOT NULL,
        unit TEXT NOT NULL,
        kind TEXT NOT NULL,
        install TEXT,                   -- the unit database (NULL: a unit older than the field)
        seq INTEGER NOT NULL,           -- numbered per install: a stream is (unit, kind, install)
        sent_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        body TEXT NOT NULL,             -- JSON, images removed
        crop BLOB,
        overview BLOB                   -- the overview frame (units with sync.sendOverview)
      );
      CREATE TABLE IF NOT EXISTS unit_status (
        agency TEXT NOT NULL, unit TEXT NOT NULL, state TEXT NOT NULL, ts INTEGER NOT NULL, payload TEXT NOT NULL,
        PRIMARY KEY (agency, unit)
      );
      CREATE TABLE IF NOT EXISTS quarantine (
        id TEXT PRIMARY KEY, agency TEXT NOT NULL, unit TEXT NOT NULL, topic TEXT NOT NULL,
        reason TEXT NOT NULL, received_at INTEGER NOT NULL, payload BLOB NOT NULL
      );
    `);
    this.createPullTables();
    // A database made before records kept the overview: a unit that sends overviews marks them as
    // held at HQ once acknowledged, and may then purge its own copy, so this sink must store them.
    const columns = this.db.prepare('PRAGMA table_info(records)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'overview'))
      this.db.exec('ALTER TABLE records ADD COLUMN overview BLOB');
    // Nor the unit database a record came from: a re-imaged unit numbers its records from 1 again,
    // and by (unit, kind, seq) alone its new audit chain and query log interleaved with the old.
    if (!columns.some((c) => c.name === 'install'))
      this.db.exec('ALTER TABLE records ADD COLUMN install TEXT');
    this.db.exec(`
      DROP INDEX IF EXISTS records_unit_kind_seq;
      CREATE INDEX IF NOT EXISTS records_stream ON records (unit, kind, install, seq);
    `);
    this.heldBody = this.db.prepare('SELECT body FROM records WHERE id = ?').pluck();
    this.insert = this.db.prepare(
      `INSERT OR IGNORE INTO records (id, agency, unit, kind, install, seq, sent_at, received_at, body, crop, overview)
       VALUES (@id, @agency, @unit, @kind, @install, @seq, @sentAt, @receivedAt, @body, @crop, @overview)`,
    );
  }

  /**
   * A unit's answers to a pull request, one row per unit and request id: HQ may give two units'
   * requests the same id, and a unit may answer with another unit's request id; neither may mix
   * one unit's reads into another's answer. (Databases made when they were keyed by request id
   * alone are moved over.)
   */
  private createPullTables(): void {
    this.db.transaction(() => {
      const keyed = this.db.prepare('PRAGMA table_info(pull_responses)').all() as {
        name: string;
        pk: number;
      }[];
      const old = keyed.length > 0 && keyed.filter((c) => c.pk > 0).length === 1;
      // The first sink (before answers came in parts) had no parts table: nothing of it to move.
      const oldParts =
        old &&
        this.db
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pull_response_parts'")
          .get() !== undefined;
      if (old) this.db.exec('ALTER TABLE pull_responses RENAME TO pull_responses_by_request');
      if (oldParts) this.db.exec('ALTER TABLE pull_response_parts RENAME TO pull_response_parts_by_request');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS pull_responses (
          agency TEXT NOT NULL, unit TEXT NOT NULL, request_id TEXT NOT NULL, status TEXT NOT NULL,
          count INTEGER NOT NULL, received_at INTEGER NOT NULL, payload TEXT NOT NULL,
          PRIMARY KEY (agency, unit, request_id)
        );
        -- The messages of each answer that arrived: answer 0 is the first, N the unit's Nth repeat
        -- (each split on its own). An answer is complete with parts 1..parts.
        CREATE TABLE IF NOT EXISTS pull_response_parts (
          agency TEXT NOT NULL, unit TEXT NOT NULL, request_id TEXT NOT NULL,
          answer INTEGER NOT NULL, part INTEGER NOT NULL, parts INTEGER NOT NULL,
          PRIMARY KEY (agency, unit, request_id, answer, part)
        );
      `);
      if (oldParts) {
        this.db.exec(`
          INSERT INTO pull_response_parts (agency, unit, request_id, answer, part, parts)
            SELECT r.agency, r.unit, p.request_id, p.answer, p.part, p.parts
            FROM pull_response_parts_by_request p JOIN pull_responses_by_request r USING (request_id);
          DROP TABLE pull_response_parts_by_request;
        `);
      }
      if (old) {
        this.db.exec(`
          INSERT INTO pull_responses (agency, unit, request_id, status, count, received_at, payload)
            SELECT agency, unit, request_id, status, count, received_at, payload FROM pull_responses_by_request;
          DROP TABLE pull_responses_by_request;
        `);
      }
    })();
  }

  async start(): Promise<void> {
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.clientId ?? `hq-sink-${randomUUID().slice(0, 8)}`,
      protocolVersion: 5,
      // A clean session on purpose: the units keep every record until HQ acknowledges it and
      // send it again, so HQ needs no broker-side queue (and shared subscriptions restored from a
      // broker's persistence are unreliable on some brokers, Mosquitto 2.0 among them).
      clean: true,
      reconnectPeriod: 500,
      ...(o.ca ? { ca: readFileSync(o.ca) } : {}),
      ...(o.cert ? { cert: readFileSync(o.cert) } : {}),
      ...(o.key ? { key: readFileSync(o.key) } : {}),
      rejectUnauthorized: true,
      ...(o.username ? { username: o.username, password: o.password } : {}),
    };
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => o.log?.warn({ err: err.message }, 'hq sink link error'));
    const consume = o.consume ?? true;
    client.on('connect', () => {
      if (consume) client.subscribe(hqSubscriptions(o.group ?? 'hq', o.agency ?? '+'), { qos: 1 });
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`hq sink could not connect to ${o.url}`)), 15_000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
    // Wait for the SUBACK so the caller knows records will be received.
    if (consume) await client.subscribeAsync(hqSubscriptions(o.group ?? 'hq', o.agency ?? '+'), { qos: 1 });
    this.flushTimer = setInterval(() => this.flush(), this.opts.flushMs ?? 50);
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.stats.received++;
    const t = parseTopic(topic);
    try {
      if (!t) throw new Error('not an lpr/v1 topic');
      // The broker lets a unit publish on its own topics only: what a message says about whose it
      // is must agree with its topic, or one unit could speak for another.
      const ownTopic = <M extends { agency: string; unit: string }>(what: string, m: M): M => {
        if (m.agency !== t.agency || m.unit !== t.unit)
          throw new Error(`${what} of ${m.agency}/${m.unit} on ${topic}: not its topic`);
        return m;
      };
      if (t.channel === 'status') {
        this.write({ status: ownTopic('status', statusSchema.parse(parseJson(payload))), topic, payload });
        return;
      }
      if (t.channel === 'up' && t.kind === 'pull-response') {
        const answer = ownTopic('pull answer', pullResponseSchema.parse(parseJson(payload)));
        this.write({ answer, topic, payload });
        return;
      }
      const { json, images } = decodeRecord(payload);
      const m = upMessageSchema.parse(json);
      if (m.agency !== t.agency || m.unit !== t.unit || m.kind !== t.kind) {
        throw new Error(`message ${m.id} does not match its topic ${topic}`);
      }
      const body = { ...(m.body as Record<string, unknown>) };
      delete body.crop;
      delete body.overview;
      this.pending.push({
        id: m.id,
        agency: m.agency,
        unit: m.unit,
        kind: m.kind,
        install: m.install ?? null,
        seq: m.seq,
        sentAt: m.sentAt,
        body: JSON.stringify(body),
        crop: images.crop ?? null,
        overview: images.overview ?? null,
      });
      if (this.pending.length >= 1000) this.flush();
    } catch (err) {
      this.stats.invalid++;
      const reason = (err as Error).message.slice(0, 500);
      // A record HQ cannot store would be sent again forever, holding a slot of the unit's window
      // and never becoming eligible for its retention: keep it as it came, for review, and
      // acknowledge it. Only a message without a readable id is dropped.
      const id = t?.channel === 'up' ? messageIdOf(payload) : undefined;
      if (t && id)
        this.quarantine.push({ id, agency: t.agency, unit: t.unit, topic, reason, payload, ack: true });
      this.opts.log?.error(
        { topic, err: reason },
        id ? 'hq sink: invalid record quarantined' : 'hq sink: invalid message dropped',
      );
      // The unit did answer: a pull waiting for it fails now with why, not later with "no answer"
      // (and a resend would bring the same answer).
      const requestId = t?.channel === 'up' && t.kind === 'pull-response' ? requestIdOf(payload) : undefined;
      if (t && requestId)
        this.waiters.get(answerKey(t.agency, t.unit, requestId))?.(
          new Error(
            `the answer from ${t.agency}/${t.unit} to pull request ${requestId} is invalid: ${reason}`,
          ),
        );
    }
  }

  /** Write a status or pull-answer message now, or (behind others not yet written) at the next flush. */
  private write(item: Unwritten): void {
    this.unwritten.push(item);
    // With others waiting, the flush timer writes it after them: a status compared with the one
    // held must come after those that arrived before it.
    if (this.unwritten.length === 1) this.writeUnwritten();
  }

  /**
   * Write the waiting statuses and pull-answer messages in order, up to the first that meets a
   * locked database. One whose write fails for any other reason (a constraint or trigger of HQ's,
   * a held row it cannot read) would fail at every flush and hold back every unit's status behind
   * it: it is quarantined instead, and the ones behind it are written.
   */
  private writeUnwritten(): void {
    while (this.unwritten.length > 0) {
      const item = this.unwritten[0]!;
      const what = 'status' in item ? 'status' : 'pull answer';
      try {
        if ('status' in item) this.keepStatus(item.status);
        else {
          const r = this.keepPullResponse(item.answer);
          if (r.complete) this.waiters.get(answerKey(r.agency, r.unit, r.requestId))?.(r);
        }
      } catch (err) {
        const reason = (err as Error).message.slice(0, 500);
        if (isTransient(err)) {
          this.opts.log?.error(
            { err: reason, waiting: this.unwritten.length },
            `hq sink: ${what} not written; trying again`,
          );
          return;
        }
        const m = 'status' in item ? item.status : item.answer;
        const id =
          'status' in item
            ? `status:${m.agency}/${m.unit}:${randomUUID()}`
            : `pull-response:${m.agency}/${m.unit}:${item.answer.requestId}:${item.answer.repeat ?? 0}:${item.answer.part}`;
        this.quarantine.push({
          id,
          agency: m.agency,
          unit: m.unit,
          topic: item.topic,
          reason,
          payload: item.payload,
          ack: false,
        });
        this.opts.log?.error(
          { topic: item.topic, id, err: reason },
          `hq sink: ${what} not writable; quarantined`,
        );
        if ('answer' in item)
          this.waiters.get(answerKey(m.agency, m.unit, item.answer.requestId))?.(
            new Error(
              `the answer to pull request ${item.answer.requestId} could not be stored (quarantined as ${id}): ${reason}`,
            ),
          );
      }
      this.unwritten.shift();
    }
  }

  /**
   * Keep a unit's newest status (see `replacesStatus`). Read, compare and write in one immediate
   * transaction: consumers sharing the database take turns, so "arrived later" is commit order.
   */
  private keepStatus(s: Status): void {
    this.db
      .transaction(() => {
        const held = this.db
          .prepare('SELECT payload FROM unit_status WHERE agency = ? AND unit = ?')
          .pluck()
          .get(s.agency, s.unit) as string | undefined;
        if (held !== undefined && !replacesStatus(s, JSON.parse(held) as Status)) return;
        this.db
          .prepare(
            `INSERT INTO unit_status (agency, unit, state, ts, payload) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (agency, unit) DO UPDATE SET state = excluded.state, ts = excluded.ts, payload = excluded.payload`,
          )
          .run(s.agency, s.unit, s.state, s.ts, JSON.stringify(s));
      })
      .immediate();
  }

  /** Commit what arrived, then acknowledge it to each unit (one signed ack message per unit). */
  flush(): void {
    this.writeUnwritten();
    if (this.pending.length === 0 && this.quarantine.length === 0) return;
    const batch = this.pending;
    const quarantined = this.quarantine;
    this.pending = [];
    this.quarantine = [];
    const receivedAt = Date.now();
    const acks = new Map<string, string[]>();
    const ack = (p: { agency: string; unit: string; id: string }) => {
      const key = `${p.agency}/${p.unit}`;
      const list = acks.get(key);
      if (list) list.push(p.id);
      else acks.set(key, [p.id]);
    };
    try {
      this.store(batch, quarantined, receivedAt, ack);
    } catch (err) {
      if (!isTransient(err)) this.storeEach(batch, quarantined, receivedAt, ack);
      else this.keepForNextFlush(batch, quarantined, err);
    }
    this.sendAcks(acks);
  }

  /**
   * Another consumer sharing the database held it past the busy timeout, or the disk is full:
   * nothing committed, so nothing is acknowledged. Kept for the next flush (thrown from the flush
   * timer, it ended the process); the units send them again anyway if this one dies.
   */
  private keepForNextFlush(batch: Pending[], quarantined: Quarantined[], err: unknown): void {
    this.pending = [...batch, ...this.pending];
    this.quarantine = [...quarantined, ...this.quarantine];
    this.opts.log?.error(
      { err: (err as Error).message, records: batch.length + quarantined.length },
      'hq sink: records not committed; trying again',
    );
  }

  /**
   * A batch failed for another reason than a lock or a full disk: one of its records can never be
   * written (a constraint or trigger of HQ's database). Tried again as a whole, it failed at every
   * flush and held back every unit's records. Each on its own, then: one that fails so is kept raw
   * in quarantine and acknowledged, as an invalid record is; the others are stored.
   */
  private storeEach(
    batch: Pending[],
    quarantined: Quarantined[],
    receivedAt: number,
    ack: (p: { agency: string; unit: string; id: string }) => void,
  ): void {
    for (const [i, p] of batch.entries()) {
      try {
        this.store([p], [], receivedAt, ack);
      } catch (err) {
        if (isTransient(err)) return this.keepForNextFlush(batch.slice(i), quarantined, err);
        const reason = (err as Error).message.slice(0, 500);
        this.opts.log?.error({ id: p.id, err: reason }, 'hq sink: record not writable; quarantined');
        this.quarantine.push({
          id: p.id,
          agency: p.agency,
          unit: p.unit,
          topic: new Topics(p.agency, p.unit).up(p.kind as UpKind),
          reason,
          payload: rawRecord(p),
          ack: true,
        });
      }
    }
    for (const [i, q] of quarantined.entries()) {
      try {
        this.store([], [q], receivedAt, ack);
      } catch (err) {
        if (isTransient(err)) return this.keepForNextFlush([], quarantined.slice(i), err);
        // Not even kept aside: not acknowledged, so the unit keeps the record and sends it again.
        const reason = (err as Error).message.slice(0, 500);
        this.opts.log?.error({ id: q.id, topic: q.topic, err: reason }, 'hq sink: quarantine not writable');
      }
    }
  }

  /** One signed ack message per unit (chunked) for what was committed. */
  private sendAcks(acks: Map<string, string[]>): void {
    for (const [key, ids] of acks) {
      const [agency, unit] = key.split('/') as [string, string];
      const topic = new Topics(agency, unit).ack();
      for (let i = 0; i < ids.length; i += 5000) {
        const chunk = ids.slice(i, i + 5000);
        const ack: Ack = { v: 1, type: 'ack', agency, unit, ids: chunk, ts: Date.now() };
        this.client?.publish(topic, this.sign(ack), { qos: 1 });
        this.stats.acksSent++;
      }
    }
  }

  /** The batch in one transaction: every record stored (and passed to `ack`), or none. */
  private store(
    batch: Pending[],
    quarantined: Quarantined[],
    receivedAt: number,
    ack: (p: { agency: string; unit: string; id: string }) => void,
  ): void {
    let stored = 0;
    const reused: Pending[] = [];
    this.db.transaction(() => {
      const keep = this.db.prepare('INSERT OR IGNORE INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const p of batch) {
        const added = this.insert.run({ ...p, receivedAt }).changes;
        stored += added;
        if (added === 1 || !NUMBERED_KINDS.has(p.kind) || this.heldBody.get(p.id) === p.body) continue;
        // Not a resend: another record under a used id (see NUMBERED_KINDS). Acknowledged as a
        // duplicate, the unit would take it as held here, and it would be nowhere.
        reused.push(p);
        const topic = new Topics(p.agency, p.unit).up(p.kind as UpKind);
        keep.run(p.id, p.agency, p.unit, topic, REUSED_ID, receivedAt, rawRecord(p));
      }
      for (const q of quarantined) keep.run(q.id, q.agency, q.unit, q.topic, q.reason, receivedAt, q.payload);
    })();
    for (const p of reused)
      this.opts.log?.error({ id: p.id, unit: p.unit, kind: p.kind }, `hq sink: ${REUSED_ID}; quarantined`);
    // Only once committed: a batch that fails may be stored record by record (storeEach).
    // Duplicates are acknowledged too: the unit evidently did not get the earlier ack.
    for (const p of batch) ack(p);
    for (const q of quarantined) if (q.ack) ack(q);
    // Counted once committed: a batch rolled back is counted when it is stored.
    this.stats.stored += stored;
    this.stats.duplicates += batch.length - stored - reused.length;
  }

  count(kind?: string): number {
    const sql = kind ? 'SELECT COUNT(*) FROM records WHERE kind = ?' : 'SELECT COUNT(*) FROM records';
    return this.db
      .prepare(sql)
      .pluck()
      .get(...(kind ? [kind] : [])) as number;
  }

  private sign(doc: unknown): string {
    if (!this.signingKey) throw new Error('hq sink has no signing key');
    return JSON.stringify(signDocument(doc, this.signingKey, this.opts.signingKeyId));
  }

  /**
   * Publish a signed hotlist to one unit, or (retained, full lists only, one topic per list) to
   * the whole agency fleet.
   */
  async publishHotlist(doc: HotlistDocument, target: { unit?: string } = {}): Promise<void> {
    const topics = new Topics(doc.agency, target.unit ?? FLEET);
    if (target.unit) return this.publishSigned(topics.down('hotlist'), false, this.sign(doc));
    if (doc.kind !== 'full')
      throw new Error('a delta goes to one unit (target.unit); fleet topics carry full lists');
    await this.publishSigned(topics.fleetHotlist(doc.listId), true, this.sign(doc));
  }

  async publishRoster(doc: RosterDocument, target: { unit?: string } = {}): Promise<void> {
    const topics = new Topics(doc.agency, target.unit ?? FLEET);
    await this.publishSigned(
      target.unit ? topics.down('roster') : topics.fleetRoster(),
      !target.unit,
      this.sign(doc),
    );
  }

  /** Publish raw bytes on a down topic (tests use this for forged and malformed messages). */
  async publishRaw(agency: string, unit: string, kind: string, payload: Buffer | string): Promise<void> {
    await this.client!.publishAsync(`${ROOT}/${agency}/${unit}/down/${kind}`, payload, { qos: 1 });
  }

  /** Fleet-wide documents are retained so every unit gets the current ones when it connects. */
  private async publishSigned(topic: string, retain: boolean, payload: string): Promise<void> {
    await this.client!.publishAsync(topic, payload, { qos: 1, retain });
  }

  /**
   * Store a message of an answer to a pull request. A large answer comes in parts (each may reach
   * another consumer of the group: they meet in the database), and the same request may be
   * answered more than once (HQ sent it again; each message arrives here twice when `pull` listens
   * besides the shared subscription): all are merged, each read kept once, so repeats add nothing
   * twice. Returns what is stored.
   */
  private keepPullResponse(r: PullResponse): PullAnswer {
    return this.db.transaction(() => {
      const { part, parts, ...message } = r;
      const key = [r.agency, r.unit, r.requestId] as const;
      this.db
        .prepare(
          'INSERT OR IGNORE INTO pull_response_parts (agency, unit, request_id, answer, part, parts) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(...key, r.repeat ?? 0, part, parts);
      const complete =
        this.db
          .prepare(
            `SELECT 1 FROM pull_response_parts WHERE agency = ? AND unit = ? AND request_id = ?
             GROUP BY answer HAVING COUNT(*) = MAX(parts)`,
          )
          .get(...key) !== undefined;
      const prior = this.db
        .prepare('SELECT payload FROM pull_responses WHERE agency = ? AND unit = ? AND request_id = ?')
        .pluck()
        .get(...key) as string | undefined;
      let kept: PullAnswer = { ...message, count: r.reads.length, complete };
      if (prior) {
        const first = JSON.parse(prior) as PullAnswer;
        const have = new Set(first.reads.map((read) => read.id));
        const reads = [...first.reads, ...r.reads.filter((read) => !have.has(read.id))];
        kept = { ...first, reads, count: reads.length, truncated: first.truncated || r.truncated, complete };
      }
      this.db
        .prepare(
          `INSERT INTO pull_responses (agency, unit, request_id, status, count, received_at, payload)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (agency, unit, request_id) DO UPDATE SET count = excluded.count, payload = excluded.payload`,
        )
        .run(...key, kept.status, kept.count, Date.now(), JSON.stringify(kept));
      return kept;
    })();
  }

  /** Which parts of the most nearly complete answer to a request have arrived ("parts 1, 3 of 5"). */
  private partsArrived(agency: string, unit: string, requestId: string): string | undefined {
    const best = this.db
      .prepare(
        `SELECT group_concat(part, ', ') AS arrived, MAX(parts) AS parts FROM
           (SELECT * FROM pull_response_parts WHERE agency = ? AND unit = ? AND request_id = ? ORDER BY part)
         GROUP BY answer ORDER BY COUNT(*) DESC LIMIT 1`,
      )
      .get(agency, unit, requestId) as { arrived: string; parts: number } | undefined;
    return best && `parts ${best.arrived} of ${best.parts}`;
  }

  /**
   * Send a pull request to a unit and wait for its whole answer (every part of it). The request
   * is signed once; with no answer within `resendMs` the very same message is sent again (a unit
   * without a session at the broker, offline, never got it; or its answer, or a part of it, was
   * lost: the unit answers a repeated requestId with its first answer's reads), at most `attempts`
   * times in all.
   */
  async pull(
    agency: string,
    unit: string,
    request: Omit<
      PullRequest,
      'v' | 'requestId' | 'includeCrops' | 'agency' | 'unit' | 'issuedAt' | 'acceptsParts'
    > & {
      requestId?: string;
      includeCrops?: boolean;
    },
    opts: PullOptions = {},
  ): Promise<PullAnswer> {
    const resendMs = opts.resendMs ?? 35_000;
    const attempts = opts.attempts ?? 4;
    const requestId = request.requestId ?? randomUUID();
    const topics = new Topics(agency, unit);
    const responseTopic = topics.up('pull-response');
    // Listen directly as well: with a shared subscription the answer may go to another consumer.
    await this.client!.subscribeAsync(responseTopic, { qos: 1 });
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = new Promise<PullAnswer | Error>((resolve) =>
        this.waiters.set(answerKey(agency, unit, requestId), resolve),
      );
      // acceptsParts: this sink puts an answer's parts together (a unit sends an HQ that does not
      // say so at most one message, cut to the reads it holds).
      const signed = this.sign({
        v: 1,
        ...request,
        requestId,
        agency,
        unit,
        issuedAt: Date.now(),
        acceptsParts: true,
      });
      for (let sent = 1; ; sent++) {
        await this.client!.publishAsync(topics.down('pull'), signed, { qos: 1 });
        const waited = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), resendMs);
        });
        const r = await Promise.race([answer, waited]);
        clearTimeout(timer);
        if (r instanceof Error) throw r;
        if (r) return r;
        if (sent >= attempts) {
          const arrived = this.partsArrived(agency, unit, requestId);
          throw new Error(
            `${arrived ? `incomplete answer (${arrived} arrived)` : 'no answer'} to pull request ${requestId} (sent ${sent} times, ${resendMs / 1000} s apart)`,
          );
        }
        this.opts.log?.info({ requestId, unit, sent }, 'no answer to the pull request yet; sending it again');
      }
    } finally {
      clearTimeout(timer);
      this.waiters.delete(answerKey(agency, unit, requestId));
      await this.client?.unsubscribeAsync(responseTopic).catch(() => {});
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    this.flush();
    // A hung or vanished broker must not keep HQ from stopping (hq-sink run ignoring SIGTERM).
    if (this.client) await endMqttClient(this.client, 3000);
    this.db.close();
  }
}

/**
 * Whether status `next`, just received, replaces `held`, the one HQ keeps for the unit. Never by
 * the unit's wall clock (`ts`), which NTP or the GPS steps, often backwards, after boot:
 * - the same boot (`bootId`): by connection, then the last will (it ends its connection, after
 *   every status sent over it), then `seq`; a copy of the status held (QoS 1 redelivery) changes
 *   nothing;
 * - another boot: the later arrival wins. The broker delivers one publisher's messages on a topic
 *   in the order it received them, and a new boot's connection (same client id) begins after the
 *   old one ended, its will published when it ended (on the keepalive timeout, or on the new
 *   connection taking the session over).
 * Units older than `bootId` are ordered by `ts`, their will applied whatever its `ts`.
 */
export function replacesStatus(next: Status, held: Status): boolean {
  if (next.bootId === undefined && held.bootId === undefined) return next.will === true || next.ts >= held.ts;
  if (next.bootId !== held.bootId) return true;
  const key = (s: Status) => [s.connection ?? 0, s.will ? 1 : 0, s.will ? 0 : (s.seq ?? 0)];
  const [a, b] = [key(next), key(held)];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

/**
 * Whether a write that failed is to be tried again: another consumer sharing the database holds
 * its lock, or the database itself cannot be written now (disk full, read-only, I/O error), which
 * is no fault of the message and the operator puts right. Anything else (a constraint or trigger,
 * a row that cannot be read) fails the same way for that message every time.
 */
function isTransient(err: unknown): boolean {
  return (
    err instanceof Database.SqliteError && /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN)/.test(err.code)
  );
}

/** A pull waiting for its answer: the unit's answer to its request id, not another unit's. */
function answerKey(agency: string, unit: string, requestId: string): string {
  return `${agency}/${unit}/${requestId}`;
}

/** A record taken apart for `records`, whole again: as a unit sends it base64-encoded. */
function rawRecord(p: Pending): Buffer {
  const { id, kind, agency, unit, seq, install, sentAt } = p;
  const body = JSON.parse(p.body) as Record<string, unknown>;
  const message = {
    v: 1,
    id,
    kind,
    agency,
    unit,
    seq,
    ...(install !== null ? { install } : {}),
    sentAt,
    body,
  };
  const images = { ...(p.crop ? { crop: p.crop } : {}), ...(p.overview ? { overview: p.overview } : {}) };
  return encodeRecord(message, images, 'base64');
}

/** The request id a pull answer names, if it can be read at all. */
function requestIdOf(payload: Buffer): string | undefined {
  try {
    const requestId = (parseJson(payload) as { requestId?: unknown } | null)?.requestId;
    return typeof requestId === 'string' ? requestId : undefined;
  } catch {
    return undefined;
  }
}

/** The message id of an up-link record, if its envelope can be read at all. */
function messageIdOf(payload: Buffer): string | undefined {
  try {
    const { json } = decodeRecord(payload);
    const id = (json as { id?: unknown }).id;
    return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
  } catch {
    return undefined;
  }
}
