import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyticsProcessor, forgetActivityStates } from '../../functions/analytics/activity-processor.js';
import { activityFromItem, emptyActivity } from '../../functions/analytics/contact-activity.js';
import { analyticsStateKey, contactActivityKey } from '../../functions/data/keys.js';
import { isQuietChange } from '../../functions/data/activity-state.js';
import { useMockedTable } from '../support/mocked-table.js';

/**
 * The analytics hop remembers the activity states it wrote, so a warm
 * function does not read them again batch after batch; every state write is
 * conditioned on the version it replaces, so a state changed elsewhere is
 * read again instead of being overwritten.
 */
const ddbMock = mockClient(DynamoDBDocumentClient);

beforeAll(() => useMockedTable({ TENANT_TIMEZONE: 'UTC' }));
afterEach(() => {
  ddbMock.reset();
  forgetActivityStates();
});

let seq = 100;
function sentMessage(messageId: string, contactId = 'c1'): DynamoDBRecord {
  const item = {
    pk: `CONTACT#${contactId}`,
    sk: `H#MSG#${messageId}`,
    type: 'message',
    contactId,
    messageId,
    channel: 'sms',
    broadcast: true,
    stages: { sent: '2026-03-10T12:00:00.000Z' },
    firstAt: '2026-03-10T12:00:00.000Z',
  };
  return {
    eventName: 'INSERT',
    dynamodb: { Keys: marshall({ pk: item.pk, sk: item.sk }) as never, NewImage: marshall(item) as never, SequenceNumber: String(seq++), ApproximateCreationDateTime: 1_773_144_000 },
  };
}

const storedState = (version: number, key = analyticsStateKey('c1')) => ({ ...key, type: 'contactActivity', contactId: 'c1', seq: '1', version, ...emptyActivity(), inBase: true, joined: true });
const isStateKey = (k: { pk?: unknown; sk?: unknown }) => String(k.pk).startsWith('ANLANE#') && String(k.sk).startsWith('S#');
const stateReads = () =>
  ddbMock.commandCalls(BatchGetCommand).flatMap((call) => Object.values(call.args[0].input.RequestItems!).flatMap((r) => r.Keys!)).filter(isStateKey).length;
const statePuts = () =>
  ddbMock
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input)
    .filter((input) => isStateKey(input.Item!));

describe('analytics activity states in a warm function', () => {
  it('are read once, then taken from what the last batch wrote, each write conditioned on the version before it', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(4)] } });
    ddbMock.on(PutCommand).resolves({});
    expect(await analyticsProcessor.process([sentMessage('m1')])).toEqual([]);
    expect(await analyticsProcessor.process([sentMessage('m2')])).toEqual([]);
    expect(stateReads()).toBe(1);
    const puts = statePuts();
    expect(puts.map((p) => p.ExpressionAttributeValues![':v'])).toEqual([4, 5]);
    expect(puts.map((p) => p.Item!.version)).toEqual([5, 6]);
    // The second batch starts from the first one's result: two broadcast messages on that day.
    expect(Object.values(activityFromItem(puts[1].Item!).days.ms!)).toEqual([2]);
  });

  it('read a state again when its version moved elsewhere, and apply the batch on top of it', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(4)] } });
    ddbMock.on(PutCommand).resolves({});
    await analyticsProcessor.process([sentMessage('m3')]);
    // Another writer moved the state to version 9 meanwhile.
    ddbMock.reset();
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(9)] } });
    ddbMock
      .on(PutCommand)
      .rejectsOnce(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }))
      .resolves({});
    expect(await analyticsProcessor.process([sentMessage('m4')])).toEqual([]);
    expect(stateReads()).toBe(1);
    expect(statePuts().map((p) => p.ExpressionAttributeValues![':v'])).toEqual([5, 9]);
  });
});

describe('one contact in trouble', () => {
  it('fails only its own records: each state is a write of its own', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [] } });
    const failedCondition = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    // Every write of c1's state fails its condition; the others go through.
    ddbMock.on(PutCommand).callsFake((input: { Item: { contactId?: string } }) => {
      if (input.Item.contactId === 'c1') throw failedCondition;
      return {};
    });
    const records = [sentMessage('a', 'c1'), sentMessage('b', 'c2'), sentMessage('c', 'c3'), sentMessage('d', 'c1')];
    const failures = await analyticsProcessor.process(records);
    expect(failures.map((f) => f.sequenceNumber).sort()).toEqual([records[0], records[3]].map((r) => r.dynamodb!.SequenceNumber!).sort());
    expect(failures[0].reason).toMatch(/version condition failed/);
    const written = new Set(statePuts().map((p) => p.Item!.contactId));
    expect(written).toEqual(new Set(['c1', 'c2', 'c3']));
    // The states live in their lanes, and no transaction is sent.
    expect(statePuts().find((p) => p.Item!.contactId === 'c2')!.Item!.pk).toBe(analyticsStateKey('c2').pk);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('fails only its own records when its stored state cannot be decoded', async () => {
    const corrupt = { ...storedState(3, analyticsStateKey('c1')), counts: 'not deflate data!' };
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [corrupt] } });
    ddbMock.on(PutCommand).resolves({});
    const records = [sentMessage('e', 'c1'), sentMessage('f', 'c2'), sentMessage('g', 'c1')];
    const failures = await analyticsProcessor.process(records);
    expect(failures.map((f) => f.sequenceNumber).sort()).toEqual([records[0], records[2]].map((r) => r.dynamodb!.SequenceNumber!).sort());
    expect(failures[0].reason).toMatch(/could not be decoded/);
    expect(new Set(statePuts().map((p) => p.Item!.contactId))).toEqual(new Set(['c2']));
  });

  it('creates the state of a contact whatever it finds: no read of its profile gates the fold', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [] } });
    ddbMock.on(PutCommand).resolves({});
    expect(await analyticsProcessor.process([sentMessage('e', 'c9')])).toEqual([]);
    const [put] = statePuts();
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('records that net out within a batch', () => {
  it('still advance the state past them, so a replay starting between them changes nothing', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(4)] } });
    ddbMock.on(PutCommand).resolves({});
    const added = sentMessage('n1');
    const removed: DynamoDBRecord = {
      eventName: 'REMOVE',
      dynamodb: { Keys: added.dynamodb!.Keys, OldImage: added.dynamodb!.NewImage, SequenceNumber: String(seq++), ApproximateCreationDateTime: 1_773_144_100 },
    };
    expect(await analyticsProcessor.process([added, removed])).toEqual([]);
    const [put] = statePuts();
    expect(put.Item!.seq).toBe(removed.dynamodb!.SequenceNumber);
    expect(await analyticsProcessor.process([removed])).toEqual([]);
    expect(statePuts()).toHaveLength(1);
  });
});

describe('a state written before states moved into lanes', () => {
  it('is read from its old place, carried into its lane quietly, and the batch applied on top of it', async () => {
    // The lane holds nothing; the old place holds version 4.
    ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { sk: string }[] }> }) => {
      const keys = Object.values(input.RequestItems)[0].Keys;
      return { Responses: { unit: keys.some((k) => k.sk === 'S#ANALYTICS') ? [storedState(4, contactActivityKey('c1'))] : [] } };
    });
    ddbMock.on(PutCommand).resolves({});
    ddbMock.on(DeleteCommand).resolves({});
    expect(await analyticsProcessor.process([sentMessage('m9')])).toEqual([]);
    const puts = statePuts();
    expect(puts).toHaveLength(2);
    // First the copy, unchanged and quiet (hop 2 adds nothing for it), then the batch's state on its version.
    expect(puts[0].Item).toMatchObject({ ...analyticsStateKey('c1'), version: 4, quiet: true, createdAt: puts[1].Item!.createdAt });
    expect(puts[0].ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(puts[1].Item!.quiet).toBeUndefined();
    expect(puts[1].ExpressionAttributeValues![':v']).toBe(4);
    // The old item stays: read only when the lane has none.
    expect(ddbMock.commandCalls(DeleteCommand)).toHaveLength(0);
  });
});

describe('a quiet state write', () => {
  it('is one that sets the flag and creates the state or moves its version; a raw edit keeping the version is not', () => {
    expect(isQuietChange(undefined, { version: 3, quiet: true })).toBe(true);
    expect(isQuietChange({ version: 3 }, { version: 4, quiet: true })).toBe(true);
    expect(isQuietChange({ version: 4, quiet: true }, { version: 4, quiet: true, days: {} })).toBe(false);
    expect(isQuietChange({ version: 3 }, { version: 4 })).toBe(false);
  });
});
