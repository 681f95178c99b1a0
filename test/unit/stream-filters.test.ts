import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as keys from '../../functions/data/keys.js';
import { passesFilters, STREAM_FILTERS, type FilterPattern } from '../../functions/streams/filters.js';
import { STREAM_PROCESSORS } from '../../functions/streams/registry.js';

/**
 * The event source mapping's filter criteria drop records before batching:
 * a record some processor claims but the filters drop would never be
 * counted. Every key shape of the table, with each event name, is checked
 * against every processor's `claims`.
 */
const C = '01JCONTACT0000000000000000';
const keyShapes: Record<string, { pk: string; sk: string }> = {
  profile: keys.contactKey(C),
  channel: keys.channelKey(C, 'sms'),
  listMember: keys.listMemberKey(C, 'L1'),
  tagMember: keys.tagMemberKey(C, 'T1'),
  engagementDay: keys.engagementDayKey(C, '2026-12-05'),
  engagementSummary: keys.engagementSummaryKey(C),
  message: keys.messageKey(C, 'm1'),
  conversation: keys.conversationKey(C, 'c1'),
  dispatch: keys.dispatchKey(C, 'd1'),
  dispatchMergeMarker: keys.dispatchMergeMarkerKey(C),
  mergedAlias: keys.mergedAliasKey(C),
  mergeMarker: keys.mergeMarkerKey(C),
  activity: keys.contactActivityKey(C),
  laneActivity: keys.analyticsStateKey(C),
  lane: keys.analyticsLaneKey(3),
  analyticsNode: keys.analyticsNodeKey('n1'),
  analyticsDay: keys.analyticsDayKey('2026-12-05'),
  analyticsMonth: keys.analyticsMonthKey('2026-12'),
  analyticsGeo: keys.analyticsGeoKey(),
  activeDay: keys.activeDayKey('2026-12-05', C),
  eventMarker: keys.eventMarkerKey('evt-1'),
  list: keys.listKey('L1'),
  tag: keys.tagKey('T1'),
  tagName: keys.tagNameKey('vip'),
  catalog: keys.catalogKey('company', 'CO1'),
  catalogMember: keys.catalogMemberKey('company', 'CO1', C),
  job: keys.jobKey('J1'),
  suggestion: keys.suggestionKey('phone:+5511999999999'),
  merge: keys.mergeKey('M1'),
  mergeLock: keys.mergeLockKey(C),
  apiKey: keys.apiKeyKey('K1'),
  rollState: keys.rollStateKey('engagement-window'),
};

/** Images that make image-dependent claims true (a profile whose company and phone changed). */
function record(key: { pk: string; sk: string }, eventName: 'INSERT' | 'MODIFY' | 'REMOVE'): DynamoDBRecord {
  const before = { ...key, type: 'contact', id: C, companyId: 'CO1', phone: '+5511999999999' };
  const after = { ...key, type: 'contact', id: C, companyId: 'CO2', phone: '+5511888888888' };
  return {
    eventName,
    dynamodb: {
      Keys: marshall(key) as never,
      SequenceNumber: '100',
      ...(eventName !== 'INSERT' ? { OldImage: marshall(before) as never } : {}),
      ...(eventName !== 'REMOVE' ? { NewImage: marshall(after) as never } : {}),
    },
  };
}

const EVENTS = ['INSERT', 'MODIFY', 'REMOVE'] as const;

describe('stream filter criteria', () => {
  it('let through every record some processor claims', () => {
    let claimed = 0;
    for (const [shape, key] of Object.entries(keyShapes)) {
      for (const eventName of EVENTS) {
        const r = record(key, eventName);
        const claimers = STREAM_PROCESSORS.filter((p) => p.claims(r)).map((p) => p.name);
        if (claimers.length === 0) continue;
        claimed++;
        expect(passesFilters(r), `${shape} ${eventName} is claimed by ${claimers.join(', ')}`).toBe(true);
      }
    }
    // Profiles, merged aliases, history items and lanes, with their event names.
    expect(claimed).toBeGreaterThanOrEqual(12);
  });

  it("keep the processors' own output out of the function", () => {
    for (const shape of ['engagementDay', 'engagementSummary', 'activeDay', 'eventMarker', 'analyticsDay', 'analyticsNode', 'listMember', 'channel']) {
      for (const eventName of EVENTS) expect(passesFilters(record(keyShapes[shape], eventName)), `${shape} ${eventName}`).toBe(false);
    }
    // A state where states lived before lanes is read only when carried over; its removal then is nobody's input.
    for (const eventName of EVENTS) expect(passesFilters(record(keyShapes.activity, eventName)), `activity ${eventName}`).toBe(false);
    // States in their lanes feed hop 2 when written; their expiry (a tombstone's TTL) does not.
    expect(passesFilters(record(keyShapes.laneActivity, 'INSERT'))).toBe(true);
    expect(passesFilters(record(keyShapes.laneActivity, 'MODIFY'))).toBe(true);
    expect(passesFilters(record(keyShapes.laneActivity, 'REMOVE'))).toBe(false);
    for (const eventName of EVENTS) expect(passesFilters(record(keyShapes.mergedAlias, eventName)), `mergedAlias ${eventName}`).toBe(true);
  });

  it('match as Lambda does: exact values, prefixes, fields of one pattern together, patterns as alternatives', () => {
    const patterns: FilterPattern[] = [{ eventName: ['REMOVE'], dynamodb: { Keys: { sk: { S: ['A'] } } } }, { dynamodb: { Keys: { pk: { S: [{ prefix: 'X#' }] } } } }];
    const r = (eventName: string, pk: string, sk: string) => ({ eventName, dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } } } });
    expect(passesFilters(r('REMOVE', 'P', 'A'), patterns)).toBe(true);
    expect(passesFilters(r('MODIFY', 'P', 'A'), patterns)).toBe(false);
    expect(passesFilters(r('REMOVE', 'P', 'AB'), patterns)).toBe(false);
    expect(passesFilters(r('INSERT', 'X#1', 'B'), patterns)).toBe(true);
    expect(passesFilters(r('INSERT', 'Y#X#1', 'B'), patterns)).toBe(false);
    expect(passesFilters({ eventName: 'INSERT' }, patterns)).toBe(false);
    expect(STREAM_FILTERS.length).toBeLessThanOrEqual(5);
  });
});
