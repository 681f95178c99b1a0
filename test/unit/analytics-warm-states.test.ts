import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyticsProcessor, forgetActivityStates } from '../../functions/analytics/activity-processor.js';
import { emptyActivity } from '../../functions/analytics/contact-activity.js';
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

const storedState = (version: number) => ({ pk: 'CONTACT#c1', sk: 'S#ANALYTICS', type: 'contactActivity', contactId: 'c1', seq: '1', version, ...emptyActivity(), inBase: true, joined: true });
const stateReads = () =>
  ddbMock.commandCalls(BatchGetCommand).flatMap((call) => Object.values(call.args[0].input.RequestItems!).flatMap((r) => r.Keys!)).filter((k) => k.sk === 'S#ANALYTICS').length;
const statePuts = () =>
  ddbMock
    .commandCalls(TransactWriteCommand)
    .flatMap((call) => call.args[0].input.TransactItems!)
    .filter((item) => item.Put?.Item?.sk === 'S#ANALYTICS')
    .map((item) => item.Put!);

describe('analytics activity states in a warm function', () => {
  it('are read once, then taken from what the last batch wrote, each write conditioned on the version before it', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(4)] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    expect(await analyticsProcessor.process([sentMessage('m1')])).toEqual([]);
    expect(await analyticsProcessor.process([sentMessage('m2')])).toEqual([]);
    expect(stateReads()).toBe(1);
    const puts = statePuts();
    expect(puts.map((p) => p.ExpressionAttributeValues![':v'])).toEqual([4, 5]);
    expect(puts.map((p) => p.Item!.version)).toEqual([5, 6]);
    // The second batch starts from the first one's result: two broadcast messages on that day.
    expect(Object.values(puts[1].Item!.days.ms)).toEqual([2]);
  });

  it('read a state again when its version moved elsewhere, and apply the batch on top of it', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(4)] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    await analyticsProcessor.process([sentMessage('m3')]);
    // Another writer moved the state to version 9 meanwhile.
    ddbMock.reset();
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(9)] } });
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }] }))
      .resolves({});
    expect(await analyticsProcessor.process([sentMessage('m4')])).toEqual([]);
    expect(stateReads()).toBe(1);
    expect(statePuts().map((p) => p.ExpressionAttributeValues![':v'])).toEqual([5, 9]);
  });
});

describe('one contact in trouble', () => {
  it("fails only its own records, never those of the contacts that shared its transaction", async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [] } });
    const cancelled = Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] });
    // Every transaction holding c1's state fails its condition; the others go through.
    ddbMock.on(TransactWriteCommand).callsFake((input: { TransactItems: { Put?: { Item?: { pk?: string } } }[] }) => {
      if (input.TransactItems.some((item) => item.Put?.Item?.pk === 'CONTACT#c1')) throw cancelled;
      return {};
    });
    const records = [sentMessage('a', 'c1'), sentMessage('b', 'c2'), sentMessage('c', 'c3'), sentMessage('d', 'c1')];
    const failures = await analyticsProcessor.process(records);
    expect(failures.map((f) => f.sequenceNumber).sort()).toEqual([records[0], records[3]].map((r) => r.dynamodb!.SequenceNumber!).sort());
    expect(failures[0].reason).toMatch(/version condition failed/);
    // c2 and c3 were written (in their own transactions once the shared one failed).
    const written = new Set(statePuts().map((p) => p.Item!.pk));
    expect(written).toEqual(new Set(['CONTACT#c1', 'CONTACT#c2', 'CONTACT#c3']));
    const succeeded = ddbMock
      .commandCalls(TransactWriteCommand)
      .filter((call) => !call.args[0].input.TransactItems!.some((item) => item.Put?.Item?.pk === 'CONTACT#c1'))
      .flatMap((call) => call.args[0].input.TransactItems!.map((item) => item.Put?.Item?.pk));
    expect(succeeded).toEqual(expect.arrayContaining(['CONTACT#c2', 'CONTACT#c3']));
  });

  it('creates the state of a contact whatever it finds: no read of its profile gates the fold', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    expect(await analyticsProcessor.process([sentMessage('e', 'c9')])).toEqual([]);
    const [put] = statePuts();
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    const checks = ddbMock.commandCalls(TransactWriteCommand).flatMap((call) => call.args[0].input.TransactItems!).filter((item) => item.ConditionCheck);
    expect(checks).toEqual([]);
  });
});

describe('records that net out within a batch', () => {
  it('still advance the state past them, so a replay starting between them changes nothing', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [storedState(4)] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    const added = sentMessage('n1');
    const removed: DynamoDBRecord = {
      eventName: 'REMOVE',
      dynamodb: { Keys: added.dynamodb!.Keys, OldImage: added.dynamodb!.NewImage, SequenceNumber: String(seq++), ApproximateCreationDateTime: 1_773_144_100 },
    };
    expect(await analyticsProcessor.process([added, removed])).toEqual([]);
    const [put] = statePuts();
    expect(put.Item!.seq).toBe(removed.dynamodb!.SequenceNumber);
    // No lane: the batch changed no aggregate.
    expect(ddbMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!.some((item) => item.Put?.Item?.type === 'analyticsLane')).toBe(false);
    expect(await analyticsProcessor.process([removed])).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
