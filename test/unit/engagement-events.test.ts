import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contributionChange, contributionOf } from '../../functions/engagement/contributions.js';
import type { ConversationItem, MessageItem } from '../../functions/engagement/items.js';
import { applyEvent, type StateItem } from '../../functions/events/apply-event.js';
import { parseEvent, type IntegrationEvent } from '../../functions/events/event-schema.js';

const NOW = Date.parse('2026-03-10T15:00:00Z');
const TZ = 'America/Sao_Paulo';
const parse = (raw: unknown) => parseEvent(raw, { now: NOW, phoneRegion: 'BR' });

const aStatus = (overrides: Record<string, unknown> = {}) => ({
  id: 'e1',
  type: 'message.status',
  at: '2026-03-10T12:00:00Z',
  contactId: 'c1',
  messageId: 'm1',
  channel: 'whatsapp',
  status: 'delivered',
  broadcast: true,
  ...overrides,
});

describe('parseEvent', () => {
  it('accepts the three event types and normalizes the time to UTC', () => {
    const status = parse(aStatus({ at: '2026-03-10T09:00:00-03:00' }));
    expect(status).toMatchObject({ ok: true, event: { at: '2026-03-10T12:00:00.000Z', broadcast: true } });
    expect(parse({ id: 'c', type: 'conversation.status', at: '2026-03-10T12:00:00Z', phone: '11 98888-7777', conversationId: 'cv', kind: 'sales', status: 'open' }).ok).toBe(true);
    expect(parse({ id: 'm', type: 'conversation.message', at: '2026-03-10T12:00:00Z', email: 'a@b.co', conversationId: 'cv', from: 'contact', text: 'oi' }).ok).toBe(true);
  });

  it.each([
    [{ id: '' }, /^id: /],
    [{ type: 'message.opened' }, /^type: must be one of/],
    [{ at: '2026-03-10 12:00' }, /^at: must be an ISO-8601 time/],
    [{ at: '2026-03-10T12:00:00' }, /^at: must be an ISO-8601 time/],
    [{ at: '2026-03-10T16:00:00Z' }, /^at: must not be in the future/],
    // A time the stream could not put on a day (years before 1000 have no four-digit day) never gets in.
    [{ at: '0099-01-01T00:00:00Z' }, /^at: must be on or after 2000-01-01/],
    [{ at: '1999-12-31T23:59:59Z' }, /^at: must be on or after 2000-01-01/],
    [{ contactId: undefined }, /^contact: /],
    [{ contactId: undefined, phone: '123' }, /^phone: is not a valid phone number/],
    [{ channel: 'fax' }, /^channel: must be one of sms, whatsapp/],
    [{ status: 'opened' }, /^status: must be one of/],
    [{ broadcast: 'yes' }, /^broadcast: /],
    [{ messageId: 42 }, /^messageId: must be a string/],
  ])('rejects %j with a reason naming the field', (overrides, reason) => {
    const parsed = parse(aStatus(overrides));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('allows 15 minutes of clock skew', () => {
    expect(parse(aStatus({ at: '2026-03-10T15:14:00Z' })).ok).toBe(true);
  });

  it('treats a missing broadcast flag as an individual message', () => {
    expect(parse(aStatus({ broadcast: undefined }))).toMatchObject({ ok: true, event: { broadcast: false } });
  });
});

const statuses = ['sent', 'delivered', 'read', 'clicked', 'replied', 'failed'] as const;
const times = fc.integer({ min: 0, max: 5 * 86_400 }).map((s) => new Date(Date.parse('2026-03-01T00:00:00Z') + s * 1000).toISOString());
const messageEvent = fc.record({ status: fc.constantFrom(...statuses), at: times });
const conversationEvent = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom('open', 'resolved'), at: times }),
  fc.record({ kind: fc.constant('message' as const), from: fc.constantFrom('contact', 'agent'), at: times, sentiment: fc.constantFrom('positive', 'neutral', 'negative') }),
);

function toEvents(specs: { status: string; at: string }[]): IntegrationEvent[] {
  return specs.map((s, i) => ({ ...aStatus({ id: `e${i}`, ...s }), at: s.at }) as IntegrationEvent);
}

function fold(events: IntegrationEvent[], sentiments: (string | undefined)[] = []): StateItem {
  let item: StateItem | undefined;
  events.forEach((event, i) => (item = applyEvent(item, event, 'c1', sentiments[i] as never)));
  return item!;
}

const stripVersion = ({ version: _v, updatedAt: _u, ...rest }: StateItem) => rest;

describe('applyEvent', () => {
  it('gives the same message whatever the order of its events, and repeats change nothing', () => {
    fc.assert(
      fc.property(fc.array(messageEvent, { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.nat()), (specs, randoms) => {
        const events = toEvents(specs);
        const shuffled = [...events].sort(() => (randoms.next().value % 3) - 1);
        const a = stripVersion(fold(events));
        const b = stripVersion(fold([...shuffled, ...events]));
        // Channel and broadcast come from the first event seen; every event here agrees on them.
        expect(b).toEqual(a);
      }),
    );
  });

  it('keeps the earliest time per status and as the message time', () => {
    const item = fold(toEvents([{ status: 'read', at: '2026-03-02T10:00:00.000Z' }, { status: 'read', at: '2026-03-01T10:00:00.000Z' }, { status: 'sent', at: '2026-03-03T10:00:00.000Z' }])) as MessageItem;
    expect(item.stages).toEqual({ read: '2026-03-01T10:00:00.000Z', sent: '2026-03-03T10:00:00.000Z' });
    expect(item.firstAt).toBe('2026-03-01T10:00:00.000Z');
  });

  it('gives the same conversation counters whatever the order of its events', () => {
    fc.assert(
      fc.property(fc.array(conversationEvent, { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.nat()), (specs, randoms) => {
        const events = specs.map((s, i) =>
          s.kind === 'status'
            ? ({ id: `x${i}`, type: 'conversation.status', at: s.at, contactId: 'c1', conversationId: 'cv', kind: 'support', status: s.status } as IntegrationEvent)
            : ({ id: `x${i}`, type: 'conversation.message', at: s.at, contactId: 'c1', conversationId: 'cv', from: s.from, text: '' } as IntegrationEvent),
        );
        const sentiments = specs.map((s) => (s.kind === 'message' ? s.sentiment : undefined));
        const order = events.map((_, i) => i).sort(() => (randoms.next().value % 3) - 1);
        const a = fold(events, sentiments) as ConversationItem;
        const b = fold(order.map((i) => events[i]), order.map((i) => sentiments[i])) as ConversationItem;
        // Counters, by-hour map and status are order-independent; so is everything derived from them.
        const counted = (item: ConversationItem) => contributionOf(item as never, TZ).sort((x, y) => x.key.sk.localeCompare(y.key.sk));
        expect(counted(b)).toEqual(counted(a));
        expect([b.status, b.statusAt, b.firstAt, b.openedAt, b.resolvedAt]).toEqual([a.status, a.statusAt, a.firstAt, a.openedAt, a.resolvedAt]);
      }),
    );
  });

  it('takes the latest status by event time, resolved winning a tie', () => {
    const at = '2026-03-02T10:00:00.000Z';
    const ev = (status: string, when: string, id: string) => ({ id, type: 'conversation.status', at: when, contactId: 'c1', conversationId: 'cv', kind: 'sales', status }) as IntegrationEvent;
    expect((fold([ev('resolved', at, 'a'), ev('open', '2026-03-01T10:00:00.000Z', 'b')]) as ConversationItem).status).toBe('resolved');
    expect((fold([ev('resolved', at, 'a'), ev('open', at, 'b')]) as ConversationItem).status).toBe('resolved');
    expect((fold([ev('open', at, 'b'), ev('resolved', at, 'a')]) as ConversationItem).status).toBe('resolved');
  });
});

describe('contributions', () => {
  const message = (stages: MessageItem['stages'], channel: MessageItem['channel'] = 'whatsapp'): MessageItem => ({
    pk: 'CONTACT#c1', sk: 'H#MSG#m1', type: 'message', contactId: 'c1', messageId: 'm1', channel, broadcast: true, stages,
    firstAt: Object.values(stages).sort()[0]!, version: 1, updatedAt: '',
  });

  it('puts a message on the tenant day of its earliest event', () => {
    // 02:00 UTC is still the previous day in Sao Paulo (UTC-3).
    const [c] = contributionOf(message({ sent: '2026-03-02T02:00:00.000Z' }) as never, TZ);
    expect(c.key).toEqual({ pk: 'CONTACT#c1', sk: 'P#ENGD#2026-03-01' });
    expect(c.add).toEqual({ whatsapp_sent: 1 });
  });

  it('counts interactions for the best time by their own local weekday and hour', () => {
    const [c] = contributionOf(message({ sent: '2026-03-02T12:00:00.000Z', read: '2026-03-04T21:30:00.000Z' }) as never, TZ);
    // 2026-03-04 21:30 UTC = Wednesday 18:30 in Sao Paulo.
    expect(c.add).toEqual({ whatsapp_sent: 1, whatsapp_delivered: 1, whatsapp_read: 1, whatsapp_engaged: 1, bt_3_18: 1 });
  });

  it('moves a message to an earlier day when an earlier event arrives: minus the old day, plus the new', () => {
    const before = message({ read: '2026-03-05T12:00:00.000Z' });
    const after = message({ read: '2026-03-05T12:00:00.000Z', sent: '2026-03-01T12:00:00.000Z' });
    const change = contributionChange(before as never, after as never, TZ);
    const byDay = Object.fromEntries(change.map((c) => [c.key.sk, c.add]));
    expect(byDay['P#ENGD#2026-03-05']).toEqual({ whatsapp_sent: -1, whatsapp_delivered: -1, whatsapp_read: -1, whatsapp_engaged: -1, bt_4_9: -1 });
    expect(byDay['P#ENGD#2026-03-01']).toEqual({ whatsapp_sent: 1, whatsapp_delivered: 1, whatsapp_read: 1, whatsapp_engaged: 1, bt_4_9: 1 });
  });

  it('changes nothing for an image that did not change what counts', () => {
    const item = message({ sent: '2026-03-01T12:00:00.000Z', delivered: '2026-03-01T12:01:00.000Z' });
    expect(contributionChange(item as never, { ...item, version: 2, stages: { ...item.stages, delivered: '2026-03-01T12:00:30.000Z' } } as never, TZ)).toEqual([]);
  });

  it('counts tickets by latest status and sentiment by the day of each message', () => {
    const conversation: ConversationItem = {
      pk: 'CONTACT#c1', sk: 'H#CONV#cv', type: 'conversation', contactId: 'c1', conversationId: 'cv', kind: 'support', status: 'open',
      statusAt: '2026-03-01T12:00:00.000Z', firstAt: '2026-03-01T12:00:00.000Z', contactMessages: 3, agentMessages: 1, version: 1, updatedAt: '',
      hours: { '2026-03-01T12': { contact: 1, agent: 1, positive: 1 }, '2026-03-03T01': { contact: 2, negative: 2 } },
    };
    const byKey = Object.fromEntries(contributionOf(conversation as never, TZ).map((c) => [c.key.sk, c.add]));
    expect(byKey).toEqual({
      'P#ENGD#2026-03-01': { cv_all: 1, cv_contact: 1, sn_positive: 1 },
      'P#ENGD#2026-03-02': { sn_negative: 2 },
      'P#ENG#SUMMARY': { tk_open: 1 },
    });
    const resolved = contributionChange(conversation as never, { ...conversation, status: 'resolved' } as never, TZ);
    expect(resolved).toEqual([expect.objectContaining({ key: { pk: 'CONTACT#c1', sk: 'P#ENG#SUMMARY' }, add: { tk_open: -1, tk_resolved: 1 } })]);
  });

  it('takes everything away when the item is removed', () => {
    const item = message({ sent: '2026-03-01T12:00:00.000Z' }, 'sms');
    expect(contributionChange(item as never, undefined, TZ)).toEqual([expect.objectContaining({ add: { sms_sent: -1 } })]);
  });
});
