/**
 * The topic tree, versioned so a v2 protocol can run beside v1 on the same broker:
 *
 *   lpr/v1/{agency}/{unit}/status            unit → HQ   retained; the last will sets it offline
 *   lpr/v1/{agency}/{unit}/up/{kind}         unit → HQ   outbox records (read, hit, disposition, audit, query-log)
 *   lpr/v1/{agency}/{unit}/up/pull-response  unit → HQ   answer to a pull request
 *   lpr/v1/{agency}/{unit}/ack               HQ → unit   batched application-level acknowledgements
 *   lpr/v1/{agency}/{unit}/down/{kind}       HQ → unit   hotlist, roster, pull (addressed to one unit)
 *   lpr/v1/{agency}/fleet/down/hotlist/{listId}
 *                                            HQ → all    one full hotlist per topic (retained: a unit
 *                                                          gets every current list each time it connects)
 *   lpr/v1/{agency}/fleet/down/roster        HQ → all    the roster (retained)
 *
 * Agency and unit ids are restricted by the config schema to [A-Za-z0-9_-], so they can never
 * contain the MQTT wildcards or separators.
 */
export const PROTOCOL_VERSION = 'v1';
export const ROOT = `lpr/${PROTOCOL_VERSION}`;
/** The pseudo-unit used for fleet-wide down-link topics (a unit may not be named this). */
export const FLEET = 'fleet';

export const UP_KINDS = ['read', 'hit', 'disposition', 'audit', 'query-log'] as const;
export type UpKind = (typeof UP_KINDS)[number];
export const DOWN_KINDS = ['hotlist', 'roster', 'pull'] as const;
export type DownKind = (typeof DOWN_KINDS)[number];

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function check(segment: string, what: string): string {
  if (!SEGMENT.test(segment)) throw new Error(`${what} "${segment}" is not a valid topic segment`);
  return segment;
}

export class Topics {
  readonly base: string;
  readonly fleetBase: string;

  constructor(
    readonly agency: string,
    readonly unit: string,
  ) {
    this.base = `${ROOT}/${check(agency, 'agency')}/${check(unit, 'unit')}`;
    this.fleetBase = `${ROOT}/${agency}/${FLEET}`;
  }

  status(): string {
    return `${this.base}/status`;
  }
  up(kind: UpKind | 'pull-response'): string {
    return `${this.base}/up/${kind}`;
  }
  ack(): string {
    return `${this.base}/ack`;
  }
  down(kind: DownKind): string {
    return `${this.base}/down/${kind}`;
  }
  /** One topic per list: a broker retains one message per topic, and a fleet has several lists. */
  fleetHotlist(listId: string): string {
    return `${this.fleetBase}/down/hotlist/${check(listId, 'list id')}`;
  }
  fleetRoster(): string {
    return `${this.fleetBase}/down/roster`;
  }
  /** What the unit subscribes to. */
  subscriptions(): string[] {
    return [
      this.ack(),
      `${this.base}/down/+`,
      `${this.fleetBase}/down/roster`,
      `${this.fleetBase}/down/hotlist/+`,
    ];
  }
}

export interface ParsedTopic {
  agency: string;
  unit: string;
  /** 'status' | 'ack' | 'up' | 'down' */
  channel: string;
  kind?: string;
  /** The list a fleet hotlist topic carries (…/fleet/down/hotlist/{listId}). */
  listId?: string;
}

/** Split a v1 topic; undefined if it is not one of ours. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'lpr' || parts[1] !== PROTOCOL_VERSION) return undefined;
  const [, , agency, unit, channel, kind, listId] = parts;
  if (!agency || !unit || !channel || parts.length > 7) return undefined;
  if (!SEGMENT.test(agency) || !SEGMENT.test(unit)) return undefined;
  if ((channel === 'up' || channel === 'down') && !kind) return undefined;
  if (listId === undefined) return { agency, unit, channel, kind };
  if (unit !== FLEET || channel !== 'down' || kind !== 'hotlist' || !SEGMENT.test(listId)) return undefined;
  return { agency, unit, channel, kind, listId };
}

/** Shared-subscription filters for a headquarters consumer group (MQTT 5 `$share`). */
export function hqSubscriptions(group: string, agency = '+'): string[] {
  return [`$share/${group}/${ROOT}/${agency}/+/up/+`, `$share/${group}/${ROOT}/${agency}/+/status`];
}
