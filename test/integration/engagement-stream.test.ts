import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageItem } from '../../functions/engagement/items.js';
import { engagementProcessor, lastEngagementBatchStats, processEngagementRecords } from '../../functions/engagement/stream-processor.js';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { processBatch } from '../../functions/streams/process-table-stream.js';
import { useLocalStack } from '../support/api-suite.js';
import { createContact } from '../support/factories.js';

/**
 * The engagement stream processor on DynamoDB Local with hand-made stream
 * records (old and new images, sequence numbers), so deliveries can be
 * repeated, cut and reordered the way Lambda's retries do.
 */
const stack = useLocalStack();
const calls: { command: string; input: Record<string, any> }[] = [];

beforeAll(() => {
  ddb().middlewareStack.add(
    (next, context) => async (args) => {
      // Document client commands run through the base client's stack under their base names.
      calls.push({ command: (context.commandName ?? '').replace(/ItemCommand$/, 'Command'), input: args.input as Record<string, any> });
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
});

const newContactId = async () => (await createContact(stack.api.as('operator'), { firstName: 'Stream' })).id;

let seq = 1_000;
const nextSeq = () => String(seq++);

function message(contactId: string, messageId: string, stages: MessageItem['stages'], channel: MessageItem['channel'] = 'whatsapp'): MessageItem {
  return {
    pk: `CONTACT#${contactId}`, sk: `H#MSG#${messageId}`, type: 'message', contactId, messageId, channel, broadcast: true, stages,
    firstAt: Object.values(stages).sort()[0]!, version: 1, updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** A stream record of one change: before -> after (undefined for INSERT / REMOVE). */
function change(before: object | undefined, after: object | undefined): DynamoDBRecord {
  const item = (after ?? before) as { pk: string; sk: string };
  const seqNo = nextSeq();
  return {
    eventID: `ev-${seqNo}`,
    eventName: before && after ? 'MODIFY' : after ? 'INSERT' : 'REMOVE',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      ...(before ? { OldImage: marshall(before, { removeUndefinedValues: true }) as never } : {}),
      ...(after ? { NewImage: marshall(after, { removeUndefinedValues: true }) as never } : {}),
      SequenceNumber: seqNo,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const recent = (daysAgo: number, minutes = 0) => new Date(Date.now() - daysAgo * 86_400_000 + minutes * 60_000).toISOString();

/** Counters of a contact, without the watermarks. */
async function counters(contactId: string): Promise<Record<string, Record<string, unknown>>> {
  const out = await ddb().send(
    new QueryCommand({ TableName: tableName(), KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': `CONTACT#${contactId}`, ':p': 'P#ENG' }, ConsistentRead: true }),
  );
  return Object.fromEntries((out.Items ?? []).map(({ wm: _wm, pk: _pk, refreshedAt: _r, ...rest }) => [rest.sk as string, rest]));
}

/** A realistic history: messages reaching stages over several changes, on two contacts. */
function history(a: string, b: string): DynamoDBRecord[] {
  const records: DynamoDBRecord[] = [];
  const evolve = (contactId: string, messageId: string, channel: MessageItem['channel'], steps: MessageItem['stages'][]) => {
    let previous: MessageItem | undefined;
    for (const stages of steps) {
      const next = message(contactId, messageId, stages, channel);
      records.push(change(previous, next));
      previous = next;
    }
  };
  evolve(a, 'm1', 'whatsapp', [{ sent: recent(3) }, { sent: recent(3), delivered: recent(3, 1) }, { sent: recent(3), delivered: recent(3, 1), read: recent(3, 30) }]);
  evolve(a, 'm2', 'sms', [{ failed: recent(2) }, { failed: recent(2), delivered: recent(2, 5) }, { failed: recent(2), delivered: recent(2, 5), replied: recent(2, 50) }]);
  evolve(b, 'm3', 'email', [{ delivered: recent(1) }, { delivered: recent(1), clicked: recent(1, 5) }]);
  evolve(a, 'm4', 'rcs', [{ sent: recent(10) }]);
  return records;
}

describe('engagement stream processor', () => {
  it('counts a batch once: delivering it again changes nothing and writes nothing', async () => {
    const [a, b] = [await newContactId(), await newContactId()];
    const batch = history(a, b);
    calls.length = 0;
    expect(await processEngagementRecords(batch)).toEqual([]);
    const once = { a: await counters(a), b: await counters(b) };
    const day = Object.values(once.a).find((item) => item.whatsapp_sent);
    expect(day).toMatchObject({ whatsapp_sent: 1, whatsapp_delivered: 1, whatsapp_read: 1, whatsapp_engaged: 1 });

    // The first delivery's counter writes were counted (the calls are being recorded).
    expect(calls.some((c) => c.command === 'UpdateCommand' && String(c.input.Key?.sk).startsWith('P#ENG'))).toBe(true);
    calls.length = 0;
    expect(await processEngagementRecords(batch)).toEqual([]);
    expect(calls.filter((c) => c.command === 'UpdateCommand' && String(c.input.Key?.sk).startsWith('P#ENG'))).toHaveLength(0);
    // A warm function remembers the watermarks it wrote: the replay does not even read them. (Other
    // reads may run meanwhile: the local stack's own poller handles the contacts' profile records.)
    const counterReads = calls.filter(
      (c) => c.command === 'BatchGetCommand' && Object.values(c.input.RequestItems as Record<string, { Keys: { sk: string }[] }>).some((r) => r.Keys.some((k) => k.sk.startsWith('P#ENG'))),
    );
    expect(counterReads).toHaveLength(0);
    expect({ a: await counters(a), b: await counters(b) }).toEqual(once);
  });

  it('leaves the counters unchanged when any part of an applied batch comes again', async () => {
    const [a, b] = [await newContactId(), await newContactId()];
    const batch = history(a, b);
    await processEngagementRecords(batch);
    const once = { a: await counters(a), b: await counters(b) };
    // Suffixes (what a retry from a failed record delivers), halves (bisect) and arbitrary subsets in order.
    const parts = [batch.slice(3), batch.slice(0, 4), batch.slice(4), batch.filter((_, i) => i % 2 === 0), batch.filter((_, i) => i % 3 === 1), batch.slice(-1)];
    for (const part of parts) {
      expect(await processEngagementRecords(part)).toEqual([]);
      expect({ a: await counters(a), b: await counters(b) }).toEqual(once);
    }
  });

  it('moves a message to its earlier day when an earlier event shows up later', async () => {
    const a = await newContactId();
    const late = message(a, 'mx', { read: recent(1) });
    const early = message(a, 'mx', { read: recent(1), sent: recent(20) });
    await processEngagementRecords([change(undefined, late)]);
    const sentDays = async () => Object.values(await counters(a)).filter((i) => i.type === 'engagementDay').map((i) => [i.date, i.whatsapp_sent]);
    const [[lateDay, one]] = (await sentDays()) as [string, number][];
    expect(one).toBe(1);
    await processEngagementRecords([change(late, early)]);
    const after = Object.fromEntries(await sentDays());
    expect(after[lateDay]).toBe(0);
    const moved = Object.entries(after).filter(([, n]) => n === 1);
    expect(moved).toHaveLength(1);
    expect(moved[0][0] < lateDay).toBe(true);
  });

  it('reports a record it cannot read, applies the others, and completes on retry without double counting', async () => {
    const [a, b] = [await newContactId(), await newContactId()];
    const m1 = message(a, 'p1', { sent: recent(1) }, 'sms');
    const poison = { ...message(a, 'p2', { sent: recent(1) }, 'sms'), firstAt: 'not a time' };
    const fixed = message(a, 'p2', { sent: recent(1) }, 'sms');
    const m3 = message(a, 'p3', { sent: recent(1) }, 'sms');
    const other = message(b, 'p4', { sent: recent(1) }, 'sms');
    const batch = [change(undefined, m1), change(undefined, poison), change(undefined, m3), change(undefined, other)];

    const response = await processBatch({ Records: batch }, [engagementProcessor]);
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
    // The poison record and the later record of the same contact (it must not overtake it); contact b is applied.
    expect(failed.sort()).toEqual([batch[1].dynamodb!.SequenceNumber, batch[2].dynamodb!.SequenceNumber].sort());
    const sent = async (id: string) => Object.values(await counters(id)).reduce((n, i) => n + Number(i.sms_sent ?? 0), 0);
    expect(await sent(a)).toBe(1);
    expect(await sent(b)).toBe(1);

    // Lambda retries from the earliest failed record; this time the record reads fine.
    const retry = [{ ...change(undefined, fixed), dynamodb: { ...change(undefined, fixed).dynamodb, SequenceNumber: batch[1].dynamodb!.SequenceNumber } }, batch[2], batch[3]];
    expect((await processBatch({ Records: retry }, [engagementProcessor])).batchItemFailures).toEqual([]);
    expect(await sent(a)).toBe(3);
    expect(await sent(b)).toBe(1);
  });

  it('never writes a counter item more than once per batch (counted SDK calls)', async () => {
    const contacts = [await newContactId(), await newContactId(), await newContactId()];
    const records: DynamoDBRecord[] = [];
    for (let i = 0; i < 240; i++) {
      const contactId = contacts[i % 3];
      const daysAgo = i % 7;
      const first = message(contactId, `w${i}`, { sent: recent(daysAgo) }, i % 2 ? 'whatsapp' : 'email');
      const second = message(contactId, `w${i}`, { sent: recent(daysAgo), delivered: recent(daysAgo, 1) }, first.channel);
      records.push(change(undefined, first), change(first, second));
    }
    calls.length = 0;
    expect(await processEngagementRecords(records)).toEqual([]);
    const counterWrites = calls.filter((c) => c.command === 'UpdateCommand' && String(c.input.Key?.sk).startsWith('P#ENG'));
    const distinctKeys = new Set(counterWrites.map((c) => `${c.input.Key.pk}|${c.input.Key.sk}`));
    const stats = lastEngagementBatchStats()!;
    expect(counterWrites.length).toBeGreaterThan(0);
    expect(counterWrites.length).toBe(distinctKeys.size);
    expect(counterWrites.length).toBeLessThanOrEqual(stats.distinctKeys);
    expect(stats.writes).toBeLessThanOrEqual(stats.distinctKeys);
    // 3 contacts x 7 days: far fewer writes than the 480 records.
    expect(stats.distinctKeys).toBeLessThanOrEqual(21);
    const total = (await Promise.all(contacts.map(counters))).flatMap((c) => Object.values(c)).reduce((n, i) => n + Number(i.whatsapp_delivered ?? 0) + Number(i.email_delivered ?? 0), 0);
    expect(total).toBe(240);
  });

  it('takes a deleted message away and does not re-create counters of a purged contact', async () => {
    const a = await newContactId();
    const m = message(a, 'gone', { sent: recent(1) }, 'sms');
    await processEngagementRecords([change(undefined, m)]);
    await processEngagementRecords([change(m, undefined)]);
    expect(Object.values(await counters(a)).reduce((n, i) => n + Number(i.sms_sent ?? 0), 0)).toBe(0);

    const purged = await newContactId();
    const n = message(purged, 'x', { sent: recent(1) }, 'sms');
    expect((await stack.api.as('operator').delete(`/v1/contacts/${purged}`)).status).toBe(204);
    await processEngagementRecords([change(n, undefined)]);
    // No counts come back: at most an expiring tombstone holding the record's watermark (a re-cut retry
    // of an earlier batch cannot then apply a part of what it netted away; see the counter store).
    for (const item of Object.values(await counters(purged))) {
      expect(Object.entries(item).filter(([k, v]) => typeof v === 'number' && k !== 'expiresAt' && v !== 0)).toEqual([]);
      expect(item.expiresAt).toBeGreaterThan(Date.now() / 1000);
    }

    // A message written before the purge but processed after it: its counts come and go with
    // its own records, and the zeroed item stays only as an expiring tombstone (it guards replays).
    const late = await newContactId();
    const l = message(late, 'late', { sent: recent(1) }, 'sms');
    expect((await stack.api.as('operator').delete(`/v1/contacts/${late}`)).status).toBe(204);
    const insert = change(undefined, l);
    const remove = change(l, undefined);
    expect(await processEngagementRecords([insert])).toEqual([]);
    expect(Object.values(await counters(late)).some((item) => item.sms_sent === 1 && item.expiresAt === undefined)).toBe(true);
    expect(await processEngagementRecords([remove])).toEqual([]);
    const tombstones = Object.values(await counters(late));
    expect(tombstones.length).toBeGreaterThan(0);
    for (const item of tombstones) {
      expect(Object.entries(item).filter(([k, v]) => typeof v === 'number' && k !== 'expiresAt' && v !== 0)).toEqual([]);
      expect(item.expiresAt).toBeGreaterThan(Date.now() / 1000);
    }
    // Replaying both records changes nothing: the tombstone's watermark remembers them.
    expect(await processEngagementRecords([insert, remove])).toEqual([]);
    expect(Object.values(await counters(late))).toEqual(tombstones);
  });
});
