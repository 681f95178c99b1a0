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
function sentMessage(messageId: string): DynamoDBRecord {
  const item = {
    pk: 'CONTACT#c1',
    sk: `H#MSG#${messageId}`,
    type: 'message',
    contactId: 'c1',
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
