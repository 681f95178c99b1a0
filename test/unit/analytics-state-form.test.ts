import { inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { activityFromItem, applyHistoryChange, applyProfileChange, emptyActivity, type ContactActivity } from '../../functions/analytics/contact-activity.js';
import { activityStateItem, analyticsStateKey, COUNTS_ATTRIBUTE } from '../../functions/data/activity-state.js';
import type { ContactCollection } from '../../functions/data/contact-collection.js';
import { resetConfig } from '../../functions/lib/config.js';
import { planStateRepair } from '../../functions/reconcile/activity-states.js';
import { dayNumber } from '../../shared/analytics.js';
import { planEvents } from '../support/events.js';

/**
 * The activity state's count maps are stored packed in one binary attribute
 * (data/activity-state.ts); states stored before hold them as plain maps.
 * Both read back as the same activity, and the packed form keeps a year of
 * daily messages within 2 write units (9.8 KB, 10 units, as plain maps).
 */
const TZ = 'America/Sao_Paulo';
const CONTACT = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const NOW = Date.parse('2026-12-01T15:00:00.000Z');
const d = (day: string) => String(dayNumber(day));

/** The attributes a state carries besides its count maps, as the stream writes them. */
const stateOf = (activity: ContactActivity) => ({ seq: '000000000000000000123', version: 7, createdAt: NOW, ...activity });
/** The state as stored before the packed form: the count maps as plain maps. */
const plainItem = (activity: ContactActivity) => ({ pk: 'ANLANE#3', sk: `S#${CONTACT}`, type: 'contactActivity', contactId: CONTACT, ...stateOf(activity) });

/** Item size by DynamoDB's rules (names and values; numbers by their significant digits). */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace('.', '').replace(/^0+|0+$/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (value && typeof value === 'object') return 3 + Object.entries(value).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + sizeOf(v), 0);
  return 1;
}
const itemSize = (item: Record<string, unknown>) => Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + sizeOf(v), 0);

/** A contact's activity after `messages` messages (and their conversations) over `days` days, folded as the stream folds them. */
function realisticActivity(messages: number, days: number): ContactActivity {
  const { events } = planEvents([CONTACT], messages, { series: 's', days, seed: 42, now: NOW });
  const items = new Map<string, Record<string, any>>();
  const earliest = (a: string | undefined, b: string) => (a && a < b ? a : b);
  for (const e of events as Record<string, any>[]) {
    const id = e.messageId ?? e.conversationId;
    const item = items.get(id) ?? (e.messageId ? { type: 'message', channel: e.channel, broadcast: e.broadcast, stages: {} } : { type: 'conversation', hours: {} });
    item.firstAt = earliest(item.firstAt, e.at);
    if (e.type === 'message.status') item.stages[e.status] = earliest(item.stages[e.status], e.at);
    else if (e.type === 'conversation.status') {
      item.kind ??= e.kind;
      if (e.status === 'open') item.openedAt = earliest(item.openedAt, e.at);
      if (e.status === 'resolved') item.resolvedAt = earliest(item.resolvedAt, e.at);
      if (!item.statusAt || e.at >= item.statusAt) Object.assign(item, { statusAt: e.at, status: e.status });
    } else {
      const hour = (item.hours[e.at.slice(0, 13)] ??= {});
      hour[e.from] = (hour[e.from] ?? 0) + 1;
    }
    items.set(id, item);
  }
  const activity = emptyActivity();
  const created = [...items.values()].map((i) => i.firstAt as string).sort()[0];
  applyProfileChange(activity, { type: 'contact', createdAt: created, phone: '+5511987650001' }, Date.parse(created), TZ);
  for (const item of items.values()) applyHistoryChange(activity, undefined, item, TZ);
  return activity;
}

const small: ContactActivity = {
  days: { ms: { [d('2026-03-10')]: 2, [d('2026-03-12')]: 1 }, rc: { [d('2026-03-10')]: 1 }, sl: { [d('2026-03-12')]: 1 } },
  broadcasts: { '1773144000': 1, '1773144060': 3 },
  salesOpened: { '1773327600': 1 },
  months: { '2026-02': 1, '2026-03': 12 },
  salesHours: { [`${d('2026-03-12')}:0`]: 2, [`${d('2026-03-12')}:23`]: 1 },
  // Joined, left (-1), came back, left twice the same day (-2).
  base: { [d('2026-03-04')]: 1, [d('2026-03-20')]: -1, [d('2026-03-25')]: 1, [d('2026-04-02')]: -2 },
  inBase: false,
  joined: true,
  geo: 'BR:SP',
};
const yearLong = realisticActivity(365, 365);

const stored = (activity: ContactActivity) => activityStateItem(CONTACT, stateOf(activity));
const packedText = (item: Record<string, unknown>) => inflateRawSync(item[COUNTS_ATTRIBUTE] as Uint8Array).toString('utf8');

describe('the stored form of an activity state', () => {
  it('gives back exactly the activity written: empty, small (negative base counts, counts over 1) and a year long', () => {
    expect(activityFromItem(stored(emptyActivity()))).toEqual(emptyActivity());
    expect(activityFromItem(stored(small))).toEqual(small);
    expect(Object.keys(yearLong.broadcasts).length).toBeGreaterThan(200);
    expect(activityFromItem(stored(yearLong))).toEqual(yearLong);
  });

  it('packs the count maps into one binary attribute and keeps every other attribute as it was', () => {
    const item = stored(small);
    expect(item[COUNTS_ATTRIBUTE]).toBeInstanceOf(Uint8Array);
    for (const field of ['days', 'broadcasts', 'salesOpened', 'months', 'salesHours', 'base']) expect(item[field], field).toBeUndefined();
    const { [COUNTS_ATTRIBUTE]: _counts, ...rest } = item;
    expect(rest).toEqual({ pk: expect.stringMatching(/^ANLANE#\d+$/), sk: `S#${CONTACT}`, type: 'contactActivity', contactId: CONTACT, seq: '000000000000000000123', version: 7, createdAt: NOW, inBase: false, joined: true, geo: 'BR:SP' });
    // Sorted, delta-encoded keys; a count only when it is not 1.
    expect(packedText(item).split(';')).toEqual([
      `ms=${d('2026-03-10')}*2,2`,
      `rc=${d('2026-03-10')}`,
      `sl=${d('2026-03-12')}`,
      'B=1773144000,60*3',
      'O=1773327600',
      `M=${2026 * 12 + 1},1*12`,
      `H=${Number(d('2026-03-12')) * 24}*2,23`,
      `J=${d('2026-03-04')},16*-1,5,8*-2`,
    ]);
    // A state with no counts at all stores none.
    expect(Object.keys(stored(emptyActivity()))).not.toContain(COUNTS_ATTRIBUTE);
  });

  it('reads a state stored before the packed form (plain maps) as the same activity, and packs it when written again', () => {
    for (const activity of [emptyActivity(), small, yearLong]) {
      expect(activityFromItem(plainItem(activity))).toEqual(activity);
      expect(activityFromItem(activityStateItem(CONTACT, plainItem(activity)))).toEqual(activity);
    }
  });

  it('reads the packed attribute as a Lambda event carries it (base64 text in the stream record)', () => {
    const item = stored(yearLong);
    const asEvent = { ...item, [COUNTS_ATTRIBUTE]: Buffer.from(item[COUNTS_ATTRIBUTE] as Uint8Array).toString('base64') };
    expect(activityFromItem(asEvent)).toEqual(yearLong);
  });

  it('refuses a packed attribute it cannot read rather than reading it as no counts (a JSON copy of the bytes)', () => {
    const item = stored(yearLong);
    const bytes = item[COUNTS_ATTRIBUTE] as Uint8Array;
    for (const copy of [JSON.parse(JSON.stringify(bytes)), JSON.parse(JSON.stringify(Buffer.from(bytes))), 42]) {
      expect(() => activityFromItem({ ...item, [COUNTS_ATTRIBUTE]: copy })).toThrow(/neither bytes nor base64/);
    }
  });

  it('lets a plain map given over a read item win over its packed section (a state rebuilt from a stored one)', () => {
    const changed = structuredClone(small);
    changed.broadcasts['1773150000'] = 1;
    delete changed.days.sl;
    expect(activityFromItem(activityStateItem(CONTACT, { ...stored(small), ...changed }))).toEqual(changed);
  });

  it('keeps plainly, and exactly, a map whose keys the packed form would not give back as they were', () => {
    const odd: ContactActivity = { ...structuredClone(small), months: { '2026-3': 1 }, salesHours: { '20000:24': 1 }, base: { '007': 1 } };
    odd.days.rp = { [d('2026-03-10')]: 1.5 };
    const item = stored(odd);
    expect(item.months).toEqual({ '2026-3': 1 });
    expect(item.salesHours).toEqual({ '20000:24': 1 });
    expect(item.base).toEqual({ '007': 1 });
    expect(item.days).toEqual(odd.days);
    expect(packedText(item)).toBe('B=1773144000,60*3;O=1773327600');
    expect(activityFromItem(item)).toEqual(odd);
  });

  it('keeps a year of daily messages within 2 write units (10 as plain maps)', () => {
    const before = itemSize(plainItem(yearLong));
    const after = itemSize(stored(yearLong));
    // Measured: 9,773 bytes before, 1,662 after (the packed attribute 1,488).
    expect(before).toBeGreaterThan(9_000);
    expect(after).toBeLessThan(1_850);
    expect((stored(yearLong)[COUNTS_ATTRIBUTE] as Uint8Array).length).toBeLessThan(1_650);
    // 90 messages over 90 days: one write unit (3 before). Measured 625 bytes.
    expect(itemSize(stored(realisticActivity(90, 90)))).toBeLessThan(800);
  });

  it('is not repaired by reconciliation for its form alone', () => {
    const messageItem = { type: 'message', channel: 'whatsapp', broadcast: true, stages: { sent: '2026-03-10T12:00:00.000Z' }, firstAt: '2026-03-10T12:00:00.000Z' };
    const activity = emptyActivity();
    applyProfileChange(activity, { type: 'contact', createdAt: '2026-03-01T12:00:00.000Z', phone: '+5511987650001' }, NOW, TZ);
    applyHistoryChange(activity, undefined, messageItem, TZ);
    const collection = (state: Record<string, unknown>): ContactCollection => ({
      contactId: CONTACT,
      profile: { type: 'contact', createdAt: '2026-03-01T12:00:00.000Z', phone: '+5511987650001' },
      history: [messageItem],
      counters: [],
      state,
      readAt: NOW,
    });
    for (const state of [plainItem(activity), stored(activity)]) {
      const plan = planStateRepair(collection(state), TZ, new Date(NOW));
      expect(plan.repair).toBeUndefined();
      expect(plan.final).toEqual(activity);
    }
  });
});

describe('the tenant setting analyticsStatePacking (ANALYTICS_STATE_PACKING)', () => {
  const packing = (value: string | undefined) => {
    if (value === undefined) delete process.env.ANALYTICS_STATE_PACKING;
    else process.env.ANALYTICS_STATE_PACKING = value;
    resetConfig();
  };
  afterEach(() => packing(undefined));

  it('off: writes the count maps plainly, the item the writer from before packing wrote, which reads back the same', () => {
    packing('off');
    for (const activity of [emptyActivity(), small, yearLong]) {
      const item = stored(activity);
      expect(item).not.toHaveProperty(COUNTS_ATTRIBUTE);
      expect(item).toEqual({ ...analyticsStateKey(CONTACT), type: 'contactActivity', contactId: CONTACT, ...stateOf(activity) });
      expect(activityFromItem(item)).toEqual(activity);
    }
  });

  it('off: a state read packed (packing was on) is written back plainly, as the same activity', () => {
    const packed = stored(small);
    expect(packed[COUNTS_ATTRIBUTE]).toBeInstanceOf(Uint8Array);
    packing('off');
    const item = activityStateItem(CONTACT, packed);
    expect(item).not.toHaveProperty(COUNTS_ATTRIBUTE);
    expect(item).toMatchObject({ days: small.days, broadcasts: small.broadcasts, salesOpened: small.salesOpened, months: small.months, salesHours: small.salesHours, base: small.base });
    expect(activityFromItem(item)).toEqual(small);
  });

  it('on, unset or anything but off: packs', () => {
    for (const value of ['on', undefined, 'OFF', 'false']) {
      packing(value);
      const item = stored(small);
      expect(item[COUNTS_ATTRIBUTE], String(value)).toBeInstanceOf(Uint8Array);
      expect(item.broadcasts, String(value)).toBeUndefined();
      expect(activityFromItem(item)).toEqual(small);
    }
  });
});
