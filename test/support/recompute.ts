import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { addDays, daysOf, dayNumber, localDay, localTime, monthOf, monthsEnding } from '../../shared/analytics.js';
import { STATE_BY_DDD } from '../../shared/area-codes.js';
import type { Channel } from '../../shared/contact-schema.js';
import { bandOf, effectiveStages, percentage, type Band } from '../../shared/engagement.js';

/**
 * Independent recomputations, from the items stored in the table, of the
 * numbers the stream keeps derived: the Contact Behavior panel
 * (shared METRICS.md, "Contact Behavior panel", and the choices listed in
 * functions/analytics/DESIGN.md where METRICS.md is silent), engagement
 * bands, list and tag counts and duplicate suggestions. Deliberately the
 * plainest way to count (sets of contacts per day, brute force over every
 * period) and no code of functions/analytics, so a shared mistake cannot
 * hide a wrong number.
 */

export type Item = Record<string, any>;

export interface TableState {
  items: Item[];
  /** Contacts that exist: a `P#PROFILE` item of type `contact`, by id. A contact in the recycle bin does not: it is in no listing, count or base. */
  profiles: Map<string, Item>;
  /** Contacts in the recycle bin: a `P#PROFILE` item of type `binnedContact`, by id (restorable: their counters stay as they are). */
  binned: Map<string, Item>;
  /** Every `CONTACT#<id>` collection, by id (contacts that no longer exist included). */
  collections: Map<string, Item[]>;
  /** Message and conversation items of existing contacts. */
  messages: Item[];
  conversations: Item[];
}

/** Every item of the table (consistent Scan), grouped the way the recomputations need. */
export async function readTable(raw: DynamoDBDocumentClient, tableName: string): Promise<TableState> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await raw.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const collections = new Map<string, Item[]>();
  const profiles = new Map<string, Item>();
  const binned = new Map<string, Item>();
  for (const item of items) {
    const pk = String(item.pk);
    if (!pk.startsWith('CONTACT#')) continue;
    const id = pk.slice('CONTACT#'.length);
    const list = collections.get(id) ?? [];
    list.push(item);
    collections.set(id, list);
    if (item.sk === 'P#PROFILE' && item.type === 'contact') profiles.set(id, item);
    if (item.sk === 'P#PROFILE' && item.type === 'binnedContact') binned.set(id, item);
  }
  const messages: Item[] = [];
  const conversations: Item[] = [];
  for (const [id, list] of collections) {
    if (!profiles.has(id)) continue;
    for (const item of list) {
      if (String(item.sk).startsWith('H#MSG#') && item.type === 'message') messages.push(item);
      else if (String(item.sk).startsWith('H#CONV#') && item.type === 'conversation') conversations.push(item);
    }
  }
  return { items, profiles, binned, collections, messages, conversations };
}

const contactOf = (item: Item) => String(item.pk).slice('CONTACT#'.length);
const DAY_MS = 86_400_000;

/** A conversation is opened at its earliest `open` status, else at its first event (DESIGN.md). */
const openedAt = (c: Item): string | undefined => c.openedAt ?? c.firstAt;

/** Distinct-count metrics of the panel: per metric, contact -> local days (day numbers) it qualifies on. */
type Metric = 'reached' | 'sent' | 'delivered' | 'read' | 'clicked' | 'replied' | 'sales' | 'support' | 'converted';

export interface Facts {
  /** metric -> contact -> days */
  days: Map<Metric, Map<string, Set<number>>>;
  /** contact -> months `YYYY-MM` with any message or conversation event */
  months: Map<string, Set<string>>;
  /** local day -> broadcast messages sent, sales / support conversations opened */
  daily: Map<string, { broadcasts: number; sales: number; support: number }>;
  /** local day -> weekday (0 = Sunday) and hour -> messages of sales conversations */
  salesHours: Map<string, Map<string, number>>;
}

/** Every fact the panel counts, straight from the stored messages and conversations of existing contacts. */
export function panelFacts(state: TableState, timezone: string): Facts {
  const days = new Map<Metric, Map<string, Set<number>>>();
  const on = (metric: Metric, contact: string, day: number) => {
    const byContact = days.get(metric) ?? new Map<string, Set<number>>();
    days.set(metric, byContact);
    const set = byContact.get(contact) ?? new Set<number>();
    byContact.set(contact, set);
    set.add(day);
  };
  const months = new Map<string, Set<string>>();
  const inMonth = (contact: string, at: string) => {
    const set = months.get(contact) ?? new Set<string>();
    months.set(contact, set);
    set.add(monthOf(localDay(at, timezone)));
  };
  const daily = new Map<string, { broadcasts: number; sales: number; support: number }>();
  const row = (day: string) => {
    let r = daily.get(day);
    if (!r) daily.set(day, (r = { broadcasts: 0, sales: 0, support: 0 }));
    return r;
  };
  const salesHours = new Map<string, Map<string, number>>();
  const broadcastsOf = new Map<string, number[]>();
  const salesOpensOf = new Map<string, number[]>();

  for (const m of state.messages) {
    const contact = contactOf(m);
    const stages = effectiveStages(m.channel as Channel, m.stages ?? {});
    if (!stages.sent) continue;
    // A message belongs to the day of its earliest event; `sent` counts every message with any event.
    const day = localDay(m.firstAt, timezone);
    const n = dayNumber(day);
    on('sent', contact, n);
    if (stages.delivered) on('delivered', contact, n);
    if (stages.read) on('read', contact, n);
    if (stages.clicked) on('clicked', contact, n);
    if (stages.replied) on('replied', contact, n);
    if (m.broadcast === true) {
      on('reached', contact, n);
      row(day).broadcasts++;
      broadcastsOf.set(contact, [...(broadcastsOf.get(contact) ?? []), Date.parse(m.firstAt)]);
    }
    for (const at of Object.values(m.stages ?? {})) if (typeof at === 'string') inMonth(contact, at);
  }

  for (const c of state.conversations) {
    const contact = contactOf(c);
    const opened = openedAt(c);
    if (c.kind && opened) {
      const day = localDay(opened, timezone);
      on(c.kind === 'sales' ? 'sales' : 'support', contact, dayNumber(day));
      row(day)[c.kind === 'sales' ? 'sales' : 'support']++;
      if (c.kind === 'sales') salesOpensOf.set(contact, [...(salesOpensOf.get(contact) ?? []), Date.parse(opened)]);
    }
    for (const at of [c.firstAt, c.openedAt, c.resolvedAt, c.statusAt]) if (typeof at === 'string') inMonth(contact, at);
    for (const [hour, counts] of Object.entries((c.hours ?? {}) as Record<string, Record<string, number>>)) {
      const at = `${hour}:00:00.000Z`;
      inMonth(contact, at);
      const messages = (counts.contact ?? 0) + (counts.agent ?? 0);
      if (c.kind !== 'sales' || messages === 0) continue;
      const local = localTime(at, timezone);
      const cells = salesHours.get(local.day) ?? new Map<string, number>();
      salesHours.set(local.day, cells);
      const cell = `${local.weekday}:${local.hour}`;
      cells.set(cell, (cells.get(cell) ?? 0) + messages);
    }
  }

  // Journey funnel: a broadcast converts when a sales conversation opens between its time and 7 days later (boundary included).
  for (const [contact, broadcasts] of broadcastsOf) {
    const opens = salesOpensOf.get(contact) ?? [];
    for (const sent of broadcasts) {
      if (opens.some((o) => o >= sent && o <= sent + 7 * DAY_MS)) on('converted', contact, dayNumber(localDay(sent, timezone)));
    }
  }
  return { days, months, daily, salesHours };
}

/** Contacts with at least one day of `metric` in [from, to]. */
function distinct(facts: Facts, metric: Metric, from: string, to: string): number {
  const [a, b] = [dayNumber(from), dayNumber(to)];
  let n = 0;
  for (const set of facts.days.get(metric)?.values() ?? []) if ([...set].some((d) => d >= a && d <= b)) n++;
  return n;
}

const variationOf = (value: number, previous: number) => (previous === 0 ? null : Math.round(((value - previous) * 10_000) / previous) / 100);
const comparison = (value: number, previous: number) => ({ value, previous, variation: variationOf(value, previous) });

/** Where a contact counts on the map: a Brazilian phone's DDD gives its state (or none), another phone its country. */
export function geographyKey(profile: Item): { country: string; state: string | null } | undefined {
  const phone = typeof profile.phone === 'string' ? profile.phone : '';
  if (!phone) return undefined;
  if (phone.startsWith('+55')) return { country: 'BR', state: STATE_BY_DDD[phone.slice(3, 5)] ?? null };
  const country = parsePhoneNumberFromString(phone)?.country ?? (typeof profile.country === 'string' && profile.country ? profile.country : 'ZZ');
  return { country, state: null };
}

export interface PanelExpectation {
  /** What the panel must show; `contactBase` holds only what the stored items decide (see expectedPanel). */
  expected: Record<string, unknown>;
}

/**
 * The panel for [from, to] as METRICS.md defines it over the stored items.
 * The contact base is the number of profiles for a period ending today, and
 * 0 for any day before `firstDay` (the first day any contact of this table
 * could exist); for other past days it depends on history the table no
 * longer holds, so it is left out.
 */
export function expectedPanel(state: TableState, facts: Facts, period: { from: string; to: string }, options: { today: string; firstDay: string }) {
  const { from, to } = period;
  const length = dayNumber(to) - dayNumber(from) + 1;
  const previousFrom = addDays(from, -length);
  const previousTo = addDays(from, -1);
  const baseAt = (day: string): number | undefined => (day === options.today ? state.profiles.size : day < options.firstDay ? 0 : undefined);
  const base = { value: baseAt(to), previous: baseAt(previousTo) };
  const contactBase: Record<string, unknown> = {};
  if (base.value !== undefined) contactBase.value = base.value;
  if (base.previous !== undefined) contactBase.previous = base.previous;
  if (base.value !== undefined && base.previous !== undefined) contactBase.variation = variationOf(base.value, base.previous);

  const daily = daysOf(from, to).map((date) => ({ date, ...(facts.daily.get(date) ?? { broadcasts: 0, sales: 0, support: 0 }) }));
  const salesHeatmap = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
  for (const date of daysOf(from, to)) {
    for (const [cell, n] of facts.salesHours.get(date) ?? []) {
      const [weekday, hour] = cell.split(':').map(Number);
      salesHeatmap[weekday][hour] += n;
    }
  }
  const geography = new Map<string, { country: string; state: string | null; contacts: number }>();
  for (const profile of state.profiles.values()) {
    const key = geographyKey(profile);
    if (!key) continue;
    const id = `${key.country}:${key.state ?? ''}`;
    const entry = geography.get(id) ?? { ...key, contacts: 0 };
    entry.contacts++;
    geography.set(id, entry);
  }
  return {
    period: { from, to, previousFrom, previousTo },
    interactions: {
      contactBase,
      reachedContacts: comparison(distinct(facts, 'reached', from, to), distinct(facts, 'reached', previousFrom, previousTo)),
      contactsInSales: comparison(distinct(facts, 'sales', from, to), distinct(facts, 'sales', previousFrom, previousTo)),
      contactsInSupport: comparison(distinct(facts, 'support', from, to), distinct(facts, 'support', previousFrom, previousTo)),
    },
    messageFunnel: {
      sent: distinct(facts, 'sent', from, to),
      delivered: distinct(facts, 'delivered', from, to),
      read: distinct(facts, 'read', from, to),
      clicked: distinct(facts, 'clicked', from, to),
      replied: distinct(facts, 'replied', from, to),
    },
    journeyFunnel: { reached: distinct(facts, 'reached', from, to), converted: distinct(facts, 'converted', from, to) },
    monthlyContacts: monthsEnding(to).map((month) => ({ month, contacts: [...facts.months.values()].filter((set) => set.has(month)).length })),
    geography: sortGeography([...geography.values()]),
    daily,
    serviceDistribution: { sales: daily.reduce((s, d) => s + d.sales, 0), support: daily.reduce((s, d) => s + d.support, 0) },
    salesHeatmap,
  };
}

export const sortGeography = <T extends { country: string; state: string | null; contacts: number }>(rows: T[]) =>
  [...rows].sort((x, y) => x.country.localeCompare(y.country) || (x.state ?? '').localeCompare(y.state ?? '') || x.contacts - y.contacts);

/** Where `actual` differs from `expected` (only the paths `expected` has), as `path: expected X, got Y` lines. */
export function differences(expected: unknown, actual: unknown, path = ''): string[] {
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    if (Array.isArray(expected) && (!Array.isArray(actual) || actual.length !== expected.length)) {
      return [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    }
    const out: string[] = [];
    for (const key of Object.keys(expected)) {
      const value = (expected as any)[key];
      // Rows of days and months are named by their day or month rather than their index.
      const name = Array.isArray(expected) && value && typeof value === 'object' ? (value.date ?? value.month ?? key) : key;
      out.push(...differences(value, (actual as any)[key], Array.isArray(expected) ? `${path}[${name}]` : path ? `${path}.${key}` : key));
    }
    return out;
  }
  return Object.is(expected, actual) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** The engagement band of each existing contact (window of 90 days ending today); null without a delivered message. */
export function expectedBands(state: TableState, timezone: string, today: string): Map<string, Band | null> {
  const start = dayNumber(addDays(today, -89));
  const end = dayNumber(today);
  const tally = new Map<string, { delivered: number; engaged: number }>();
  for (const id of state.profiles.keys()) tally.set(id, { delivered: 0, engaged: 0 });
  for (const m of state.messages) {
    const stages = effectiveStages(m.channel as Channel, m.stages ?? {});
    const day = dayNumber(localDay(m.firstAt, timezone));
    if (!stages.delivered || day < start || day > end) continue;
    const t = tally.get(contactOf(m))!;
    t.delivered++;
    if (stages.engaged) t.engaged++;
  }
  return new Map([...tally].map(([id, t]) => [id, bandOf(percentage(t.engaged, t.delivered))]));
}

/** Members per list and tag id: membership items (`P#LIST#<id>`, `P#TAG#<id>`) of existing contacts (those in the recycle bin keep theirs uncounted). */
export function expectedMemberships(state: TableState): { lists: Map<string, number>; tags: Map<string, number> } {
  const lists = new Map<string, number>();
  const tags = new Map<string, number>();
  for (const [id, items] of state.collections) {
    if (!state.profiles.has(id)) continue;
    for (const item of items) {
      const sk = String(item.sk);
      if (sk.startsWith('P#LIST#')) lists.set(sk.slice(7), (lists.get(sk.slice(7)) ?? 0) + 1);
      else if (sk.startsWith('P#TAG#')) tags.set(sk.slice(6), (tags.get(sk.slice(6)) ?? 0) + 1);
    }
  }
  return { lists, tags };
}

/** Duplicate groups: existing non-blocked contacts sharing a phone (E.164) or a lower-cased email, two or more. Key -> sorted ids. */
export function expectedSuggestions(state: TableState): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const add = (key: string, id: string) => groups.set(key, [...(groups.get(key) ?? []), id]);
  for (const [id, profile] of state.profiles) {
    if (profile.blocked === true) continue;
    if (typeof profile.phone === 'string' && profile.phone) add(`phone:${profile.phone}`, id);
    if (typeof profile.email === 'string' && profile.email) add(`email:${profile.email.toLowerCase()}`, id);
  }
  return new Map([...groups].filter(([, ids]) => ids.length >= 2).map(([key, ids]) => [key, ids.sort()]));
}

/** Counter fields of engagement items (as test/support/engagement-check.ts reads them). */
export const COUNTER_FIELD = /^(\w+_(sent|delivered|read|clicked|replied|failed|engaged)|bt_\d+_\d+|cv_(all|contact)|sn_\w+|tk_(open|resolved))$/;

/**
 * Engagement counter items (`P#ENG…`) of contacts that do not exist (purged
 * or merged away) that are not expiring zeroed tombstones: one line each. A
 * contact in the recycle bin keeps its counters for a restore.
 */
export function survivingCounters(state: TableState): string[] {
  const out: string[] = [];
  for (const [id, items] of state.collections) {
    if (state.profiles.has(id) || state.binned.has(id)) continue;
    for (const item of items) {
      if (!String(item.sk).startsWith('P#ENG')) continue;
      const nonZero = Object.entries(item).filter(([field, value]) => COUNTER_FIELD.test(field) && typeof value === 'number' && value !== 0);
      const expiring = typeof item.expiresAt === 'number';
      if (nonZero.length > 0 || !expiring) {
        const alias = items.some((i) => i.sk === 'A#MERGED') ? ' (merged away)' : '';
        out.push(`CONTACT#${id}${alias} ${item.sk}: ${expiring ? '' : 'no expiresAt; '}${nonZero.length ? `counters ${JSON.stringify(Object.fromEntries(nonZero))}` : 'counters all 0'}`);
      }
    }
  }
  return out;
}

/**
 * What the recycle bin must hold for every binned contact: out of every
 * contact index but its own two (byType BINNED, byFilter PURGE), and its
 * memberships out of byMember (they count nowhere until a restore). One line
 * per item that is not so.
 */
export function binnedLeaks(state: TableState): string[] {
  const out: string[] = [];
  for (const [id, profile] of state.binned) {
    for (const name of ['gsi2pk', 'gsi3pk', 'gsi4pk', 'gsi5pk', 'gsi7pk', 'gsi8pk']) if (profile[name] !== undefined) out.push(`CONTACT#${id} P#PROFILE (binned) still has ${name}`);
    if (profile.gsi1pk !== undefined && profile.gsi1pk !== 'BINNED') out.push(`CONTACT#${id} P#PROFILE (binned) gsi1pk ${profile.gsi1pk}`);
    if (profile.gsi6pk !== 'PURGE') out.push(`CONTACT#${id} P#PROFILE (binned) gsi6pk ${profile.gsi6pk}`);
    for (const item of state.collections.get(id) ?? []) {
      if ((String(item.sk).startsWith('P#LIST#') || String(item.sk).startsWith('P#TAG#')) && item.gsi9pk !== undefined) out.push(`CONTACT#${id} ${item.sk} (binned) still in byMember`);
    }
  }
  return out;
}
