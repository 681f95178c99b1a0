import { isDeepStrictEqual } from 'node:util';
import type { Channel } from '../../shared/contact-schema.js';
import { CONVERSION_WINDOW_MS, dayNumber, dayString, localDay, localTime, monthOf } from '../../shared/analytics.js';
import { effectiveStages } from '../../shared/engagement.js';
import { storedCounts } from '../data/activity-state.js';
import type { ConversationItem, MessageItem } from '../engagement/items.js';
import { nodeDeltas, type NodeDeltas } from './distinct-nodes.js';
import { geoKeyOf } from './geography.js';

/**
 * One contact's share of the Contact Behavior panel (METRICS.md), kept on
 * the contact as its activity state and changed by the stream from the
 * message, conversation and profile items. Everything the tenant-wide
 * aggregates hold is a pure function of these states (`aggregateChange`),
 * so the stream adds contribution(new state) - contribution(old state) and
 * late, repeated or moved events come out exact.
 *
 * Rules where METRICS.md is silent:
 * - A conversation is opened at its earliest `open` status, or at its first
 *   event when it never reported one; it counts once its kind is known.
 * - A deleted or merged-away contact leaves the panel: its activity no
 *   longer counts in any period (the panel describes the current base), but
 *   the contact base of past days still includes it until the day it left.
 */

/**
 * Day metrics: per metric, the days (day numbers) with how many messages or
 * conversations of that day count for it.
 *   rc  broadcast messages (reached contacts; daily broadcasts)
 *   ms  messages with any event (funnel: sent)
 *   dl / rd / ck / rp  messages that reached delivered / read / clicked / replied
 *   sl / sp  sales / support conversations opened
 */
export const DAY_METRICS = ['rc', 'ms', 'dl', 'rd', 'ck', 'rp', 'sl', 'sp'] as const;
export type DayMetric = (typeof DAY_METRICS)[number];
/** Distinct-contact counts of the panel: the day metrics and `cv`, days of broadcasts followed by a sales conversation. */
export type DistinctMetric = DayMetric | 'cv';
export const DISTINCT_METRICS: readonly DistinctMetric[] = [...DAY_METRICS, 'cv'];

/** Daily counter fields fed by day metrics. */
const DAILY_FIELDS: Partial<Record<DayMetric, string>> = { rc: 'b', sl: 'sl', sp: 'sp' };

type Counts = Record<string, number>;

export interface ContactActivity {
  days: Partial<Record<DayMetric, Counts>>;
  /** Broadcast message times (epoch seconds) -> messages, for the journey funnel. */
  broadcasts: Counts;
  /** Sales conversation opening times (epoch seconds) -> conversations. */
  salesOpened: Counts;
  /** Months `YYYY-MM` -> message and conversation events in them. */
  months: Counts;
  /** `<day number>:<hour>` -> messages of sales conversations sent then. */
  salesHours: Counts;
  /** Contact base changes: day number -> +1 (joined) / -1 (left). */
  base: Counts;
  inBase: boolean;
  /** Joined the base at least once (a later return counts from its own day, not from createdAt). */
  joined: boolean;
  /** Geography key (geography.ts); absent without a phone. */
  geo?: string;
}

export const emptyActivity = (): ContactActivity => ({
  days: {},
  broadcasts: {},
  salesOpened: {},
  months: {},
  salesHours: {},
  base: {},
  inBase: false,
  joined: false,
});

/** What one message or conversation adds to its contact's activity. */
type Facts = Pick<ContactActivity, 'days' | 'broadcasts' | 'salesOpened' | 'months' | 'salesHours'>;

function bump(counts: Counts, key: string, by: number): void {
  const next = (counts[key] ?? 0) + by;
  if (next === 0) delete counts[key];
  else counts[key] = next;
}

const dayKey = (instant: string | number, timezone: string) => String(dayNumber(localDay(instant, timezone)));
const epochSeconds = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));

function bumpDay(facts: Facts, metric: DayMetric, day: string, by = 1): void {
  bump((facts.days[metric] ??= {}), day, by);
}

const noFacts = (): Facts => ({ days: {}, broadcasts: {}, salesOpened: {}, months: {}, salesHours: {} });

export function messageFacts(item: MessageItem, timezone: string): Facts {
  const facts = noFacts();
  const stages = effectiveStages(item.channel as Channel, item.stages ?? {});
  if (!stages.sent || !item.firstAt) return facts;
  const day = dayKey(item.firstAt, timezone);
  bumpDay(facts, 'ms', day);
  if (stages.delivered) bumpDay(facts, 'dl', day);
  if (stages.read) bumpDay(facts, 'rd', day);
  if (stages.clicked) bumpDay(facts, 'ck', day);
  if (stages.replied) bumpDay(facts, 'rp', day);
  if (item.broadcast) {
    bumpDay(facts, 'rc', day);
    bump(facts.broadcasts, epochSeconds(item.firstAt), 1);
  }
  for (const at of Object.values(item.stages ?? {})) if (at) bump(facts.months, monthOf(localDay(at, timezone)), 1);
  return facts;
}

export function conversationFacts(item: ConversationItem, timezone: string): Facts {
  const facts = noFacts();
  const opened = item.openedAt ?? item.firstAt;
  if (item.kind && opened) {
    bumpDay(facts, item.kind === 'sales' ? 'sl' : 'sp', dayKey(opened, timezone));
    if (item.kind === 'sales') bump(facts.salesOpened, epochSeconds(opened), 1);
  }
  for (const at of [item.firstAt, item.openedAt, item.resolvedAt, item.statusAt]) if (at) bump(facts.months, monthOf(localDay(at, timezone)), 1);
  for (const [hour, counts] of Object.entries(item.hours ?? {})) {
    // Hour buckets are UTC hours; every tenant timezone we serve has whole-hour offsets.
    const local = localTime(`${hour}:00:00.000Z`, timezone);
    bump(facts.months, monthOf(local.day), 1);
    const messages = (counts.contact ?? 0) + (counts.agent ?? 0);
    if (item.kind === 'sales' && messages > 0) bump(facts.salesHours, `${dayNumber(local.day)}:${local.hour}`, messages);
  }
  return facts;
}

export function factsOf(image: Record<string, unknown> | undefined, timezone: string): Facts {
  if (image?.type === 'message') return messageFacts(image as unknown as MessageItem, timezone);
  if (image?.type === 'conversation') return conversationFacts(image as unknown as ConversationItem, timezone);
  return noFacts();
}

function applyFacts(activity: ContactActivity, facts: Facts, sign: 1 | -1): void {
  for (const [metric, days] of Object.entries(facts.days) as [DayMetric, Counts][]) {
    const target = (activity.days[metric] ??= {});
    for (const [day, n] of Object.entries(days)) bump(target, day, sign * n);
    if (Object.keys(target).length === 0) delete activity.days[metric];
  }
  for (const field of ['broadcasts', 'salesOpened', 'months', 'salesHours'] as const) {
    for (const [key, n] of Object.entries(facts[field])) bump(activity[field], key, sign * n);
  }
}

/**
 * A message or conversation item changed from `before` to `after` (either
 * may be absent). Returns whether the change moved any fact (a change of
 * fields the panel does not read moves none).
 */
export function applyHistoryChange(activity: ContactActivity, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, timezone: string): boolean {
  const [removed, added] = [factsOf(before, timezone), factsOf(after, timezone)];
  if (isDeepStrictEqual(removed, added)) return false;
  applyFacts(activity, removed, -1);
  applyFacts(activity, added, 1);
  return true;
}

/**
 * The contact's profile changed at `at` (epoch ms of the change): it joins
 * the base when created (on the day of its `createdAt`, or the day it comes
 * back after a merge is undone), leaves it when deleted or merged away, and
 * its phone decides its place on the map.
 */
export function applyProfileChange(activity: ContactActivity, after: Record<string, unknown> | undefined, at: number, timezone: string): boolean {
  const before = [activity.inBase, activity.joined, activity.geo];
  const baseDays = Object.keys(activity.base).length;
  if (after && after.type === 'contact') {
    if (!activity.inBase) {
      const createdAt = typeof after.createdAt === 'string' && !activity.joined ? after.createdAt : undefined;
      bump(activity.base, dayKey(createdAt ?? at, timezone), 1);
      activity.inBase = true;
      activity.joined = true;
    }
    activity.geo = geoKeyOf(after);
    if (activity.geo === undefined) delete activity.geo;
  } else if (activity.inBase) {
    bump(activity.base, dayKey(at, timezone), -1);
    activity.inBase = false;
  }
  // Joining or leaving always flips inBase; the geography may move on its own.
  return !isDeepStrictEqual(before, [activity.inBase, activity.joined, activity.geo]) || baseDays !== Object.keys(activity.base).length;
}

/** The contact's activity holds any message or conversation fact. */
export function hasFacts(activity: ContactActivity): boolean {
  return (
    Object.keys(activity.days).length > 0 ||
    (['broadcasts', 'salesOpened', 'months', 'salesHours'] as const).some((field) => Object.keys(activity[field]).length > 0)
  );
}

/**
 * What of a contact's state counts in the tenant aggregates: everything
 * while it is in the base; only its base history (the days it joined and
 * left) once it was deleted or merged away. Its facts stay in the state
 * (a fold of its records), so an undone merge or a restore counts them again.
 */
function counted(activity: ContactActivity | undefined): ContactActivity {
  if (!activity) return emptyActivity();
  if (activity.inBase) return activity;
  return { ...emptyActivity(), base: activity.base, joined: activity.joined };
}

/** Days of the contact's broadcasts followed by a sales conversation opened within 7 days. */
export function convertedDays(activity: ContactActivity, timezone: string): number[] {
  const opens = Object.keys(activity.salesOpened).map(Number).sort((x, y) => x - y);
  if (opens.length === 0) return [];
  const window = CONVERSION_WINDOW_MS / 1000;
  const days = new Set<number>();
  for (const key of Object.keys(activity.broadcasts)) {
    const sent = Number(key);
    let lo = 0;
    let hi = opens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (opens[mid] < sent) lo = mid + 1;
      else hi = mid;
    }
    if (lo < opens.length && opens[lo] <= sent + window) days.add(dayNumber(localDay(sent * 1000, timezone)));
  }
  return [...days];
}

/**
 * Tenant-wide aggregate changes: aggregate id -> attribute -> delta. Ids:
 * `N:<node id>` (distinct-count histograms, attribute `<metric>_<entry>`),
 * `D:<day>` (daily counts `b`, `sl`, `sp`, sales hours `h0`..`h23`, base `bs`),
 * `M:<month>` (distinct contacts `c`, base `bs`) and `G` (geography).
 */
export type AggregateDeltas = Map<string, Counts>;

function add(out: AggregateDeltas, id: string, attribute: string, delta: number): void {
  if (delta === 0) return;
  let target = out.get(id);
  if (!target) out.set(id, (target = {}));
  bump(target, attribute, delta);
  if (Object.keys(target).length === 0) out.delete(id);
}

function diffCounts(before: Counts | undefined, after: Counts | undefined, each: (key: string, delta: number) => void): void {
  const b = before ?? {};
  const a = after ?? {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const delta = (a[key] ?? 0) - (b[key] ?? 0);
    if (delta !== 0) each(key, delta);
  }
}

function sameKeys(x: Counts | undefined, y: Counts | undefined): boolean {
  const kx = Object.keys(x ?? {});
  return kx.length === Object.keys(y ?? {}).length && kx.every((k) => (y ?? {})[k] !== undefined);
}

function addNodes(out: AggregateDeltas, metric: DistinctMetric, deltas: NodeDeltas): void {
  for (const [node, entries] of deltas) for (const [entry, delta] of entries) add(out, `N:${node}`, `${metric}_${entry}`, delta);
}

const activeDays = (counts: Counts | undefined) => Object.keys(counts ?? {}).map(Number);

/** contribution(after) - contribution(before) of one contact (either may be absent); see `counted`. */
export function aggregateChange(
  before: ContactActivity | undefined,
  after: ContactActivity | undefined,
  timezone: string,
  out: AggregateDeltas = new Map(),
): AggregateDeltas {
  const b = counted(before);
  const a = counted(after);
  for (const metric of DAY_METRICS) {
    if (!sameKeys(b.days[metric], a.days[metric])) addNodes(out, metric, nodeDeltas(activeDays(b.days[metric]), activeDays(a.days[metric])));
    const field = DAILY_FIELDS[metric];
    if (field) diffCounts(b.days[metric], a.days[metric], (day, delta) => add(out, `D:${dayString(Number(day))}`, field, delta));
  }
  if (!sameKeys(b.broadcasts, a.broadcasts) || !sameKeys(b.salesOpened, a.salesOpened)) {
    addNodes(out, 'cv', nodeDeltas(convertedDays(b, timezone), convertedDays(a, timezone)));
  }
  diffCounts(b.salesHours, a.salesHours, (key, delta) => {
    const [day, hour] = key.split(':');
    add(out, `D:${dayString(Number(day))}`, `h${hour}`, delta);
  });
  diffCounts(b.base, a.base, (key, delta) => {
    const day = dayString(Number(key));
    add(out, `D:${day}`, 'bs', delta);
    add(out, `M:${monthOf(day)}`, 'bs', delta);
  });
  for (const month of new Set([...Object.keys(b.months), ...Object.keys(a.months)])) {
    add(out, `M:${month}`, 'c', Number((a.months[month] ?? 0) > 0) - Number((b.months[month] ?? 0) > 0));
  }
  const geoBefore = b.inBase ? b.geo : undefined;
  const geoAfter = a.inBase ? a.geo : undefined;
  if (geoBefore !== geoAfter) {
    if (geoBefore) add(out, 'G', geoBefore, -1);
    if (geoAfter) add(out, 'G', geoAfter, 1);
  }
  return out;
}

/**
 * The activity held by a stored state item (missing maps read as empty),
 * whichever form holds its count maps (data/activity-state.ts storedCounts).
 */
export function activityFromItem(item: Record<string, unknown>): ContactActivity {
  const counts = storedCounts(item);
  const days: ContactActivity['days'] = {};
  for (const [metric, byDay] of Object.entries(counts.days)) {
    if ((DAY_METRICS as readonly string[]).includes(metric) && Object.keys(byDay).length > 0) days[metric as DayMetric] = byDay;
  }
  return {
    days,
    broadcasts: counts.broadcasts,
    salesOpened: counts.salesOpened,
    months: counts.months,
    salesHours: counts.salesHours,
    base: counts.base,
    inBase: item.inBase === true,
    joined: item.joined === true,
    ...(typeof item.geo === 'string' ? { geo: item.geo } : {}),
  };
}
