import { describe, expect, it } from 'vitest';
import { dayNumber } from '../../shared/analytics.js';
import {
  aggregateChange,
  applyHistoryChange,
  applyProfileChange,
  conversationFacts,
  convertedDays,
  emptyActivity,
  messageFacts,
  type ContactActivity,
} from '../../functions/analytics/contact-activity.js';
import { geoKeyOf, parseGeoKey } from '../../functions/analytics/geography.js';
import type { ConversationItem, MessageItem } from '../../functions/engagement/items.js';

const SP = 'America/Sao_Paulo';
/** A state item as the stream hands it over. */
const img = (item: MessageItem | ConversationItem) => item as unknown as Record<string, unknown>;
const d = (day: string) => String(dayNumber(day));

function aMessage(fields: Partial<MessageItem>): MessageItem {
  return {
    pk: 'CONTACT#c1',
    sk: 'H#MSG#m1',
    type: 'message',
    contactId: 'c1',
    messageId: 'm1',
    channel: 'whatsapp',
    broadcast: true,
    stages: { sent: '2026-03-10T12:00:00.000Z' },
    firstAt: '2026-03-10T12:00:00.000Z',
    version: 1,
    updatedAt: '2026-03-10T12:00:00.000Z',
    ...fields,
  };
}

function aConversation(fields: Partial<ConversationItem>): ConversationItem {
  return {
    pk: 'CONTACT#c1',
    sk: 'H#CONV#v1',
    type: 'conversation',
    contactId: 'c1',
    conversationId: 'v1',
    kind: 'sales',
    status: 'open',
    openedAt: '2026-03-12T15:00:00.000Z',
    firstAt: '2026-03-12T15:00:00.000Z',
    hours: {},
    contactMessages: 0,
    agentMessages: 0,
    version: 1,
    updatedAt: '2026-03-12T15:00:00.000Z',
    ...fields,
  };
}

describe('what a message counts for', () => {
  it('counts a message on the day of its earliest event in the tenant timezone', () => {
    const facts = messageFacts(aMessage({ stages: { sent: '2026-03-11T02:00:00.000Z' }, firstAt: '2026-03-11T02:00:00.000Z' }), SP);
    expect(facts.days.ms).toEqual({ [d('2026-03-10')]: 1 });
    expect(facts.days.rc).toEqual({ [d('2026-03-10')]: 1 });
  });

  it('applies stage implications per channel for the funnel', () => {
    const email = messageFacts(aMessage({ channel: 'email', broadcast: false, stages: { clicked: '2026-03-10T12:00:00.000Z' } }), SP);
    expect(Object.keys(email.days).sort()).toEqual(['ck', 'dl', 'ms', 'rd']);
    const sms = messageFacts(aMessage({ channel: 'sms', stages: { read: '2026-03-10T12:00:00.000Z', replied: '2026-03-10T13:00:00.000Z' } }), SP);
    expect(Object.keys(sms.days).sort()).toEqual(['dl', 'ms', 'rc', 'rp']); // sms has no read stage
    const failed = messageFacts(aMessage({ stages: { failed: '2026-03-10T12:00:00.000Z' } }), SP);
    expect(Object.keys(failed.days).sort()).toEqual(['ms', 'rc']); // a failed broadcast was still sent
  });

  it('puts each event in the month it happened in the tenant timezone', () => {
    const facts = messageFacts(aMessage({ stages: { sent: '2026-03-01T02:00:00.000Z', read: '2026-03-01T04:00:00.000Z' }, firstAt: '2026-03-01T02:00:00.000Z' }), SP);
    expect(facts.months).toEqual({ '2026-02': 1, '2026-03': 1 });
  });
});

describe('what a conversation counts for', () => {
  it('counts a ticket opened on the day of its earliest open status, by kind', () => {
    expect(conversationFacts(aConversation({ firstAt: '2026-03-11T10:00:00.000Z' }), SP).days).toEqual({ sl: { [d('2026-03-12')]: 1 } });
    expect(conversationFacts(aConversation({ kind: 'support' }), SP).days).toEqual({ sp: { [d('2026-03-12')]: 1 } });
    expect(conversationFacts(aConversation({ kind: undefined, status: undefined, openedAt: undefined }), SP).days).toEqual({});
  });

  it('puts sales messages in the heatmap by the local weekday and hour they were sent', () => {
    const facts = conversationFacts(aConversation({ hours: { '2026-03-12T15': { contact: 1, agent: 2 }, '2026-03-13T02': { contact: 1 } } }), SP);
    expect(facts.salesHours).toEqual({ [`${d('2026-03-12')}:12`]: 3, [`${d('2026-03-12')}:23`]: 1 });
    expect(conversationFacts(aConversation({ kind: 'support', hours: { '2026-03-12T15': { contact: 1 } } }), SP).salesHours).toEqual({});
  });
});

describe('journey conversions', () => {
  const withTimes = (broadcasts: string[], opens: string[]): ContactActivity => {
    const activity = emptyActivity();
    for (const at of broadcasts) activity.broadcasts[String(Date.parse(at) / 1000)] = 1;
    for (const at of opens) activity.salesOpened[String(Date.parse(at) / 1000)] = 1;
    return activity;
  };

  it('converts a broadcast followed by a sales conversation within 7 days, the boundary included', () => {
    expect(convertedDays(withTimes(['2026-03-10T12:00:00Z'], ['2026-03-17T12:00:00Z']), SP)).toEqual([dayNumber('2026-03-10')]);
    expect(convertedDays(withTimes(['2026-03-10T12:00:00Z'], ['2026-03-17T12:00:01Z']), SP)).toEqual([]);
  });

  it('does not convert a broadcast sent after the sales conversation', () => {
    expect(convertedDays(withTimes(['2026-03-10T12:00:00Z'], ['2026-03-10T11:59:59Z']), SP)).toEqual([]);
  });
});

describe('contact base and geography', () => {
  it('joins on the creation day, leaves on the deletion day and comes back on its own day', () => {
    const activity = emptyActivity();
    const created = { type: 'contact', createdAt: '2026-03-05T02:30:00.000Z', phone: '+5511987650001' };
    applyProfileChange(activity, created, Date.parse('2026-03-06T12:00:00Z'), SP);
    expect(activity.base).toEqual({ [d('2026-03-04')]: 1 });
    applyProfileChange(activity, undefined, Date.parse('2026-03-20T12:00:00Z'), SP);
    expect(activity.base).toEqual({ [d('2026-03-04')]: 1, [d('2026-03-20')]: -1 });
    applyProfileChange(activity, created, Date.parse('2026-03-25T12:00:00Z'), SP);
    expect(activity.base).toEqual({ [d('2026-03-04')]: 1, [d('2026-03-20')]: -1, [d('2026-03-25')]: 1 });
  });

  it('maps Brazilian phones to the state of their DDD and others to their country', () => {
    expect(geoKeyOf({ phone: '+5511987650001' })).toBe('BR:SP');
    expect(geoKeyOf({ phone: '+556133334444' })).toBe('BR:DF');
    expect(geoKeyOf({ phone: '+552033334444' })).toBe('BR:'); // DDD 20 is not assigned
    expect(geoKeyOf({ phone: '+14155550100' })).toBe('US:');
    expect(geoKeyOf({ phone: '+16135550100' })).toBe('CA:');
    expect(geoKeyOf({ phone: '+351912345678', country: 'BR' })).toBe('PT:');
    expect(geoKeyOf({ email: 'x@example.com' } as never)).toBeUndefined();
    expect(parseGeoKey('BR:')).toEqual({ country: 'BR', state: null });
    expect(parseGeoKey('BR:RJ')).toEqual({ country: 'BR', state: 'RJ' });
  });
});

describe('aggregate changes', () => {
  it('counts a month once per contact and moves the map with the phone', () => {
    const before = emptyActivity();
    applyProfileChange(before, { type: 'contact', createdAt: '2026-03-01T12:00:00Z', phone: '+5511987650001' }, 0, SP);
    const after = structuredClone(before);
    applyHistoryChange(after, undefined, img(aMessage({})), SP);
    applyHistoryChange(after, undefined, img(aMessage({ messageId: 'm2', firstAt: '2026-03-11T12:00:00.000Z', stages: { sent: '2026-03-11T12:00:00.000Z' } })), SP);
    applyProfileChange(after, { type: 'contact', createdAt: '2026-03-01T12:00:00Z', phone: '+5521987650001' }, 0, SP);
    const change = aggregateChange(before, after, SP);
    expect(change.get('M:2026-03')).toEqual({ c: 1 });
    expect(change.get('G')).toEqual({ 'BR:SP': -1, 'BR:RJ': 1 });
    expect(change.get('D:2026-03-10')).toEqual({ b: 1 });
    expect(change.get('D:2026-03-11')).toEqual({ b: 1 });
  });

  it('nets to nothing when a change is undone', () => {
    const before = emptyActivity();
    const after = structuredClone(before);
    applyHistoryChange(after, undefined, img(aConversation({ hours: { '2026-03-12T15': { agent: 1 } } })), SP);
    applyHistoryChange(after, img(aConversation({ hours: { '2026-03-12T15': { agent: 1 } } })), undefined, SP);
    expect(aggregateChange(before, after, SP).size).toBe(0);
  });

  it('counts only the base history of a contact that left the base, and its activity again when it comes back', () => {
    const activity = emptyActivity();
    applyProfileChange(activity, { type: 'contact', createdAt: '2026-03-01T12:00:00Z', phone: '+5511987650001' }, 0, SP);
    applyHistoryChange(activity, undefined, img(aMessage({})), SP);
    const left = structuredClone(activity);
    applyProfileChange(left, undefined, Date.parse('2026-03-20T12:00:00Z'), SP);
    // Its history leaving afterwards (a purge) changes nothing more.
    const purged = structuredClone(left);
    applyHistoryChange(purged, img(aMessage({})), undefined, SP);
    expect(aggregateChange(left, purged, SP).size).toBe(0);
    const back = structuredClone(left);
    applyProfileChange(back, { type: 'contact', createdAt: '2026-03-01T12:00:00Z', phone: '+5511987650001' }, Date.parse('2026-03-25T12:00:00Z'), SP);
    const returned = aggregateChange(left, back, SP);
    expect(returned.get('D:2026-03-25')).toEqual({ bs: 1 });
    expect(returned.get('G')).toEqual({ 'BR:SP': 1 });
    expect([...returned.keys()].some((id) => id.startsWith('N:'))).toBe(true);
    const change = aggregateChange(activity, left, SP);
    expect(change.get('D:2026-03-20')).toEqual({ bs: -1 });
    expect(change.get('D:2026-03-01')).toBeUndefined();
    expect(change.get('G')).toEqual({ 'BR:SP': -1 });
    expect(change.get('M:2026-03')).toEqual({ c: -1, bs: -1 });
    expect([...change.keys()].some((id) => id.startsWith('N:'))).toBe(true);
  });
});
