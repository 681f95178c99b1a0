import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';
import { mergeSuggestionsProcessor } from '../../functions/merge/suggestions-processor.js';
import { suggestionKeysOf } from '../../functions/merge/suggestions.js';

const mock = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  process.env.TABLE_NAME = 'unit';
  resetConfig();
  setDdbClient(mock as unknown as DynamoDBDocumentClient);
});
afterEach(() => {
  mock.reset();
  setDdbClient(undefined);
});

const image = (fields: Record<string, string | boolean>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'boolean' ? { BOOL: v } : { S: v }]));

function record(old: Record<string, string | boolean> | undefined, next: Record<string, string | boolean> | undefined, seq: string): DynamoDBRecord {
  return {
    eventName: old && next ? 'MODIFY' : next ? 'INSERT' : 'REMOVE',
    dynamodb: {
      Keys: { pk: { S: 'CONTACT#c1' }, sk: { S: 'P#PROFILE' } },
      SequenceNumber: seq,
      ...(old ? { OldImage: image({ type: 'contact', ...old }) } : {}),
      ...(next ? { NewImage: image({ type: 'contact', ...next }) } : {}),
    } as DynamoDBRecord['dynamodb'],
  };
}

describe('suggestion keys', () => {
  it('are the phone and the lower-cased email of a contact that is not blocked', () => {
    expect(suggestionKeysOf({ type: 'contact', phone: '+5511987654321', email: 'Ana@Example.com' })).toEqual(['phone:+5511987654321', 'email:ana@example.com']);
    expect(suggestionKeysOf({ type: 'contact', phone: '+5511987654321', blocked: true })).toEqual([]);
    expect(suggestionKeysOf({ type: 'mergedContact', phone: '+5511987654321' })).toEqual([]);
    expect(suggestionKeysOf(undefined)).toEqual([]);
  });
});

describe('the suggestions stream processor', () => {
  it('claims only profile items', () => {
    expect(mergeSuggestionsProcessor.claims(record(undefined, { phone: '+1' }, '1'))).toBe(true);
    const history = record(undefined, { phone: '+1' }, '1');
    history.dynamodb!.Keys!.sk = { S: 'H#MSG#m1' };
    expect(mergeSuggestionsProcessor.claims(history)).toBe(false);
  });

  it('does nothing, not even a read, for changes that cannot move a contact between keys', async () => {
    const failed = await mergeSuggestionsProcessor.process([record({ firstName: 'Ana', phone: '+5511987654321' }, { firstName: 'Anna', phone: '+5511987654321' }, '1')]);
    expect(failed).toEqual([]);
    expect(mock.calls()).toHaveLength(0);
  });

  it('re-syncs a contact once per batch from its current profile, leaving every key it was seen in', async () => {
    mock.on(GetCommand).resolves({ Item: { type: 'contact', id: 'c1', phone: '+5511900000003' } });
    mock.on(UpdateCommand).resolves({});
    const failed = await mergeSuggestionsProcessor.process([
      record({ phone: '+5511900000001' }, { phone: '+5511900000002' }, '1'),
      record({ phone: '+5511900000002' }, { phone: '+5511900000003', blocked: false }, '2'),
    ]);
    expect(failed).toEqual([]);
    expect(mock.commandCalls(GetCommand)).toHaveLength(1);
    const membership = mock
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((input) => /members/.test(input.UpdateExpression ?? '') && !/REMOVE/.test(input.UpdateExpression ?? ''))
      .map((input) => `${input.UpdateExpression!.startsWith('DELETE') ? 'leave' : 'join'} ${String(input.Key!.pk)}`)
      .sort();
    expect(membership).toEqual(['join DUPKEY#phone:+5511900000003', 'leave DUPKEY#phone:+5511900000001', 'leave DUPKEY#phone:+5511900000002']);
  });

  it('reports the records of a contact it could not sync, for the stream to retry', async () => {
    mock.on(GetCommand).rejects(new Error('throttled'));
    const failed = await mergeSuggestionsProcessor.process([record(undefined, { phone: '+5511900000001' }, '7')]);
    expect(failed).toEqual([{ sequenceNumber: '7', reason: 'suggestions sync failed: throttled' }]);
  });
});
