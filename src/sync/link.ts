import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import { readConfiguredFile } from '../util/input-file.js';
import { endMqttClient } from '../util/mqtt-end.js';
import { describeLinkError, type LinkFailure } from './link-errors.js';

export interface LinkOptions {
  url: string;
  clientId: string;
  protocolVersion: 5 | 4;
  /** PEM paths. */
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  keepaliveSec: number;
  sessionExpirySec: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** Topics to subscribe (QoS 1) on every connect. */
  subscriptions: string[];
  /**
   * Retained last will: the broker publishes it if the link dies without a clean stop. Called for
   * every connection attempt (the first, each reconnect, the fall back to 3.1.1), as the will is
   * fixed when a connection is made and each connection's will names that connection.
   */
  will: () => { topic: string; payload: Buffer };
  log: Logger;
}

type LinkEvents = {
  connect: [{ sessionPresent: boolean; protocolVersion: 5 | 4 }];
  disconnect: [];
  message: [topic: string, payload: Buffer];
};

/** CONNACK codes meaning "this broker does not speak that protocol version" (3.1.1: 1, v5: 0x84). */
const UNSUPPORTED_PROTOCOL = new Set([1, 0x84]);

/** Full jitter: a random delay in [0, min(max, initial * 2^attempt)], so a fleet never reconnects in step. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(50, Math.floor(random() * cap));
}

/**
 * The MQTT connection to headquarters: mutual TLS with a pinned CA, persistent session (the broker
 * keeps our subscriptions and queues acks and requests while we are away), jittered reconnect,
 * retained last will, and a fall back to MQTT 3.1.1 if the broker refuses v5.
 */
export class MqttLink extends EventEmitter<LinkEvents> {
  private client?: MqttClient;
  private protocolVersion: 5 | 4;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private readonly tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'>;
  /** The Maximum Packet Size the broker announced in this connection's CONNACK (MQTT 5 only). */
  private brokerMaxPacket?: number;
  /** What ended the last attempt, until a connection is made (shown in /healthz). */
  private failure: LinkFailure | null = null;
  /** mqtt.js may report one failed attempt more than once (the TLS error, then the closed stream). */
  private attemptFailed = false;
  readonly stats = { connects: 0, disconnects: 0, fallbacks: 0 };

  constructor(private readonly opts: LinkOptions) {
    super();
    this.protocolVersion = opts.protocolVersion;
    // Read the PEM files once, at start: a missing file is a config error, not a reconnect loop.
    this.tls = {
      ...(opts.ca ? { ca: readConfiguredFile(opts.ca, 'sync.ca') } : {}),
      ...(opts.cert ? { cert: readConfiguredFile(opts.cert, 'sync.cert') } : {}),
      ...(opts.key ? { key: readConfiguredFile(opts.key, 'sync.key') } : {}),
    };
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Why the last connection attempt failed, with the config key to check; null once connected. */
  get lastFailure(): LinkFailure | null {
    return this.failure;
  }

  get version(): 5 | 4 {
    return this.protocolVersion;
  }

  /**
   * The largest packet the broker accepts, when it said so (an MQTT 5 CONNACK may carry it; 3.1.1
   * has no way to). It drops the connection of a client sending anything larger.
   */
  get maxPacketBytes(): number | undefined {
    return this.brokerMaxPacket;
  }

  start(): void {
    this.stopping = false;
    this.open();
  }

  private clientOptions(): IClientOptions {
    const o = this.opts;
    return {
      clientId: o.clientId,
      protocolVersion: this.protocolVersion,
      // Persistent session: 3.1.1 uses clean=false; v5 uses clean start=false plus an expiry.
      clean: false,
      ...(this.protocolVersion === 5 ? { properties: { sessionExpiryInterval: o.sessionExpirySec } } : {}),
      keepalive: o.keepaliveSec,
      // We schedule reconnects ourselves, with jitter.
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      ...this.tls,
      // Pinned CA: only a broker certificate that chains to `ca` is accepted.
      rejectUnauthorized: true,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password ? { password: o.password } : {}),
      will: this.will(),
      resubscribe: false,
    };
  }

  private will(): NonNullable<IClientOptions['will']> {
    const { topic, payload } = this.opts.will();
    return { topic, payload, qos: 1, retain: true };
  }

  private open(): void {
    this.attemptFailed = false;
    const client = mqtt.connect(this.opts.url, this.clientOptions());
    this.client = client;
    client.on('connect', (connack) => {
      this.attempt = 0;
      this.failure = null;
      this.stats.connects++;
      // Per connection: a reconnect may reach another cluster node, configured otherwise.
      this.brokerMaxPacket = connack.properties?.maximumPacketSize;
      this.opts.log.info(
        {
          broker: this.opts.url,
          protocolVersion: this.protocolVersion,
          sessionPresent: connack.sessionPresent,
          ...(this.brokerMaxPacket !== undefined ? { brokerMaxPacketBytes: this.brokerMaxPacket } : {}),
        },
        'sync link connected',
      );
      // Subscribe every time: cheap, and correct even if the broker lost the session.
      client.subscribe(this.opts.subscriptions, { qos: 1 }, (err) => {
        if (err && !this.stopping) this.opts.log.error({ err: err.message }, 'sync subscribe failed');
      });
      this.emit('connect', { sessionPresent: connack.sessionPresent, protocolVersion: this.protocolVersion });
    });
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (this.protocolVersion === 5 && typeof code === 'number' && UNSUPPORTED_PROTOCOL.has(code)) {
        this.opts.log.warn({ broker: this.opts.url }, 'broker refused MQTT 5; falling back to MQTT 3.1.1');
        this.protocolVersion = 4;
        this.stats.fallbacks++;
        this.replaceClient(0);
        return;
      }
      // The first error of an attempt says why it failed; what follows is its consequence.
      if (this.attemptFailed) return;
      this.attemptFailed = true;
      this.failure = describeLinkError(err);
      const { check } = this.failure;
      this.opts.log.warn({ err: err.message, code, ...(check ? { check } : {}) }, 'sync link error');
    });
    client.on('close', () => {
      if (client !== this.client) return;
      if (this.stats.connects > 0) this.stats.disconnects++;
      this.emit('disconnect');
      if (!this.stopping) this.scheduleReconnect();
    });
  }

  private replaceClient(delayMs: number): void {
    const old = this.client;
    this.client = undefined;
    old?.removeAllListeners();
    old?.on('error', () => {});
    old?.end(true);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) this.open();
    }, delayMs);
  }

  private scheduleReconnect(): void {
    if (this.timer) return; // one pending reconnect at a time
    const delay = backoffDelay(this.attempt++, this.opts.reconnectInitialMs, this.opts.reconnectMaxMs);
    this.opts.log.debug({ delayMs: delay, attempt: this.attempt }, 'sync link reconnect scheduled');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping || !this.client) return;
      // mqtt.js builds each CONNECT from its options: the reconnect carries a will of its own.
      this.client.options.will = this.will();
      this.attemptFailed = false;
      this.client.reconnect();
    }, delay);
  }

  /** Publish and wait for the broker's PUBACK (QoS 1). Rejects if the link is down. */
  publish(topic: string, payload: Buffer | string, opts: IClientPublishOptions = { qos: 1 }): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('sync link is not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, opts, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Publish `finalMessage` (the offline status) and disconnect cleanly: the will is not sent. */
  async stop(finalMessage?: { topic: string; payload: Buffer }): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const client = this.client;
    if (!client) return;
    if (finalMessage && client.connected) {
      await Promise.race([
        this.publish(finalMessage.topic, finalMessage.payload, { qos: 1, retain: true }).catch(() => {}),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    }
    await endMqttClient(client, 3000);
    client.removeAllListeners();
    this.client = undefined;
  }
}
