import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { refreshBandSnapshot } from '../../functions/engagement/band-snapshot.js';
import { useMockedTable } from '../support/mocked-table.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-03-10T12:00:00Z');

beforeAll(() => useMockedTable({ TENANT_TIMEZONE: 'UTC' }));
afterEach(() => ddbMock.reset());

const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
const profile = (extra: Record<string, unknown> = {}) => ({ pk: 'CONTACT#c', sk: 'P#PROFILE', type: 'contact', id: 'c', ...extra });
/** A profile written before the band item existed: it carries the snapshot itself. */
const legacyProfile = (band: string) => profile({ band, gsi7pk: `BAND#${band}`, gsi7sk: 'c' });
const bandItem = (band: string) => ({ pk: 'CONTACT#c', sk: 'P#BAND', type: 'contactBand', contactId: 'c', band, gsi7pk: `BAND#${band}`, gsi7sk: 'c' });
/** 4 of 5 delivered SMS engaged: 80%, "very high". */
const engagedDay = { pk: 'CONTACT#c', sk: 'P#ENGD#2026-03-09', type: 'engagementDay', date: '2026-03-09', sms_sent: 5, sms_delivered: 5, sms_engaged: 4 };

describe('refreshBandSnapshot', () => {
  it('moves the band item alone (never the profile), conditioned on the band it replaces, after one Query', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [bandItem('low'), { pk: 'CONTACT#c', sk: 'P#CH#sms' }, engagedDay, { pk: 'CONTACT#c', sk: 'P#LIST#l1' }, profile()] });
    ddbMock.on(PutCommand).resolves({});
    expect(await refreshBandSnapshot('c', NOW)).toBe('updated');
    const query = ddbMock.commandCalls(QueryCommand)[0].args[0].input;
    // The band item, the counters (P#ENG...) and the profile: one range of the contact's collection (functions/data/contact-band.ts).
    expect(query.KeyConditionExpression).toBe('#qp = :qp AND #qs BETWEEN :qa AND :qb');
    expect(query.ExpressionAttributeNames).toEqual({ '#qp': 'pk', '#qs': 'sk' });
    expect(query.ExpressionAttributeValues).toEqual({ ':qp': 'CONTACT#c', ':qa': 'P#BAND', ':qb': 'P#PROFILE' });
    expect(query.ConsistentRead).toBe(true);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    const puts = ddbMock.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0].args[0].input;
    // A small item of its own: band, contact id, type and its byBand entry; nothing the other indexes project.
    expect(input.Item).toEqual({ pk: 'CONTACT#c', sk: 'P#BAND', type: 'contactBand', contactId: 'c', band: 'very_high', gsi7pk: 'BAND#very_high', gsi7sk: 'c' });
    expect(input.ConditionExpression).toBe('band = :prev');
    expect(input.ExpressionAttributeValues).toEqual({ ':prev': 'low' });
  });

  it('writes nothing when the band has not moved, and answers gone without a profile or with a binned one', async () => {
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [bandItem('very_high'), engagedDay, profile()] })
      .resolvesOnce({ Items: [engagedDay] })
      .resolvesOnce({ Items: [bandItem('very_high'), engagedDay, profile({ type: 'binnedContact' })] });
    expect(await refreshBandSnapshot('c', NOW)).toBe('unchanged');
    expect(await refreshBandSnapshot('c', NOW)).toBe('gone');
    // A binned contact's band item stays: listings join with live profiles, and a restore refreshes it.
    expect(await refreshBandSnapshot('c', NOW)).toBe('gone');
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('deletes the band item of a contact that is gone (merged away, purged)', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [bandItem('high'), engagedDay] });
    ddbMock.on(DeleteCommand).resolves({});
    expect(await refreshBandSnapshot('c', NOW)).toBe('gone');
    const input = ddbMock.commandCalls(DeleteCommand)[0].args[0].input;
    expect(input.Key).toEqual({ pk: 'CONTACT#c', sk: 'P#BAND' });
    expect(input.ConditionExpression).toBe('band = :prev');
  });

  it('reads again when another refresh moved the band first, and then leaves the newer band alone', async () => {
    ddbMock.on(QueryCommand).resolvesOnce({ Items: [engagedDay, profile()] }).resolvesOnce({ Items: [bandItem('very_high'), engagedDay, profile()] });
    ddbMock.on(PutCommand).rejectsOnce(conditionFailed());
    expect(await refreshBandSnapshot('c', NOW)).toBe('unchanged');
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(2);
    const puts = ddbMock.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0].args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('deletes the band item when no delivered message is left in the window', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [bandItem('high'), profile()] });
    ddbMock.on(DeleteCommand).resolves({});
    expect(await refreshBandSnapshot('c', NOW)).toBe('updated');
    const input = ddbMock.commandCalls(DeleteCommand)[0].args[0].input;
    expect(input.Key).toEqual({ pk: 'CONTACT#c', sk: 'P#BAND' });
    expect(input.ExpressionAttributeValues).toEqual({ ':prev': 'high' });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('moves a profile written before band items: the band item first, then the old attributes off the profile, once', async () => {
    ddbMock.on(QueryCommand).resolvesOnce({ Items: [engagedDay, legacyProfile('very_high')] }).resolvesOnce({ Items: [bandItem('very_high'), engagedDay, profile()] });
    ddbMock.on(PutCommand).resolves({});
    ddbMock.on(UpdateCommand).resolves({});
    expect(await refreshBandSnapshot('c', NOW)).toBe('updated');
    expect(ddbMock.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ sk: 'P#BAND', band: 'very_high' });
    const update = ddbMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(update.Key).toEqual({ pk: 'CONTACT#c', sk: 'P#PROFILE' });
    expect(update.UpdateExpression).toBe('REMOVE band, gsi7pk, gsi7sk');
    expect(update.ConditionExpression).toBe('#ct_type = :ct_contact AND (attribute_exists(band) OR attribute_exists(gsi7pk) OR attribute_exists(gsi7sk))');
    // The next refresh finds nothing to do.
    expect(await refreshBandSnapshot('c', NOW)).toBe('unchanged');
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(1);
  });
});
