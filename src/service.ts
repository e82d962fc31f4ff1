/**
 * A long-running part of the daemon (a camera pipeline, the console server, the MQTT link, GPS).
 * The daemon starts services in order and stops them in reverse.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Health for /healthz, the status topic and selftest. */
  health?(): Record<string, unknown>;
}
