import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventMarkerItem, eventMarkerKey } from '../../functions/data/engagement-state.js';
import { conversationKey } from '../../functions/data/keys.js';
import { EVENT_MARKER_TTL_SECONDS } from '../../functions/engagement/items.js';
import { KEPT_MESSAGE_IDS, keptEntry, messageIdHash } from '../../functions/events/message-ids.js';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { operationOf, writtenKeys, type DdbCall } from '../support/ddb-calls.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { HOUR, ago, createApiKey, createContact, uniqueId as uid } from '../support/factories.js';

/**
 * `POST /v1/events` applies each conversation message once with one
 * conditional PutItem of the conversation item, whose `msgIds` keep the
 * ids it counted (functions/events/message-ids.ts): no EVT# marker, no
 * transaction, except past KEPT_MESSAGE_IDS and for conversations whose
 * messages the previous version guarded by markers.
 */
const stack = useLocalStack();
const { admin, operator } = usersOf(stack);
let apiKey: string;

/** Calls to break once: the write lands, `after` runs, then the answer is lost (TimeoutError), and the SDK tries again. */
const lostAnswers: { matches: (call: DdbCall) => boolean; after: () => Promise<void> }[] = [];
/** Every write the product sent (operation and keys), for asserting what a call cost. */
const writes: { operation: string; keys: string[] }[] = [];

beforeAll(async () => {
  apiKey = await createApiKey(admin());
  ddb().middlewareStack.add(
    ((next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
      const call = { command: context.commandName ?? '', input: args.input };
      const keys = writtenKeys(call);
      if (keys.length > 0) writes.push({ operation: operationOf(call.command), keys });
      const hook = lostAnswers.find((h) => h.matches(call));
      if (!hook) return next(args);
      lostAnswers.splice(lostAnswers.indexOf(hook), 1);
      await next(args);
      await hook.after();
      throw Object.assign(new Error('Request timed out (injected)'), { name: 'TimeoutError' });
    }) as never,
    { step: 'finalizeRequest', priority: 'low', name: 'eventIdempotencyLostAnswer', override: true },
  );
});

const post = (events: unknown[]) => stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });

const message = (contactId: string, conversationId: string, from: 'contact' | 'agent' = 'contact', at = ago(HOUR)) => ({
  id: uid('msg'),
  type: 'conversation.message',
  at,
  contactId,
  conversationId,
  from,
  text: from === 'contact' ? 'Não recebi meu pedido' : 'Olá! Como posso ajudar?',
});

const conversationStatus = (contactId: string, conversationId: string, status: 'open' | 'resolved', at = ago(HOUR)) => ({
  id: uid('cst'),
  type: 'conversation.status',
  at,
  contactId,
  conversationId,
  kind: 'support',
  status,
});

async function conversation(contactId: string, conversationId: string): Promise<Record<string, any> | undefined> {
  return (await ddb().send(new GetCommand({ TableName: tableName(), Key: conversationKey(contactId, conversationId), ConsistentRead: true }))).Item;
}
const counted = (item: Record<string, any> | undefined) => (item?.contactMessages ?? 0) + (item?.agentMessages ?? 0);
const marker = async (eventId: string) => (await ddb().send(new GetCommand({ TableName: tableName(), Key: eventMarkerKey(eventId), ConsistentRead: true }))).Item;

/** The item's size as DynamoDB bills it: attribute names plus values (strings by UTF-8 length, numbers about a byte per two digits, lists and maps 3 bytes plus 1 per element). */
function dynamoSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/^0\.|\./, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + dynamoSize(v), 0);
  return 3 + Object.entries(value as object).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + dynamoSize(v), 0);
}
const itemSize = (item: Record<string, unknown>) => Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + dynamoSize(v), 0);

const newContact = async () => (await createContact(operator(), { firstName: 'Ida' })).id;

describe('a conversation message is applied once, by one conditional PutItem', () => {
  it('counts a message posted twice in one call and again in a later call once, with no marker and no transaction', async () => {
    const contactId = await newContact();
    const conv = uid('conv');
    const m = message(contactId, conv);
    const other = message(contactId, conv, 'agent');
    writes.length = 0;
    expect((await post([m, other, m])).body).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
    const ingestion = writes.filter((w) => w.keys.some((k) => k.includes('|H#CONV#') || k.startsWith('EVT#')));
    expect(ingestion).toEqual([{ operation: 'Put', keys: [`CONTACT#${contactId}|H#CONV#${conv}`] }]);
    expect((await post([m])).body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect((await post([other, m])).body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    const item = await conversation(contactId, conv);
    expect(item).toMatchObject({ contactMessages: 1, agentMessages: 1 });
    expect(item!.msgIds).toHaveLength(2);
    expect(item!.msgIds.map((e: string) => e.slice(0, 12))).toEqual([messageIdHash(m.id), messageIdHash(other.id)]);
    expect(await marker(m.id)).toBeUndefined();
  });

  it('answers accepted to an attempt whose answer was lost, also when another call wrote the item in between', async () => {
    const contactId = await newContact();
    const conv = uid('conv');
    const key = `CONTACT#${contactId}|H#CONV#${conv}`;
    const isOurPut = (call: DdbCall) => operationOf(call.command) === 'Put' && writtenKeys(call).includes(key);

    // The write lands, its answer is lost; the SDK sends it again, which the version condition refuses, and the handler reads its own write.
    lostAnswers.push({ matches: isOurPut, after: async () => {} });
    const first = [message(contactId, conv), message(contactId, conv, 'agent')];
    expect((await post(first)).body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(lostAnswers).toHaveLength(0);
    expect(counted(await conversation(contactId, conv))).toBe(2);

    // Another call's write lands on top before the retry: the item's write id is no longer ours, its kept ids still are.
    const onTop = conversationStatus(contactId, conv, 'open');
    let between: unknown;
    lostAnswers.push({ matches: isOurPut, after: async () => void (between = (await post([onTop])).body) });
    const second = [message(contactId, conv), message(contactId, conv)];
    expect((await post(second)).body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(between).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const item = await conversation(contactId, conv);
    expect(item).toMatchObject({ contactMessages: 3, agentMessages: 1, status: 'open' });
    expect(item!.msgIds).toHaveLength(4);

    // A real client retry of those calls is a duplicate.
    expect((await post([...first, ...second, onTop])).body).toEqual({ accepted: 0, duplicates: 5, rejected: [] });
    expect(counted(await conversation(contactId, conv))).toBe(4);
  });

  it('counts the same messages posted by concurrent calls once', async () => {
    const contactId = await newContact();
    const convs = [uid('conv'), uid('conv'), uid('conv'), uid('conv')];
    const batches = convs.map((conv) => [message(contactId, conv), message(contactId, conv, 'agent'), message(contactId, conv)]);
    const answers = await Promise.all(batches.flatMap((events) => [post(events), post([...events].reverse()), post([events[1]])]));
    const total = answers.reduce((sum, r) => ({ accepted: sum.accepted + r.body.accepted, duplicates: sum.duplicates + r.body.duplicates }), { accepted: 0, duplicates: 0 });
    expect(answers.every((r) => r.status === 202 && r.body.rejected.length === 0)).toBe(true);
    expect(total).toEqual({ accepted: 12, duplicates: 16 });
    for (const conv of convs) {
      const item = await conversation(contactId, conv);
      expect(item).toMatchObject({ contactMessages: 2, agentMessages: 1 });
      expect(item!.msgIds).toHaveLength(3);
    }
  });

  it('keeps a typical 5-message conversation under 1 KB', async () => {
    const contactId = await newContact();
    const conv = uid('conv');
    const t = Date.now() - 2 * HOUR;
    const at = (minutes: number) => new Date(t + minutes * 60_000).toISOString();
    // Trickling in as a messaging platform sends them: one call per event.
    const events = [
      conversationStatus(contactId, conv, 'open', at(0)),
      message(contactId, conv, 'contact', at(1)),
      message(contactId, conv, 'agent', at(2)),
      message(contactId, conv, 'contact', at(5)),
      message(contactId, conv, 'agent', at(6)),
      message(contactId, conv, 'contact', at(70)),
      conversationStatus(contactId, conv, 'resolved', at(75)),
    ];
    for (const e of events) expect((await post([e])).body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const item = (await conversation(contactId, conv))!;
    expect(item).toMatchObject({ contactMessages: 3, agentMessages: 2, status: 'resolved' });
    expect(item.msgIds).toHaveLength(5);
    const json = Buffer.byteLength(JSON.stringify(item));
    const billed = itemSize(item);
    console.info(`5-message conversation item: ${json} bytes of JSON, about ${billed} bytes as DynamoDB sizes it (msgIds ${itemSize({ msgIds: item.msgIds })})`);
    expect(json).toBeLessThan(1024);
    expect(billed).toBeLessThan(1024);
  });
});

describe('EVT# markers', () => {
  it('still make a message counted by the previous version a duplicate', async () => {
    const contactId = await newContact();
    const conv = uid('conv');
    const key = conversationKey(contactId, conv);
    const old = message(contactId, conv);
    expect((await post([old])).body).toMatchObject({ accepted: 1 });
    // As the previous version left it: the message counted, its id in an EVT# marker, none kept on the item.
    await ddb().send(new UpdateCommand({ TableName: tableName(), Key: key, UpdateExpression: 'REMOVE msgIds' }));
    const now = new Date().toISOString();
    await ddb().send(new PutCommand({ TableName: tableName(), Item: eventMarkerItem(old.id, key, now, Math.floor(Date.now() / 1000) + EVENT_MARKER_TTL_SECONDS) }));

    expect((await post([old])).body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    const fresh = message(contactId, conv, 'agent');
    expect((await post([fresh, old])).body).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    // The item now keeps one id and counts two messages: the old one is still looked up by its marker.
    const item = await conversation(contactId, conv);
    expect(item).toMatchObject({ contactMessages: 1, agentMessages: 1 });
    expect(item!.msgIds).toHaveLength(1);
    expect((await post([old, fresh])).body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    expect(counted(await conversation(contactId, conv))).toBe(2);
    expect(await marker(fresh.id)).toBeUndefined();
  });

  it(`guard a conversation's messages past its ${KEPT_MESSAGE_IDS} kept ids, in a transaction`, async () => {
    const contactId = await newContact();
    const conv = uid('conv');
    const first = message(contactId, conv);
    expect((await post([first])).body).toMatchObject({ accepted: 1 });
    // A long conversation: its kept ids are full (filled directly; posting 150 messages proves nothing more).
    const item = (await conversation(contactId, conv))!;
    const filler = Array.from({ length: KEPT_MESSAGE_IDS - 1 }, (_, i) => keptEntry(`filler-${conv}-${i}`, 'AAAA'));
    await ddb().send(
      new PutCommand({ TableName: tableName(), Item: { ...item, msgIds: [...item.msgIds, ...filler], agentMessages: KEPT_MESSAGE_IDS - 1, version: item.version + 1 } }),
    );

    const past = [message(contactId, conv), message(contactId, conv, 'agent')];
    writes.length = 0;
    expect((await post(past)).body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(writes.filter((w) => w.keys.some((k) => k.startsWith('EVT#'))).map((w) => w.operation)).toEqual(['TransactWrite']);
    expect((await marker(past[0].id))?.target).toEqual(conversationKey(contactId, conv));
    const after = (await conversation(contactId, conv))!;
    expect(after.msgIds).toHaveLength(KEPT_MESSAGE_IDS);
    expect(counted(after)).toBe(KEPT_MESSAGE_IDS + 2);

    expect((await post([...past, first])).body).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect(counted(await conversation(contactId, conv))).toBe(KEPT_MESSAGE_IDS + 2);
  });
});
