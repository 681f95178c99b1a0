import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { refreshBandSnapshot } from '../../functions/engagement/band-snapshot.js';
import { useMockedTable } from '../support/mocked-table.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-03-10T12:00:00Z');

beforeAll(() => useMockedTable({ TENANT_TIMEZONE: 'UTC' }));
afterEach(() => ddbMock.reset());

const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
const profile = (band?: string) => ({ pk: 'CONTACT#c', sk: 'P#PROFILE', type: 'contact', id: 'c', ...(band ? { band } : {}) });
/** 4 of 5 delivered SMS engaged: 80%, "very high". */
const engagedDay = { pk: 'CONTACT#c', sk: 'P#ENGD#2026-03-09', type: 'engagementDay', date: '2026-03-09', sms_sent: 5, sms_delivered: 5, sms_engaged: 4 };

describe('refreshBandSnapshot', () => {
  it('moves the band on the profile alone, conditioned on the band it replaces, after one Query', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [engagedDay, { pk: 'CONTACT#c', sk: 'P#LIST#l1' }, profile('low')] });
    ddbMock.on(UpdateCommand).resolves({});
    expect(await refreshBandSnapshot('c', NOW)).toBe('updated');
    const query = ddbMock.commandCalls(QueryCommand)[0].args[0].input;
    // The contact's counters (P#ENG...) up to its profile, one range of its collection (functions/data/engagement-state.ts).
    expect(query.KeyConditionExpression).toBe('#qp = :qp AND #qs BETWEEN :qa AND :qb');
    expect(query.ExpressionAttributeNames).toEqual({ '#qp': 'pk', '#qs': 'sk' });
    expect(query.ExpressionAttributeValues).toEqual({ ':qp': 'CONTACT#c', ':qa': 'P#ENG', ':qb': 'P#PROFILE' });
    expect(query.ConsistentRead).toBe(true);
    const updates = ddbMock.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(1);
    const input = updates[0].args[0].input;
    expect(input.Key).toEqual({ pk: 'CONTACT#c', sk: 'P#PROFILE' });
    // A contact, not one in the recycle bin: a bin between the read and the write leaves its band alone.
    expect(input.ConditionExpression).toBe('#ct_type = :ct_contact AND band = :prev');
    expect(input.ExpressionAttributeNames).toEqual({ '#ct_type': 'type' });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':ct_contact': 'contact', ':prev': 'low', ':band': 'very_high', ':gpk': 'BAND#very_high' });
  });

  it('writes nothing when the band has not moved, and answers gone without a profile', async () => {
    ddbMock.on(QueryCommand).resolvesOnce({ Items: [engagedDay, profile('very_high')] }).resolvesOnce({ Items: [engagedDay] });
    expect(await refreshBandSnapshot('c', NOW)).toBe('unchanged');
    expect(await refreshBandSnapshot('c', NOW)).toBe('gone');
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('reads again when another refresh moved the band first, and then leaves the newer band alone', async () => {
    ddbMock.on(QueryCommand).resolvesOnce({ Items: [engagedDay, profile()] }).resolvesOnce({ Items: [engagedDay, profile('very_high')] });
    ddbMock.on(UpdateCommand).rejectsOnce(conditionFailed());
    expect(await refreshBandSnapshot('c', NOW)).toBe('unchanged');
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(2);
    const updates = ddbMock.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0].args[0].input.ConditionExpression).toBe('#ct_type = :ct_contact AND attribute_not_exists(band)');
  });

  it('removes the band and its index attributes when no delivered message is left in the window', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [profile('high')] });
    ddbMock.on(UpdateCommand).resolves({});
    expect(await refreshBandSnapshot('c', NOW)).toBe('updated');
    const input = ddbMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toBe('REMOVE band, gsi7pk, gsi7sk');
    expect(input.ExpressionAttributeValues).toEqual({ ':ct_contact': 'contact', ':prev': 'high' });
  });
});
