import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ulid } from 'ulid';
import { addDays, dayNumber, localDay, monthOf } from '../../shared/analytics.js';
import { aggregateKey } from '../analytics/activity-processor.js';
import { aggregateChange, type ContactActivity } from '../analytics/contact-activity.js';
import { nodeId, nodesContaining, nodeStart, parseNodeId } from '../analytics/distinct-nodes.js';
import { aggregateIdOf, allAnalyticsDays, allAnalyticsMonths } from '../data/analytics-aggregate.js';
import { analyticsGeoKey, analyticsNodeKey, TOMBSTONE_SECONDS } from '../data/keys.js';
import { putReconcileSum, reconcileSums } from '../data/reconcile-run.js';
import { TABLE_DEFINITION } from '../data/table-schema.js';
import { batchGetItems } from '../lib/dynamo.js';
import { writeRepair } from './repair-write.js';

/**
 * The Contact Behavior panel's tenant-wide aggregates, recomputed: every
 * aggregate item (ids `N:<node>`, `D:<day>`, `M:<month>`, `G`, keys in
 * activity-processor.ts `aggregateKey`) must hold the sum over all activity
 * states of `aggregateChange(undefined, state)`, since the stream adds
 * exactly the change of every state to them.
 *
 * One exception: base history (`bs` on day and month items). A tombstone
 * state (a contact deleted long enough ago) expires with the days it joined
 * and left, while the aggregates keep them, as they should: the base of past
 * days included it. So `bs` is recomputed only for the days no expired
 * tombstone can have touched (the last TOMBSTONE_SECONDS); older days are
 * taken as stored, whatever is left over between the stored total and the
 * contacts in the base today is put on today (the panel's base of today
 * always equals the contacts listed), and each month's `bs` must be the sum
 * of its days' (the panel reads earlier months from month items and the
 * current month from day items).
 */

/** Aggregate id -> attribute -> value; plus BASE_COUNT: contacts in the base. */
export type Totals = Map<string, Record<string, number>>;
const BASE_COUNT = '#base';
const BASE = 'bs';
const TTL = TABLE_DEFINITION.ttlAttribute;
/** An update expression is capped at 4 KB: at most this many attributes per UpdateItem (as the stream's lanes). */
const MAX_ATTRIBUTES_PER_WRITE = 150;
/** Binary sums per item, under DynamoDB's 400 KB. */
const MAX_PART_BYTES = 350_000;

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

function bump(totals: Totals, id: string, attribute: string, by: number): void {
  if (by === 0) return;
  const target = totals.get(id) ?? {};
  const next = (target[attribute] ?? 0) + by;
  if (next === 0) delete target[attribute];
  else target[attribute] = next;
  if (Object.keys(target).length === 0) totals.delete(id);
  else totals.set(id, target);
}

/** Adds one state's share of the aggregates. */
export function addState(totals: Totals, activity: ContactActivity, timezone: string): void {
  const share = aggregateChange(undefined, activity, timezone);
  for (const [id, attributes] of share) for (const [attribute, n] of Object.entries(attributes)) bump(totals, id, attribute, n);
  if (activity.inBase) bump(totals, BASE_COUNT, 'n', 1);
}

function addTotals(into: Totals, from: Iterable<[string, Record<string, number>]>): void {
  for (const [id, attributes] of from) for (const [attribute, n] of Object.entries(attributes)) bump(into, id, attribute, n);
}

/**
 * Saves a chunk's share of the totals (deflated JSON, split in parts). A
 * chunk done again overwrites its parts; the parts of one write share a
 * token, and part 0 says how many there are, so parts left by an earlier
 * attempt are ignored.
 */
export async function saveChunkTotals(runId: string, chunk: number, totals: Totals, expiresAt: number): Promise<void> {
  if (totals.size === 0) return;
  const data = deflateRawSync(Buffer.from(JSON.stringify([...totals])));
  const parts = Math.max(1, Math.ceil(data.length / MAX_PART_BYTES));
  const token = ulid();
  for (let part = 0; part < parts; part++) {
    await putReconcileSum(runId, chunk, part, { parts, token, data: data.subarray(part * MAX_PART_BYTES, (part + 1) * MAX_PART_BYTES), expiresAt });
  }
}

/** The totals of every chunk saved for a run. */
export async function loadRunTotals(runId: string): Promise<Totals> {
  const items = await reconcileSums(runId);
  const byChunk = new Map<number, Record<string, unknown>[]>();
  for (const item of items) byChunk.set(Number(item.chunk), [...(byChunk.get(Number(item.chunk)) ?? []), item]);
  const totals: Totals = new Map();
  for (const [chunk, parts] of byChunk) {
    const head = parts.find((p) => p.part === 0);
    const mine = parts.filter((p) => p.token === head?.token).sort((a, b) => num(a.part) - num(b.part));
    if (!head || mine.length !== num(head.parts)) throw new Error(`reconcile: the totals of chunk ${chunk} of run ${runId} are incomplete`);
    const data = Buffer.concat(mine.map((p) => Buffer.from(p.data as Uint8Array)));
    addTotals(totals, JSON.parse(inflateRawSync(data).toString()) as [string, Record<string, number>][]);
  }
  return totals;
}

export interface StoredAggregate {
  values: Record<string, number>;
  wm?: Record<string, { s: string; t: number }>;
}

const daysOfIds = (ids: Iterable<string>) => [...ids].filter((id) => id.startsWith('D:')).map((id) => id.slice(2));

/**
 * Every stored aggregate item: the whole day and month series, the
 * geography item and every node of the days between the first day either
 * side knows and tomorrow (so a node holding something it should not is
 * found too).
 */
export async function readStoredAggregates(expected: Totals, today: string): Promise<Map<string, StoredAggregate>> {
  const [days, months] = await Promise.all([allAnalyticsDays(), allAnalyticsMonths()]);
  const known = [
    ...daysOfIds(expected.keys()).map(dayNumber),
    ...days.map((item) => dayNumber(String(item.sk))),
    ...[...expected.keys()].filter((id) => id.startsWith('N:')).map((id) => nodeStart(parseNodeId(id.slice(2)))),
  ];
  const last = dayNumber(addDays(today, 1));
  const first = known.reduce((min, day) => Math.min(min, day), last);
  const nodes = new Set<string>();
  for (let day = first; day <= last; day++) for (const node of nodesContaining(day)) nodes.add(nodeId(node));
  for (const id of expected.keys()) if (id.startsWith('N:')) nodes.add(id.slice(2));
  const keyed = await batchGetItems([analyticsGeoKey(), ...[...nodes].map(analyticsNodeKey)], { consistent: true });
  const out = new Map<string, StoredAggregate>();
  for (const item of [...days, ...months, ...keyed]) {
    const id = aggregateIdOf(item);
    if (!id) continue;
    const values: Record<string, number> = {};
    for (const [attribute, value] of Object.entries(item)) if (typeof value === 'number' && attribute !== TTL) values[attribute] = value;
    out.set(id, { values, wm: item.wm as StoredAggregate['wm'] });
  }
  return out;
}

export interface AggregateDiff {
  id: string;
  exists: boolean;
  wm?: StoredAggregate['wm'];
  /** expected - stored per differing attribute. */
  add: Record<string, number>;
}

/**
 * What every aggregate should hold given the states' totals and what is
 * stored (for the base history; see the module comment), then the
 * differences. `recentFrom`: the first day whose base changes every state
 * still holds.
 */
export function diffAggregates(totals: Totals, stored: Map<string, StoredAggregate>, recentFrom: string, today: string): AggregateDiff[] {
  const expected: Totals = new Map([...totals].filter(([id]) => id !== BASE_COUNT).map(([id, attributes]) => [id, { ...attributes }]));
  const ids = new Set([...expected.keys(), ...stored.keys()]);
  const set = (id: string, attribute: string, value: number) => {
    const target = expected.get(id) ?? {};
    if (value === 0) delete target[attribute];
    else target[attribute] = value;
    expected.set(id, target);
  };
  let total = 0;
  for (const day of daysOfIds(ids)) {
    const id = `D:${day}`;
    if (day < recentFrom) set(id, BASE, num(stored.get(id)?.values[BASE]));
    total += num(expected.get(id)?.[BASE]);
  }
  const remainder = num(totals.get(BASE_COUNT)?.n) - total;
  if (remainder !== 0) set(`D:${today}`, BASE, num(expected.get(`D:${today}`)?.[BASE]) + remainder);
  const monthBase = new Map<string, number>();
  for (const day of daysOfIds(new Set([...ids, ...expected.keys()]))) {
    monthBase.set(monthOf(day), (monthBase.get(monthOf(day)) ?? 0) + num(expected.get(`D:${day}`)?.[BASE]));
  }
  for (const id of new Set([...ids, ...[...monthBase.keys()].map((m) => `M:${m}`)])) {
    if (id.startsWith('M:')) set(id, BASE, monthBase.get(id.slice(2)) ?? 0);
  }
  const diffs: AggregateDiff[] = [];
  for (const id of new Set([...expected.keys(), ...stored.keys()])) {
    const want = expected.get(id) ?? {};
    const have = stored.get(id);
    const add: Record<string, number> = {};
    for (const attribute of new Set([...Object.keys(want), ...Object.keys(have?.values ?? {})])) {
      const delta = num(want[attribute]) - num(have?.values[attribute]);
      if (delta !== 0) add[attribute] = delta;
    }
    if (Object.keys(add).length > 0) diffs.push({ id, exists: have !== undefined, wm: have?.wm, add });
  }
  return diffs.sort((a, b) => a.id.localeCompare(b.id));
}

/** The first day on which every base change is still held by a state: tombstones expire TOMBSTONE_SECONDS after their contact left. */
export function recentBaseFrom(now: Date, timezone: string): string {
  return addDays(localDay(now.getTime() - TOMBSTONE_SECONDS * 1000, timezone), 1);
}

/** The stream applied nothing to the item at or after `since` (epoch ms): every watermark is older, with `skewMs` to spare. */
export function settledSince(diff: Pick<AggregateDiff, 'wm'>, since: number, skewMs: number): boolean {
  // Watermark times are whole seconds, floored.
  return Object.values(diff.wm ?? {}).every((mark) => (num(mark?.t) + 1) * 1000 <= since - skewMs);
}

/**
 * ADDs the differences to one aggregate item, conditioned on its
 * watermarks being the ones read (no lane applied in between), or creates
 * it. False when the condition failed.
 */
export async function applyAggregateRepair(diff: AggregateDiff): Promise<boolean> {
  const { key, init } = aggregateKey(diff.id);
  const entries = Object.entries(diff.add);
  for (let from = 0; from < entries.length; from += MAX_ATTRIBUTES_PER_WRITE) {
    // Later slices find the item the first one created (without watermarks) or left as read.
    const exists = diff.exists || from > 0;
    const add = Object.fromEntries(entries.slice(from, from + MAX_ATTRIBUTES_PER_WRITE));
    if (!(await writeRepair({ key, exists, wm: diff.exists ? diff.wm : undefined, add, init }))) return false;
  }
  return true;
}
