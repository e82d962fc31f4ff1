import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildAsyncApi } from '../src/sync/asyncapi.js';
import { ackSchema } from '../src/sync/schemas.js';
import { Topics } from '../src/sync/topics.js';

// The topic table of docs/sync.md is what an HQ integrator reads first: every topic, its
// direction, QoS and retain flag must be the AsyncAPI document's (generated from the code), and
// the unit's own subscriptions must cover every HQ → unit topic of it.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Row {
  topic: string;
  direction: string;
  qos: number;
  retain: boolean;
}

function docTopics(): Row[] {
  const md = readFileSync(path.join(root, 'docs/sync.md'), 'utf8');
  const section = md.slice(md.indexOf('## Topics'), md.indexOf('\n## ', md.indexOf('## Topics') + 1));
  return section
    .split('\n')
    .filter((l) => /^\| `lpr\/v1\//.test(l))
    .map((l) => {
      const [topic, direction, qosRetain] = l
        .split('|')
        .slice(1, 4)
        .map((c) => c.trim());
      return {
        topic: topic!.replace(/`/g, ''),
        direction: direction!,
        qos: Number(/^(\d)/.exec(qosRetain!)?.[1]),
        retain: /retained/.test(qosRetain!),
      };
    });
}

function apiTopics(): Row[] {
  const api = buildAsyncApi() as {
    channels: Record<string, { address: string }>;
    operations: Record<
      string,
      { action: string; channel: { $ref: string }; bindings: { mqtt: { qos: number; retain: boolean } } }
    >;
  };
  return Object.values(api.operations).map((op) => {
    const address = api.channels[op.channel.$ref.split('/').pop()!]!.address;
    return {
      topic: address.replace('{agency}', '{a}').replace('{unit}', '{u}'),
      direction:
        op.action === 'send' ? 'unit → HQ' : address.includes('/fleet/') ? 'HQ → all units' : 'HQ → unit',
      qos: op.bindings.mqtt.qos,
      retain: op.bindings.mqtt.retain,
    };
  });
}

describe('docs/sync.md topic table', () => {
  it('lists exactly the AsyncAPI channels, with their direction, QoS and retain flag', () => {
    const byTopic = (a: Row, b: Row) => a.topic.localeCompare(b.topic);
    const doc = docTopics();
    expect(doc.length).toBeGreaterThan(10);
    expect(doc.sort(byTopic)).toEqual(apiTopics().sort(byTopic));
  });

  it('every HQ → unit topic is one the unit subscribes to', () => {
    const t = new Topics('nyspd', 'car-1');
    const filters = t.subscriptions().map((f) => new RegExp(`^${f.replace(/\+/g, '[^/]+')}$`));
    for (const row of docTopics().filter((r) => r.direction.startsWith('HQ'))) {
      const topic = row.topic.replace('{a}', 'nyspd').replace('{u}', 'car-1').replace('{listId}', 'ncic');
      expect(
        filters.some((f) => f.test(topic)),
        topic,
      ).toBe(true);
    }
  });
});

describe('docs/sync.md on acks', () => {
  it('states how many ids one ack may carry, as the unit checks it (more: the whole ack is rejected)', () => {
    const md = readFileSync(path.join(root, 'docs/sync.md'), 'utf8');
    const stated = /`ids`: 1 to ([\d,]+) message ids/.exec(md)?.[1];
    expect(stated, 'docs/sync.md names the limit').toBeDefined();
    const probe = (n: number) =>
      ackSchema.safeParse({
        v: 1,
        type: 'ack',
        agency: 'a',
        unit: 'u',
        ids: Array.from({ length: n }, (_, i) => `u:read:${i}`),
      }).success;
    const max = Number(stated!.replace(/,/g, ''));
    expect([probe(max), probe(max + 1)]).toEqual([true, false]);
  });
});

describe('AsyncAPI messages shared by a unit channel and a fleet channel', () => {
  it('do not describe themselves as for one unit only', () => {
    const api = buildAsyncApi() as {
      channels: Record<string, { address: string; messages: Record<string, unknown> }>;
      components: { messages: Record<string, { summary: string }> };
    };
    const fleet = Object.values(api.channels).filter((c) => c.address.includes('/fleet/'));
    expect(fleet.length).toBeGreaterThan(0);
    for (const name of fleet.flatMap((c) => Object.keys(c.messages)))
      expect(api.components.messages[name]!.summary, name).not.toMatch(/for this unit/);
  });
});
