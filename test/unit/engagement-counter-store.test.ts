import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyCounterDeltas, forgetCounterItems, onCounterBatch, seqAfter, type CounterDelta } from '../../functions/engagement/counter-store.js';
import { useMockedTable } from '../support/mocked-table.js';

const ddbMock = mockClient(DynamoDBDocumentClient);

beforeAll(() => useMockedTable());
afterEach(() => {
  ddbMock.reset();
  forgetCounterItems();
});

const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
const NOW = 1_800_000_000_000;

const aDelta = (overrides: Partial<CounterDelta> = {}): CounterDelta => ({
  key: { pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10' },
  add: { sms_sent: 1 },
  init: { type: 'engagementDay' },
  source: 'CONTACT#a',
  seq: '100',
  recordId: '100',
  ...overrides,
});

const stored = (items: Record<string, unknown>[]) => ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: items } });

describe('applyCounterDeltas', () => {
  it('writes each distinct key once, summing its deltas in memory', async () => {
    stored([]);
    ddbMock.on(UpdateCommand).resolves({});
    const deltas = [
      aDelta({ seq: '101', recordId: '101' }),
      aDelta({ seq: '102', recordId: '102', add: { sms_sent: 1, sms_delivered: 1 } }),
      aDelta({ seq: '103', recordId: '103', add: { sms_delivered: -1 } }),
      aDelta({ key: { pk: 'CONTACT#b', sk: 'P#ENGD#2026-01-10' }, source: 'CONTACT#b', seq: '7', recordId: '7' }),
    ];
    const result = await applyCounterDeltas(deltas, { now: () => NOW });
    const writes = ddbMock.commandCalls(UpdateCommand);
    expect(writes).toHaveLength(2);
    expect(result.stats).toMatchObject({ distinctKeys: 2, writes: 2, failedKeys: 0 });
    const a = writes.find((w) => w.args[0].input.Key!.pk === 'CONTACT#a')!.args[0].input;
    const added = Object.fromEntries(
      [...a.UpdateExpression!.matchAll(/#a(\d+) :a\1/g)].map(([, i]) => [a.ExpressionAttributeNames![`#a${i}`], a.ExpressionAttributeValues![`:a${i}`]]),
    );
    // sms_delivered nets to zero on a new item and is not written at all.
    expect(added).toEqual({ sms_sent: 2 });
    expect(a.ExpressionAttributeValues![':wm']).toEqual({ 'CONTACT#a': { s: '103', t: NOW / 1000 } });
    expect(a.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(result.created).toHaveLength(2);
  });

  it('skips records at or below the stored watermark and conditions the write on it', async () => {
    stored([{ pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: { 'CONTACT#a': { s: '102', t: NOW / 1000 } } }]);
    ddbMock.on(UpdateCommand).resolves({});
    const result = await applyCounterDeltas([aDelta({ seq: '101' }), aDelta({ seq: '102' }), aDelta({ seq: '103', add: { sms_sent: 5 } })], { now: () => NOW });
    const input = ddbMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(Object.values(input.ExpressionAttributeValues!)).toContain(5);
    expect(Object.values(input.ExpressionAttributeValues!)).not.toContain(7);
    expect(input.ConditionExpression).toContain('#wm.#w0.s = :p0');
    expect(input.ExpressionAttributeValues![':p0']).toBe('102');
    expect(result.created).toHaveLength(0);
  });

  it('does not write at all when the whole batch was already applied (a replay)', async () => {
    stored([{ pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: { 'CONTACT#a': { s: '103', t: NOW / 1000 } } }]);
    const result = await applyCounterDeltas([aDelta({ seq: '101' }), aDelta({ seq: '103' })]);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(result.stats.skippedKeys).toBe(1);
    expect(result.failedRecordIds).toEqual([]);
  });

  it('compares sequence numbers as numbers, not strings', () => {
    expect(seqAfter('1000', '999')).toBe(true);
    expect(seqAfter('999', '1000')).toBe(false);
    expect(seqAfter('49000000000000000000000000001', '4900000000000000000000000000')).toBe(true);
    expect(seqAfter('5', undefined)).toBe(true);
  });

  it('re-reads and retries a key whose watermark changed under it', async () => {
    stored([{ pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: { 'CONTACT#a': { s: '100', t: 1 } } }]);
    ddbMock.on(GetCommand).resolves({ Item: { pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: { 'CONTACT#a': { s: '101', t: 1 } } } });
    ddbMock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    const result = await applyCounterDeltas([aDelta({ seq: '101', add: { sms_sent: 1 } }), aDelta({ seq: '102', add: { sms_sent: 10 } })]);
    const calls = ddbMock.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(2);
    // Second attempt: record 101 was applied by the other writer, only 102 remains.
    const retry = calls[1].args[0].input;
    expect(Object.values(retry.ExpressionAttributeValues!)).toContain(10);
    expect(Object.values(retry.ExpressionAttributeValues!)).not.toContain(11);
    expect(retry.ExpressionAttributeValues![':p0']).toBe('101');
    expect(result.stats.conditionRetries).toBe(1);
    expect(result.failedRecordIds).toEqual([]);
  });

  it('reports the records of a key that keeps failing and still writes the other keys', async () => {
    stored([]);
    ddbMock.on(GetCommand).resolves({});
    ddbMock.on(UpdateCommand, { Key: { pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10' } }).rejects(conditionFailed());
    ddbMock.on(UpdateCommand, { Key: { pk: 'CONTACT#b', sk: 'P#ENGD#2026-01-10' } }).resolves({});
    const result = await applyCounterDeltas(
      [aDelta({ seq: '1', recordId: 'r1' }), aDelta({ seq: '2', recordId: 'r2' }), aDelta({ key: { pk: 'CONTACT#b', sk: 'P#ENGD#2026-01-10' }, source: 'CONTACT#b', recordId: 'r3' })],
      { maxAttempts: 3 },
    );
    expect(result.failedRecordIds.sort()).toEqual(['r1', 'r2']);
    expect(result.written).toEqual([{ pk: 'CONTACT#b', sk: 'P#ENGD#2026-01-10' }]);
    expect(result.stats.failedKeys).toBe(1);
  });

  it('never re-creates a deleted counter item from subtractions alone', async () => {
    stored([]);
    const result = await applyCounterDeltas([aDelta({ add: { sms_sent: -1, sms_delivered: -1 } })]);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(result.failedRecordIds).toEqual([]);
  });

  it('creates a missing per-contact item whose deltas cancel out as an expiring tombstone with their watermark, so a re-cut retry of part of them changes nothing', async () => {
    // +1 then -1 of one contact in one batch that another processor fails after the +1: the retry
    // starts after it, in other cuts, and a replay may hand over the +1 alone.
    stored([]);
    ddbMock.on(UpdateCommand).resolves({ Attributes: { pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: {}, expiresAt: NOW / 1000 + 60 } });
    const key = { pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10' };
    const plus = aDelta({ key, seq: '10', recordId: '10', add: { sms_sent: 1 } });
    const minus = aDelta({ key, seq: '11', recordId: '11', add: { sms_sent: -1 } });
    await applyCounterDeltas([plus, minus], { now: () => NOW, tombstoneSeconds: 60 });
    const calls = ddbMock.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.UpdateExpression).not.toMatch(/ADD/);
    expect(input.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input.ExpressionAttributeValues![':wm']).toEqual({ [key.pk]: { s: '11', t: NOW / 1000 } });
    expect(input.ExpressionAttributeValues![':x']).toBe(NOW / 1000 + 60);
    ddbMock.reset();
    stored([{ ...key, wm: input.ExpressionAttributeValues![':wm'], sms_sent: 0, expiresAt: NOW / 1000 + 60 }]);
    forgetCounterItems();
    const retried = await applyCounterDeltas([plus], { now: () => NOW, tombstoneSeconds: 60 });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(retried.stats.skippedKeys).toBe(1);
  });

  it('records the watermarks of a new item fed by several sources even when their deltas cancel out', async () => {
    // Lane 1 adds what lane 2 subtracts in the same batch: a replay of lane 1's record alone must be recognised later.
    stored([]);
    ddbMock.on(UpdateCommand).resolves({});
    const key = { pk: 'ANDAY', sk: '2026-01-10' };
    const deltas = [
      aDelta({ key, source: 'ANLANE#1', seq: '10', recordId: '10', add: { b: 1 } }),
      aDelta({ key, source: 'ANLANE#2', seq: '11', recordId: '11', add: { b: -1 } }),
    ];
    await applyCounterDeltas(deltas, { now: () => NOW, allowNegative: true });
    const input = ddbMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).not.toMatch(/ADD/);
    expect(input.ExpressionAttributeValues![':wm']).toEqual({ 'ANLANE#1': { s: '10', t: NOW / 1000 }, 'ANLANE#2': { s: '11', t: NOW / 1000 } });
    ddbMock.reset();
    stored([{ ...key, wm: input.ExpressionAttributeValues![':wm'] }]);
    forgetCounterItems();
    await applyCounterDeltas([deltas[0]], { now: () => NOW, allowNegative: true });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('keeps a per-contact item whose counters reach zero as an expiring tombstone, and unmarks it when it counts again', async () => {
    stored([{ pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: { 'CONTACT#a': { s: '5', t: NOW / 1000 } } }]);
    ddbMock.on(UpdateCommand).resolvesOnce({ Attributes: { pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', sms_sent: 0, sms_delivered: 0 } }).resolves({});
    const result = await applyCounterDeltas([aDelta({ seq: '6', add: { sms_sent: -1, sms_delivered: -1 } })], { now: () => NOW, tombstoneSeconds: 3 * 86_400 });
    const [write, mark] = ddbMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(write.ReturnValues).toBe('ALL_NEW');
    expect(write.UpdateExpression).toMatch(/REMOVE #x$/);
    expect(write.ExpressionAttributeNames!['#x']).toBe('expiresAt');
    expect(mark.UpdateExpression).toBe('SET #x = :x');
    expect(mark.ExpressionAttributeValues![':x']).toBe(NOW / 1000 + 3 * 86_400);
    // Only while nothing changed in between: every counter still zero, the watermark still this write's.
    expect(mark.ConditionExpression).toBe('#c0 = :zero AND #c1 = :zero AND #wm.#w0.s = :w0');
    expect(mark.ExpressionAttributeValues![':w0']).toBe('6');
    expect(result.stats).toMatchObject({ writes: 1, tombstones: 1 });
  });

  it('advances the watermark of an existing item even when its deltas net to zero', async () => {
    stored([{ pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: { 'CONTACT#a': { s: '5', t: NOW / 1000 } } }]);
    ddbMock.on(UpdateCommand).resolves({});
    await applyCounterDeltas([aDelta({ seq: '6', add: { sms_sent: 1 } }), aDelta({ seq: '7', add: { sms_sent: -1 } })], { now: () => NOW });
    const input = ddbMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toBe('SET #wm.#w0 = :w0');
    expect(input.ExpressionAttributeValues![':w0']).toEqual({ s: '7', t: NOW / 1000 });
  });

  it('prunes watermarks older than the retention, conditioned on their value', async () => {
    const old = NOW / 1000 - 3 * 86_400;
    stored([{ pk: 'AGG#d', sk: '#', wm: { 'CONTACT#gone': { s: '9', t: old }, 'CONTACT#a': { s: '1', t: NOW / 1000 } } }]);
    ddbMock.on(UpdateCommand).resolves({});
    await applyCounterDeltas([aDelta({ key: { pk: 'AGG#d', sk: '#' }, seq: '2' })], { now: () => NOW });
    const input = ddbMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toContain('REMOVE #wm.#r0');
    expect(input.ExpressionAttributeNames!['#r0']).toBe('CONTACT#gone');
    expect(input.ConditionExpression).toContain('#wm.#r0.s = :r0');
  });

  it('reads watermarks in BatchGets of at most 100 keys and retries unprocessed keys', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => ({ pk: `CONTACT#${i}`, sk: 'P#ENG#SUMMARY' }));
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { unit: [] }, UnprocessedKeys: { unit: { Keys: [keys[0]] } } })
      .resolves({ Responses: { unit: [] } });
    ddbMock.on(UpdateCommand).resolves({});
    const seen: number[] = [];
    const stop = onCounterBatch((stats) => seen.push(stats.writes));
    const result = await applyCounterDeltas(keys.map((key, i) => aDelta({ key, source: key.pk, seq: String(i + 1), recordId: String(i) })));
    stop();
    const batchGets = ddbMock.commandCalls(BatchGetCommand);
    // Calls run side by side, so the retry of the first may come after the second.
    expect(batchGets.map((c) => c.args[0].input.RequestItems!.unit.Keys!.length).sort((a, b) => a - b)).toEqual([1, 50, 100]);
    expect(batchGets.every((c) => c.args[0].input.RequestItems!.unit.ConsistentRead === true)).toBe(true);
    expect(result.stats.writes).toBe(150);
    expect(seen).toEqual([150]);
  });

  it('fails every record when the watermarks cannot be read', async () => {
    ddbMock.on(BatchGetCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    const result = await applyCounterDeltas([aDelta({ recordId: 'x' }), aDelta({ recordId: 'y', seq: '101' })]);
    expect(result.failedRecordIds.sort()).toEqual(['x', 'y']);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('does not read again an item it wrote itself, and conditions the next write on the watermark it left', async () => {
    stored([{ pk: 'CONTACT#a', sk: 'P#ENGD#2026-01-10', wm: { 'CONTACT#a': { s: '100', t: 1 }, 'CONTACT#z': { s: '5', t: 1 } } }]);
    ddbMock.on(UpdateCommand).resolves({});
    await applyCounterDeltas([aDelta({ seq: '101' })], { now: () => NOW });
    await applyCounterDeltas([aDelta({ seq: '102', recordId: '102' })], { now: () => NOW });
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(1);
    const second = ddbMock.commandCalls(UpdateCommand)[1].args[0].input;
    expect(second.ExpressionAttributeValues![':p0']).toBe('101');
    expect(second.ConditionExpression).toContain('#wm.#w0.s = :p0');
  });

  it('meets a stale remembered item with a failed condition, reads it and applies only what is left', async () => {
    stored([]);
    ddbMock.on(UpdateCommand).resolves({});
    await applyCounterDeltas([aDelta({ seq: '101' })], { now: () => NOW });
    // Meanwhile the window roll deleted the day: the remembered item is gone.
    ddbMock.reset();
    ddbMock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    ddbMock.on(GetCommand).resolves({});
    const indexed: string[] = [];
    const result = await applyCounterDeltas([aDelta({ seq: '102', recordId: '102' })], { now: () => NOW, beforeCreate: async (keys) => void indexed.push(...keys.map((k) => k.sk)) });
    const calls = ddbMock.commandCalls(UpdateCommand);
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(calls).toHaveLength(2);
    expect(calls[0].args[0].input.ConditionExpression).toContain('attribute_exists(pk)');
    expect(calls[1].args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
    // Re-created, so indexed again before the write.
    expect(indexed).toEqual(['P#ENGD#2026-01-10']);
    expect(result.failedRecordIds).toEqual([]);
  });
});
