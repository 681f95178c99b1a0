import { addDays, localDay } from '../../shared/analytics.js';
import type { ContactCollection, Item } from '../data/contact-collection.js';
import { engagementDayOf, putActiveDay } from '../data/engagement-day.js';
import { contactIdFromPk, contactPk, TOMBSTONE_SECONDS } from '../data/keys.js';
import { TABLE_DEFINITION } from '../data/table-schema.js';
import { contributionOf } from '../engagement/contributions.js';
import { WINDOW_DAYS } from '../engagement/profile-engagement.js';
import { writeRepair, type RepairWrite } from './repair-write.js';

/**
 * Per-contact engagement counters, recomputed: each counter item
 * (`P#ENGD#<day>`, `P#ENG#SUMMARY`) must hold the sum of
 * `contributionOf(item)` over the contact's message and conversation items,
 * which is what the stream keeps by adding contribution(NEW) -
 * contribution(OLD). A contact without a profile normally has no history
 * left (a purge removes it, a merge moves it), so its counters come out
 * zero; a counter item whose counters are all zero is kept as a tombstone
 * with `expiresAt` (it guards stream replays; counter-store.ts), one with
 * counts never carries it. Day items older than the 90-day window are the
 * hourly roll's to delete and are left alone.
 */

/** Counter attributes of engagement items (functions/engagement/items.ts); others (`wm`, `expiresAt`, legacy `rate`) are not counters. */
const COUNTER_FIELD = /^(\w+_(sent|delivered|read|clicked|replied|failed|engaged)|bt_\d+_\d+|cv_(all|contact)|sn_\w+|tk_(open|resolved))$/;
const TTL = TABLE_DEFINITION.ttlAttribute;

export interface CounterRepair extends Omit<RepairWrite, 'expiry'> {
  /** What the write does with `expiresAt`: mark a zeroed item, unmark one with counts, or leave it. */
  expiry: 'mark' | 'clear' | 'keep';
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** The differences between the stored counters of a contact and their recomputation from its history. */
export function planCounterRepairs(collection: ContactCollection, timezone: string, now: Date): CounterRepair[] {
  const windowStart = addDays(localDay(now, timezone), -(WINDOW_DAYS - 1));
  const inScope = (sk: string) => {
    const day = engagementDayOf(sk);
    return day === undefined || day >= windowStart;
  };
  const expected = new Map<string, { add: Record<string, number>; init: Record<string, unknown> }>();
  for (const item of collection.history) {
    for (const c of contributionOf(item, timezone)) {
      // Contributions name the contact the item says it belongs to; a state item always lives in its own contact's collection.
      if (c.key.pk !== contactPk(collection.contactId)) continue;
      const target = expected.get(c.key.sk) ?? { add: {}, init: c.init };
      for (const [field, amount] of Object.entries(c.add)) target.add[field] = (target.add[field] ?? 0) + amount;
      expected.set(c.key.sk, target);
    }
  }
  const stored = new Map(collection.counters.map((item) => [String(item.sk), item]));
  const repairs: CounterRepair[] = [];
  for (const sk of new Set([...expected.keys(), ...stored.keys()])) {
    if (!inScope(sk)) continue;
    const want = expected.get(sk)?.add ?? {};
    const item = stored.get(sk);
    const key = { pk: contactPk(collection.contactId), sk };
    if (!item) {
      const add = Object.fromEntries(Object.entries(want).filter(([, n]) => n !== 0));
      if (Object.keys(add).length > 0) repairs.push({ key, exists: false, add, init: expected.get(sk)!.init, expiry: 'keep' });
      continue;
    }
    const fields = new Set([...Object.keys(want), ...Object.keys(item).filter((f) => COUNTER_FIELD.test(f))]);
    const add: Record<string, number> = {};
    for (const field of fields) {
      const delta = num(want[field]) - num(item[field]);
      if (delta !== 0) add[field] = delta;
    }
    const zero = [...fields].every((field) => num(want[field]) === 0);
    const marked = item[TTL] !== undefined;
    const expiry = zero && !marked ? 'mark' : !zero && marked ? 'clear' : 'keep';
    if (Object.keys(add).length > 0 || expiry !== 'keep') repairs.push({ key, exists: true, wm: item.wm, add, expiry });
  }
  return repairs;
}

/** Counters an item holds (for examples and tests). */
export const counterFieldsOf = (item: Item) => Object.keys(item).filter((f) => COUNTER_FIELD.test(f));

/** Applies one repair (repair-write.ts), indexing a re-created day item; false when its condition failed. */
export async function applyCounterRepair(repair: CounterRepair, now: Date): Promise<boolean> {
  const expiry = repair.expiry === 'mark' ? { set: Math.floor(now.getTime() / 1000) + TOMBSTONE_SECONDS } : repair.expiry === 'clear' ? ({ remove: true } as const) : undefined;
  if (!(await writeRepair({ ...repair, expiry }))) return false;
  const day = engagementDayOf(repair.key.sk);
  // A re-created day item is indexed under its day as the stream indexes new day items, so the hourly roll deletes it when the day leaves the window.
  if (!repair.exists && day) await putActiveDay(contactIdFromPk(repair.key.pk), day);
  return true;
}
