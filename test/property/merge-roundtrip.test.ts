import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../shared/contact-schema.js';
import { createTag } from '../../functions/data/catalog-entity.js';
import { createList } from '../../functions/catalog/catalog-service.js';
import { toContactItem, type ContactRecord } from '../../functions/data/contact.js';
import { addTagById, addToList } from '../../functions/contacts/memberships.js';
import { listKey, tagKey } from '../../functions/data/keys.js';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { createMerge, undoMerge } from '../../functions/merge/merge-service.js';
import { mergeTiming } from '../../functions/merge/merge-record.js';
import { canonical, queryRaw } from '../../functions/data/raw-item.js';
import { startLocalStack } from '../support/local-stack.js';

/**
 * Merge followed by undo restores every item of every contact involved, and
 * every list and tag, byte for byte: fields, memberships, channel states and
 * history (messages, conversations, dispatches), including messages and
 * conversations that both contacts have (they combine on merge and split
 * back on undo). The stream poller is stopped: nothing but the merge writes.
 */
type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let lists: string[] = [];
let tags: string[] = [];
// An admin: duplicates may be blocked, and such a merge is an admin's (API.md "Blocks hold").
const principal = { sub: 'prop', name: 'Property', role: 'admin' as const };

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.poller.stop();
  // A loaded machine can stretch a merge past the request's inline budget; the property is about what it restores.
  mergeTiming.inlineBudgetMs = 600_000;
  lists = [];
  tags = [];
  for (let i = 0; i < 4; i++) lists.push((await createList({ name: `List ${i}` })).id);
  for (let i = 0; i < 3; i++) tags.push((await createTag(`Tag ${i}`))!.id);
});
afterAll(async () => {
  await stack?.stop();
});

const time = fc.integer({ min: 0, max: 80 * 86_400 }).map((s) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString());
const text = fc.string({ minLength: 1, maxLength: 12 });

const contactArb = fc.record({
  firstName: fc.option(text, { nil: undefined }),
  lastName: fc.option(text, { nil: undefined }),
  phone: fc.option(fc.constantFrom('+5511987650001', '+5511987650002', '+5521912340003'), { nil: undefined }),
  email: fc.option(fc.constantFrom('a@example.com', 'b@example.com', 'c@example.org'), { nil: undefined }),
  country: fc.option(fc.constantFrom('BR', 'PT', 'AR'), { nil: undefined }),
  language: fc.option(fc.constantFrom('pt', 'es', 'en'), { nil: undefined }),
  blocked: fc.boolean(),
  customFields: fc.dictionary(fc.constantFrom('plan', 'city', 'score', 'vip'), fc.oneof(text, fc.integer({ min: -5, max: 1000 }), fc.boolean()), { maxKeys: 3 }),
  lists: fc.subarray([0, 1, 2, 3]),
  tags: fc.subarray([0, 1, 2]),
  channels: fc.dictionary(fc.constantFrom(...CHANNELS), fc.constantFrom('subscribed', 'unsubscribed'), { maxKeys: 4 }),
  history: fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant('message' as const),
        // A small pool of ids: the primary and a duplicate often share one.
        id: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5', 'm6'),
        channel: fc.constantFrom('sms', 'whatsapp', 'email'),
        stages: fc.dictionary(fc.constantFrom('sent', 'delivered', 'read', 'clicked', 'replied', 'failed'), time, { minKeys: 1, maxKeys: 4 }),
      }),
      fc.record({
        kind: fc.constant('conversation' as const),
        id: fc.constantFrom('c1', 'c2', 'c3'),
        status: fc.constantFrom('open', 'resolved'),
        at: time,
        contact: fc.nat(4),
        agent: fc.nat(4),
      }),
      fc.record({ kind: fc.constant('dispatch' as const), channel: fc.constantFrom(...CHANNELS), at: time }),
    ),
    { maxLength: 12 },
  ),
});

type ContactSpec = typeof contactArb extends fc.Arbitrary<infer T> ? T : never;

async function write(spec: ContactSpec): Promise<string> {
  const id = ulid();
  const now = new Date().toISOString();
  const record: ContactRecord = {
    id,
    firstName: spec.firstName ?? (spec.phone || spec.email ? undefined : 'Someone'),
    lastName: spec.lastName,
    phone: spec.phone,
    email: spec.email,
    country: spec.country,
    language: spec.language,
    origin: { type: 'manual_import', label: 'Manual import' },
    customFields: spec.customFields,
    blocked: spec.blocked,
    createdAt: now,
    updatedAt: now,
  };
  await ddb().send(new PutCommand({ TableName: tableName(), Item: { ...toContactItem(record), version: 1 } }));
  for (const l of spec.lists) await addToList(id, lists[l]);
  for (const t of spec.tags) await addTagById(id, tags[t]);
  const pk = `CONTACT#${id}`;
  const items: Record<string, unknown>[] = Object.entries(spec.channels).map(([channel, status]) => ({ pk, sk: `P#CH#${channel}`, type: 'channel', contactId: id, channel, status, updatedAt: now }));
  const seen = new Set<string>();
  for (const h of spec.history) {
    if (h.kind === 'message') {
      if (seen.has(h.id)) continue;
      seen.add(h.id);
      const firstAt = Object.values(h.stages).sort()[0];
      items.push({ pk, sk: `H#MSG#${h.id}`, type: 'message', contactId: id, messageId: h.id, channel: h.channel, broadcast: false, stages: h.stages, firstAt, version: Object.keys(h.stages).length, updatedAt: firstAt });
    } else if (h.kind === 'conversation') {
      if (seen.has(h.id)) continue;
      seen.add(h.id);
      items.push({
        pk, sk: `H#CONV#${h.id}`, type: 'conversation', contactId: id, conversationId: h.id, kind: 'sales', status: h.status, statusAt: h.at, openedAt: h.at, firstAt: h.at,
        hours: { [h.at.slice(0, 13)]: { contact: h.contact, agent: h.agent } }, contactMessages: h.contact, agentMessages: h.agent, version: 2, updatedAt: h.at,
      });
    } else {
      const dispatchId = ulid();
      items.push({ pk, sk: `H#DSP#${dispatchId}`, type: 'dispatch', id: dispatchId, contactId: id, channel: h.channel, status: 'queued', at: h.at, text: 'Hi', by: 'prop', gsi1pk: 'DISPATCH', gsi1sk: dispatchId });
    }
  }
  for (const Item of items) await ddb().send(new PutCommand({ TableName: tableName(), Item }));
  return id;
}

/** A contact's items as stored, but its activity entries: the timeline gains `merged` and `merge_undone` (test/integration/activity.test.ts). */
const collection = async (contactId: string) => (await queryRaw(`CONTACT#${contactId}`, '')).filter((item) => !item.sk.S!.startsWith('T#')).map(canonical);

async function everything(ids: string[]) {
  const catalog = await Promise.all([...lists.map(listKey), ...tags.map(tagKey)].map(async (Key) => JSON.stringify((await ddb().send(new GetCommand({ TableName: tableName(), Key }))).Item)));
  return { contacts: await Promise.all(ids.map(collection)), catalog };
}

async function membershipsMatchCounts() {
  for (const [key, prefix] of [...lists.map((l) => [listKey(l), 'LIST#'] as const), ...tags.map((t) => [tagKey(t), 'TAG#'] as const)]) {
    const item = (await ddb().send(new GetCommand({ TableName: tableName(), Key: key }))).Item!;
    const members = (await ddb().send(
      new QueryCommand({ TableName: tableName(), IndexName: 'gsi9', KeyConditionExpression: 'gsi9pk = :p', ExpressionAttributeValues: { ':p': { S: `${prefix}${item.id}` } }, Select: 'COUNT' }) as never,
    )) as { Count?: number };
    expect(item.memberCount ?? item.contactCount).toBe(members.Count);
  }
}

describe('merge then undo (property)', () => {
  it('restores every item byte for byte, with exact list and tag counts in between', async () => {
    await fc.assert(
      fc.asyncProperty(contactArb, fc.array(contactArb, { minLength: 1, maxLength: 3 }), async (primarySpec, duplicateSpecs) => {
        const primaryId = await write(primarySpec);
        const duplicateIds: string[] = [];
        for (const spec of duplicateSpecs) duplicateIds.push(await write(spec));
        const before = await everything([primaryId, ...duplicateIds]);

        const merged = await createMerge({ primaryId, duplicateIds }, principal);
        expect(merged.status).toBe('completed');
        await membershipsMatchCounts();
        for (const id of duplicateIds) {
          const left = await collection(id);
          expect(left.every((item) => item.includes('"sk":{S:"A#MERGED"}'))).toBe(true);
        }

        const undone = await undoMerge(merged.id, principal);
        expect(undone.status).toBe('undone');
        expect(await everything([primaryId, ...duplicateIds])).toEqual(before);
      }),
      // Each run is a real merge and undo on DynamoDB Local: a failure is reported as found rather than shrunk for minutes.
      { numRuns: 15, endOnFailure: true },
    );
  }, 600_000);
});
