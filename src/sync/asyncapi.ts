import { z } from 'zod';
import { stringify } from 'yaml';
import {
  ackSchema,
  hotlistDocumentSchema,
  pullRequestSchema,
  pullResponseSchema,
  rosterDocumentSchema,
  signedEnvelopeSchema,
  statusSchema,
  upMessageSchemas,
} from './schemas.js';
import { FRAME_CONTENT_TYPE, JSON_CONTENT_TYPE } from './message-size.js';
import { FLEET, PROTOCOL_VERSION, UP_KINDS } from './topics.js';

/**
 * The AsyncAPI 3 document of the unit ↔ headquarters protocol, generated from the zod schemas in
 * schemas.ts (so the document cannot drift from the code). It is written from the unit's point
 * of view: `send` is unit → HQ, `receive` is HQ → unit. `node scripts/gen-asyncapi.mjs` writes
 * docs/asyncapi.yaml; a test checks the committed file equals this output.
 */

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete out.$schema;
  return out;
}

const ROOT_ADDRESS = `lpr/${PROTOCOL_VERSION}/{agency}/{unit}`;
const FLEET_ADDRESS = `lpr/${PROTOCOL_VERSION}/{agency}/${FLEET}`;
/** What each signed message's envelope carries. */
const SIGNED_CONTENT: Record<string, string> = {
  SignedHotlist: 'HotlistDocument',
  SignedRoster: 'RosterDocument',
  SignedPullRequest: 'PullRequest',
  SignedAck: 'Ack',
};
const article = (noun: string) => `${/^[AEIOU]/.test(noun) ? 'an' : 'a'} ${noun}`;
const mqttOp = (qos: 0 | 1, retain = false) => ({ mqtt: { qos, retain, bindingVersion: '0.2.0' } });

interface ChannelSpec {
  key: string;
  address: string;
  message: string;
  summary: string;
  action: 'send' | 'receive';
  retain?: boolean;
  description?: string;
  contentType?: string;
  /** The message's own summary when a fleet channel shares it (else the channel's summary). */
  messageSummary?: string;
  /** Address parameters; agency and unit unless given. */
  parameters?: string[];
  /**
   * The message as a binary frame besides JSON (reads with images, sync.imageEncoding=binary): a
   * second message of the channel, so a consumer built from the document expects both.
   */
  frame?: { message: string; summary: string };
}

export function buildAsyncApi(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    Status: jsonSchema(statusSchema),
    Ack: jsonSchema(ackSchema),
    SignedDocument: jsonSchema(signedEnvelopeSchema),
    HotlistDocument: jsonSchema(hotlistDocumentSchema),
    RosterDocument: jsonSchema(rosterDocumentSchema),
    PullRequest: jsonSchema(pullRequestSchema),
    PullResponse: jsonSchema(pullResponseSchema),
  };
  const titles: Record<string, string> = {
    read: 'ReadMessage',
    hit: 'HitMessage',
    disposition: 'DispositionMessage',
    audit: 'AuditMessage',
    'query-log': 'QueryLogMessage',
  };
  for (const kind of UP_KINDS) schemas[titles[kind]!] = jsonSchema(upMessageSchemas[kind]);

  const channels: ChannelSpec[] = [
    {
      key: 'status',
      address: `${ROOT_ADDRESS}/status`,
      message: 'Status',
      summary: 'Unit status (retained). The last will sets it offline.',
      action: 'send',
      retain: true,
    },
    ...UP_KINDS.map((kind): ChannelSpec => ({
      key: `up-${kind}`,
      address: `${ROOT_ADDRESS}/up/${kind}`,
      message: titles[kind]!,
      summary: `Outbox records of kind ${kind}, in commit order, each with a stable id. Sent again until acknowledged.`,
      action: 'send',
      ...(kind === 'read'
        ? {
            description:
              `JSON with the crop (and overview) as base64 (content type ${JSON_CONTENT_TYPE}) or, with ` +
              `sync.imageEncoding=binary, a read with images as a binary frame: ReadFrame (${FRAME_CONTENT_TYPE}). ` +
              "A read too large for the broker's maximum packet size comes without its overview, then without its " +
              'crop too, each listed in body.imagesLeftOut (the images stay on the unit).',
            frame: {
              message: 'ReadFrame',
              summary: 'A read with its images in a binary frame (sync.imageEncoding=binary).',
            },
          }
        : {}),
    })),
    {
      key: 'pull-response',
      address: `${ROOT_ADDRESS}/up/pull-response`,
      message: 'PullResponse',
      summary: 'Answer to a pull request: answered, refused (with the reason) or error.',
      action: 'send',
    },
    {
      key: 'ack',
      address: `${ROOT_ADDRESS}/ack`,
      message: 'SignedAck',
      summary:
        'Batched application-level acknowledgement: ids HQ has durably stored, signed for this unit. ' +
        'The unit takes no other (without sync.hqPublicKey, none): signed with HQ’s main key, or with an ack key ' +
        'it lists in sync.hqKeys (signs: [ack]) under the envelope’s keyId.',
      action: 'receive',
    },
    {
      key: 'down-hotlist',
      address: `${ROOT_ADDRESS}/down/hotlist`,
      message: 'SignedHotlist',
      summary: 'A signed hotlist (full or delta) for this unit.',
      messageSummary:
        'A signed hotlist: full or delta on a unit topic, full only (one list per topic, retained) on a fleet topic.',
      action: 'receive',
    },
    {
      key: 'fleet-hotlist',
      address: `${FLEET_ADDRESS}/down/hotlist/{listId}`,
      message: 'SignedHotlist',
      summary:
        'A signed full hotlist for every unit of the agency, retained: one topic per list, so a unit that ' +
        'connects gets every current list. Deltas go to one unit.',
      action: 'receive',
      retain: true,
      parameters: ['agency', 'listId'],
    },
    {
      key: 'down-roster',
      address: `${ROOT_ADDRESS}/down/roster`,
      message: 'SignedRoster',
      summary: 'The signed authorised-user roster for this unit.',
      messageSummary:
        'The signed authorised-user roster, for one unit or (retained) for every unit of the agency.',
      action: 'receive',
    },
    {
      key: 'fleet-roster',
      address: `${FLEET_ADDRESS}/down/roster`,
      message: 'SignedRoster',
      summary: 'The signed authorised-user roster for every unit of the agency, retained.',
      action: 'receive',
      retain: true,
      parameters: ['agency'],
    },
    {
      key: 'down-pull',
      address: `${ROOT_ADDRESS}/down/pull`,
      message: 'SignedPullRequest',
      summary:
        'HQ asks for reads; needs purpose, case number, requester and attestation, like an officer query.',
      action: 'receive',
    },
  ];

  const messages: Record<string, unknown> = {};
  for (const c of channels) {
    if (messages[c.message]) continue; // the unit's and the fleet's channels share a message
    const signed = c.message.startsWith('Signed');
    messages[c.message] = {
      name: c.message,
      title: c.message,
      summary: c.messageSummary ?? c.summary,
      contentType: JSON_CONTENT_TYPE,
      payload: { $ref: `#/components/schemas/${signed ? 'SignedDocument' : c.message}` },
      ...(signed
        ? {
            description: `The envelope's payload is base64 of ${article(SIGNED_CONTENT[c.message]!)} (see components.schemas), signed with headquarters' Ed25519 key.`,
          }
        : {}),
      ...(c.description ? { description: c.description } : {}),
    };
    if (c.frame) {
      messages[c.frame.message] = {
        name: c.frame.message,
        title: c.frame.message,
        summary: c.frame.summary,
        contentType: FRAME_CONTENT_TYPE,
        description:
          `"LPR1" (4 bytes) + uint32 BE length of the JSON + the JSON (UTF-8): a ${c.message} whose images say ` +
          '{encoding: "binary", contentType: "image/jpeg", offset, length}, offsets counted from the first byte ' +
          `after the JSON + the image bytes. The content type is set over MQTT 5; over 3.1.1 a payload that does ` +
          'not start with "{" is a frame. A read without images goes as JSON even with imageEncoding=binary.',
        payload: { type: 'string', format: 'binary' },
      };
    }
  }
  /** The messages of a channel: its JSON message, and its binary frame if it has one. */
  const messagesOf = (c: ChannelSpec) => [c.message, ...(c.frame ? [c.frame.message] : [])];

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'lpr-edge headquarters sync',
      version: `${PROTOCOL_VERSION}.0.0`,
      description:
        'MQTT protocol between an lpr-edge unit (a patrol car) and headquarters. Generated from the zod ' +
        'schemas in src/sync/schemas.ts; see docs/sync.md for the delivery guarantees.',
    },
    defaultContentType: 'application/json',
    servers: {
      hq: {
        host: 'hq-broker.example.org:8883',
        protocol: 'mqtts',
        protocolVersion: '5',
        description: 'Any standard MQTT 5 (or 3.1.1) broker; mutual TLS with a pinned CA.',
        security: [
          { $ref: '#/components/securitySchemes/mutualTls' },
          { $ref: '#/components/securitySchemes/password' },
        ],
      },
    },
    channels: Object.fromEntries(
      channels.map((c) => [
        c.key,
        {
          address: c.address,
          summary: c.summary,
          parameters: Object.fromEntries(
            (c.parameters ?? ['agency', 'unit']).map((p) => [p, { $ref: `#/components/parameters/${p}` }]),
          ),
          messages: Object.fromEntries(messagesOf(c).map((m) => [m, { $ref: `#/components/messages/${m}` }])),
        },
      ]),
    ),
    operations: Object.fromEntries(
      channels.map((c) => [
        `${c.action}-${c.key}`,
        {
          action: c.action,
          channel: { $ref: `#/channels/${c.key}` },
          summary: c.summary,
          messages: messagesOf(c).map((m) => ({ $ref: `#/channels/${c.key}/messages/${m}` })),
          bindings: mqttOp(1, c.retain ?? false),
        },
      ]),
    ),
    components: {
      schemas,
      messages,
      parameters: {
        agency: { description: 'Agency id from the unit config ([A-Za-z0-9_-]).' },
        unit: {
          description:
            'Unit id from the unit config ([A-Za-z0-9_-]); "fleet" is reserved for the fleet channels.',
        },
        listId: { description: 'The hotlist id ([A-Za-z0-9_-]), as in the HotlistDocument.' },
      },
      securitySchemes: {
        mutualTls: { type: 'X509', description: 'Client certificate signed by the agency CA.' },
        password: { type: 'userPassword', description: 'Optional username/password on top of TLS.' },
      },
    },
  };
}

export function renderAsyncApi(): string {
  return (
    '# Generated by scripts/gen-asyncapi.mjs from src/sync/schemas.ts. Do not edit by hand.\n' +
    stringify(buildAsyncApi(), { lineWidth: 0, aliasDuplicateObjects: false })
  );
}
