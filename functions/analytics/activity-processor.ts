import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { isDeepStrictEqual } from 'node:util';
import { ulid } from 'ulid';
import { config } from '../lib/config.js';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { logger } from '../lib/logger.js';
import { inParallel } from '../lib/concurrency.js';
import { WarmCache } from '../lib/warm-cache.js';
import {
  analyticsDayKey,
  analyticsGeoKey,
  analyticsLaneKey,
  analyticsMonthKey,
  analyticsNodeKey,
  contactActivityKey,
  contactIdFromPk,
  contactKey,
  removedActivityKey,
} from '../data/keys.js';
import { applyCounterDeltas, seqAfter, type CounterDelta, type CounterKey } from '../engagement/counter-store.js';
import type { StreamProcessor } from '../streams/processors.js';
import {
  activityFromItem,
  aggregateChange,
  applyHistoryChange,
  applyProfileChange,
  emptyActivity,
  removedActivity,
  type AggregateDeltas,
  type ContactActivity,
} from './contact-activity.js';

/**
 * Keeps the Contact Behavior panel's tenant-wide aggregates from the table
 * stream, in two hops.
 *
 * 1. Contact records (profile, message and conversation items) update the
 *    contact's activity state (`S#ANALYTICS`). Records of one contact come
 *    in order (one partition key), so the state remembers the last sequence
 *    number it applied and a replay changes nothing. The aggregate deltas
 *    that follow from the states' change are written in the SAME
 *    transaction as the states, onto a lane item: one Put carrying the sum
 *    of up to ~99 contacts' deltas. State and deltas can never part.
 * 2. Lane records feed the counter store. Its watermark per source makes
 *    replays exact; with lanes as sources a hot aggregate keeps at most
 *    LANES watermarks, where contacts as sources would give it one per
 *    active contact and outgrow the item.
 *
 * The hop costs one extra stream pass (well under a second locally) and
 * keeps "once per distinct aggregate item per batch" for the hot items.
 */

export const LANES = 8;
const STATE_SK = 'S#ANALYTICS';
/** Transaction items: DynamoDB allows 100; one is the lane. */
const MAX_TRANSACTION_ITEMS = 99;
/** Attributes per aggregate item in one lane write / one counter write: an update expression is capped at 4 KB. */
const MAX_ATTRIBUTES_PER_ITEM = 200;
/** Lane payload, well under the 400 KB item limit (the stream record carries the old image too). */
const MAX_LANE_BYTES = 150_000;
const MAX_ROUNDS = 4;
/** Transactions in flight: contacts are disjoint between them, and a lane busy in another moves on to the next lane. */
const COMMIT_CONCURRENCY = 4;
/** Removed-state markers outlive any replay of the stream (24 h retention). */
const REMOVED_MARKER_TTL_SECONDS = 3 * 86_400;

const keyOf = (record: DynamoDBRecord) => ({ pk: record.dynamodb?.Keys?.pk?.S ?? '', sk: record.dynamodb?.Keys?.sk?.S ?? '' });
const seqOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber ?? '';
const image = (value: unknown) => (value ? (unmarshall(value as Record<string, AttributeValue>) as Record<string, unknown>) : undefined);
/** When the change happened (the stream's clock, identical on every replay). */
const changedAt = (record: DynamoDBRecord) => (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000;

function isContactSource(record: DynamoDBRecord): boolean {
  const { pk, sk } = keyOf(record);
  if (!pk.startsWith('CONTACT#')) return false;
  if (sk === STATE_SK) return record.eventName === 'REMOVE';
  return sk === 'P#PROFILE' || sk.startsWith('H#MSG#') || sk.startsWith('H#CONV#');
}

const isLaneRecord = (record: DynamoDBRecord) => keyOf(record).pk.startsWith('ANLANE#') && record.eventName !== 'REMOVE';

export const analyticsProcessor: StreamProcessor = {
  name: 'analytics-aggregates',
  claims: (record) => isContactSource(record) || isLaneRecord(record),
  async process(records) {
    const [sources, lanes] = await Promise.all([
      processContactRecords(records.filter(isContactSource)),
      applyLaneRecords(records.filter(isLaneRecord)),
    ]);
    return [...sources, ...lanes];
  },
};

// ---------------------------------------------------------------- hop 1

interface Loaded {
  exists: boolean;
  activity?: ContactActivity;
  seq?: string;
  version?: number;
}

interface Plan {
  contactId: string;
  records: DynamoDBRecord[];
  /** Transaction items of this contact (state Put, profile check, removed-state markers). */
  items: Record<string, unknown>[];
  /** The state as the transaction leaves it, when it writes one. */
  next?: Loaded;
  deltas: AggregateDeltas;
}

async function processContactRecords(records: DynamoDBRecord[]): Promise<string[]> {
  if (records.length === 0) return [];
  const timezone = config().timezone;
  const byContact = new Map<string, DynamoDBRecord[]>();
  for (const record of records) {
    const contactId = contactIdFromPk(keyOf(record).pk);
    const list = byContact.get(contactId) ?? [];
    list.push(record);
    byContact.set(contactId, list);
  }
  const failed: string[] = [];
  let pending = [...byContact.keys()];
  for (let round = 1; pending.length > 0; round++) {
    let loaded: Map<string, Loaded>;
    let removed: Set<string>;
    try {
      [loaded, removed] = await loadStates(pending, byContact);
    } catch (error) {
      logger.error('analytics: activity states could not be read', { error: error as Error });
      for (const id of pending) failed.push(...byContact.get(id)!.map(seqOf));
      break;
    }
    const plans = pending
      .map((contactId) => plan(contactId, byContact.get(contactId)!, loaded.get(contactId)!, removed, timezone))
      .filter((p): p is Plan => p !== undefined);
    const retry: string[] = [];
    await inParallel(chunks(plans), COMMIT_CONCURRENCY, async (chunk) => {
      const outcome = await commit(chunk);
      for (const p of chunk) {
        if (outcome === 'ok' && p.next) written.set(p.contactId, p.next);
        else if (outcome !== 'ok') written.delete(p.contactId);
      }
      if (outcome === 'ok') return;
      if (outcome === 'stale' && round < MAX_ROUNDS) retry.push(...chunk.map((p) => p.contactId));
      else for (const p of chunk) failed.push(...p.records.map(seqOf));
    });
    pending = retry;
  }
  return failed.filter(Boolean);
}

/**
 * The states this process last wrote: a warm function meets the same
 * contacts batch after batch. Each state write is conditioned on the
 * version it replaces, so a stale entry makes its transaction fail as
 * 'stale' and the contact is read again.
 */
const written = new WarmCache<Loaded>(50_000);

/** Forgets the remembered states (tests that script the table's answers). */
export function forgetActivityStates(): void {
  written.clear();
}

/** Current activity states and which removed-state records were already subtracted. */
async function loadStates(contactIds: string[], byContact: Map<string, DynamoDBRecord[]>): Promise<[Map<string, Loaded>, Set<string>]> {
  const loaded = new Map<string, Loaded>(contactIds.map((id) => [id, { exists: false }]));
  const keys: Record<string, string>[] = [];
  for (const id of contactIds) {
    const removing = byContact.get(id)!.filter((record) => keyOf(record).sk === STATE_SK);
    const remembered = removing.length === 0 ? written.get(id) : undefined;
    if (remembered) loaded.set(id, remembered);
    else {
      written.delete(id);
      keys.push(contactActivityKey(id));
    }
    for (const record of removing) keys.push(removedActivityKey(id, seqOf(record)));
  }
  const removed = new Set<string>();
  for (const item of await batchGetItems(keys, { consistent: true })) {
    if (item.sk === STATE_SK) {
      loaded.set(contactIdFromPk(String(item.pk)), {
        exists: true,
        activity: activityFromItem(item),
        seq: typeof item.seq === 'string' ? item.seq : undefined,
        version: Number(item.version ?? 0),
      });
    } else removed.add(`${item.pk}|${item.sk}`);
  }
  return [loaded, removed];
}

/**
 * Replays the contact's records of this batch over its current state.
 * A contact without a state gets one only from its profile's creation
 * (checked to still exist at commit); any other record of a contact
 * without a state belongs to one being deleted, whose removed state is
 * subtracted whole when its own REMOVE record comes.
 */
function plan(contactId: string, records: DynamoDBRecord[], loaded: Loaded, removed: Set<string>, timezone: string): Plan | undefined {
  const before = loaded.exists ? loaded.activity! : undefined;
  let state = before ? structuredClone(before) : undefined;
  let seq = loaded.seq;
  let creating = false;
  let changed = false;
  const items: Record<string, unknown>[] = [];
  const deltas: AggregateDeltas = new Map();
  for (const record of records) {
    const { sk } = keyOf(record);
    const sequence = seqOf(record);
    if (sk === STATE_SK) {
      const marker = removedActivityKey(contactId, sequence);
      if (removed.has(`${marker.pk}|${marker.sk}`)) continue;
      const old = activityFromItem(image(record.dynamodb?.OldImage) ?? {});
      aggregateChange(old, removedActivity(old, changedAt(record), timezone), timezone, deltas);
      items.push({
        Put: {
          TableName: tableName(),
          Item: { ...marker, type: 'removedActivity', contactId, expiresAt: Math.floor(Date.now() / 1000) + REMOVED_MARKER_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      continue;
    }
    if (!state) {
      if (sk !== 'P#PROFILE' || record.eventName !== 'INSERT') continue;
      state = emptyActivity();
      creating = true;
    } else if (seq !== undefined && !seqAfter(sequence, seq)) continue;
    const after = image(record.dynamodb?.NewImage);
    if (sk === 'P#PROFILE') applyProfileChange(state, after, changedAt(record), timezone);
    else applyHistoryChange(state, image(record.dynamodb?.OldImage), after, timezone);
    seq = sequence;
    changed = true;
  }
  // Records that leave the state as it was (a profile edit the panel does not read, such as the
  // band snapshot or a name) write nothing: replaying them later changes nothing either.
  if (changed && state && !creating && isDeepStrictEqual(before, state)) changed = false;
  let next: Loaded | undefined;
  if (changed && state) {
    aggregateChange(before, state, timezone, deltas);
    const version = (loaded.version ?? 0) + 1;
    next = { exists: true, activity: state, seq, version };
    items.push({
      Put: {
        TableName: tableName(),
        Item: { ...contactActivityKey(contactId), type: 'contactActivity', contactId, seq, version, ...state },
        ConditionExpression: creating ? 'attribute_not_exists(pk)' : '#v = :v',
        ...(creating ? {} : { ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': loaded.version ?? 0 } }),
      },
    });
    if (creating) {
      items.push({ ConditionCheck: { TableName: tableName(), Key: contactKey(contactId), ConditionExpression: 'attribute_exists(pk)' } });
    }
  }
  return items.length > 0 ? { contactId, records, items, deltas, next } : undefined;
}

function mergeInto(target: AggregateDeltas, source: AggregateDeltas): void {
  for (const [id, attributes] of source) {
    const into = target.get(id) ?? {};
    for (const [attribute, delta] of Object.entries(attributes)) into[attribute] = (into[attribute] ?? 0) + delta;
    target.set(id, into);
  }
}

function fits(total: AggregateDeltas, next: AggregateDeltas): boolean {
  for (const [id, attributes] of next) {
    const present = total.get(id) ?? {};
    const added = Object.keys(attributes).filter((a) => !(a in present)).length;
    if (Object.keys(present).length + added > MAX_ATTRIBUTES_PER_ITEM) return false;
  }
  return true;
}

interface Chunk {
  plans: Plan[];
  deltas: AggregateDeltas;
}

/** Groups plans into transactions within DynamoDB's item, size and expression limits. */
function chunks(plans: Plan[]): Plan[][] {
  const out: Chunk[] = [];
  let current: Chunk = { plans: [], deltas: new Map() };
  let items = 0;
  let bytes = 0;
  for (const p of plans) {
    const size = JSON.stringify([...p.deltas]).length;
    if (current.plans.length > 0 && (items + p.items.length > MAX_TRANSACTION_ITEMS || bytes + size > MAX_LANE_BYTES || !fits(current.deltas, p.deltas))) {
      out.push(current);
      current = { plans: [], deltas: new Map() };
      items = 0;
      bytes = 0;
    }
    current.plans.push(p);
    mergeInto(current.deltas, p.deltas);
    items += p.items.length;
    bytes += size;
  }
  if (current.plans.length > 0) out.push(current);
  return out.map((c) => c.plans);
}

function laneDeltas(plans: Plan[]): Record<string, Record<string, number>> {
  const total: AggregateDeltas = new Map();
  for (const p of plans) mergeInto(total, p.deltas);
  const out: Record<string, Record<string, number>> = {};
  for (const [id, attributes] of total) {
    const nonZero = Object.entries(attributes).filter(([, d]) => d !== 0);
    if (nonZero.length > 0) out[id] = Object.fromEntries(nonZero);
  }
  return out;
}

function laneOf(contactId: string): number {
  let h = 0;
  for (let i = 0; i < contactId.length; i++) h = (h * 31 + contactId.charCodeAt(i)) >>> 0;
  return h % LANES;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes one transaction: the contacts' items and, when their aggregates
 * change, the lane item. A lane busy in another transaction (a concurrent
 * shard) sends us to the next lane; a failed condition means a state moved
 * under us (the contact is being deleted) and the caller re-plans it.
 */
async function commit(plans: Plan[]): Promise<'ok' | 'stale' | 'failed'> {
  const deltas = laneDeltas(plans);
  const hasDeltas = Object.keys(deltas).length > 0;
  const start = laneOf(plans[0].contactId);
  for (let attempt = 0; attempt < LANES * 2; attempt++) {
    const items = plans.flatMap((p) => p.items);
    if (hasDeltas) {
      items.push({
        Put: {
          TableName: tableName(),
          Item: { ...analyticsLaneKey((start + attempt) % LANES), type: 'analyticsLane', token: ulid(), deltas: JSON.stringify(deltas) },
        },
      });
    }
    try {
      await ddb().send(new TransactWriteCommand({ TransactItems: items as never }));
      return 'ok';
    } catch (error) {
      const reasons = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code);
      if (reasons.includes('ConditionalCheckFailed')) return 'stale';
      if (reasons.includes('TransactionConflict') || (error as Error).name === 'TransactionConflictException') {
        await sleep(5 + Math.random() * 20 * (attempt + 1));
        continue;
      }
      logger.error('analytics: activity transaction failed', { error: error as Error, contacts: plans.length });
      return 'failed';
    }
  }
  return 'failed';
}

// ---------------------------------------------------------------- hop 2

export function aggregateKey(id: string): { key: CounterKey; init: Record<string, unknown> } {
  const [kind, rest] = [id.slice(0, 1), id.slice(2)];
  switch (kind) {
    case 'N':
      return { key: analyticsNodeKey(rest), init: { type: 'analyticsNode', node: rest } };
    case 'D':
      return { key: analyticsDayKey(rest), init: { type: 'analyticsDay', date: rest } };
    case 'M':
      return { key: analyticsMonthKey(rest), init: { type: 'analyticsMonth', month: rest } };
    case 'G':
      return { key: analyticsGeoKey(), init: { type: 'analyticsGeography' } };
    default:
      throw new Error(`unknown aggregate ${id}`);
  }
}

/**
 * Applies lane records through the counter store, in rounds that keep each
 * aggregate item under the update expression's size limit. A lane whose
 * record failed fails its later records too: the watermark would otherwise
 * skip the failed one when the stream retries it.
 */
async function applyLaneRecords(records: DynamoDBRecord[]): Promise<string[]> {
  if (records.length === 0) return [];
  const failed = new Set<string>();
  const poisoned = new Set<string>();
  let round: CounterDelta[] = [];
  let widths = new Map<string, Set<string>>();
  const flush = async () => {
    if (round.length === 0) return;
    const result = await applyCounterDeltas(round, { allowNegative: true });
    for (const id of result.failedRecordIds) failed.add(id);
    for (const delta of round) if (failed.has(delta.recordId)) poisoned.add(delta.source);
    round = [];
    widths = new Map();
  };
  for (const record of records) {
    const source = keyOf(record).pk;
    const seq = seqOf(record);
    if (poisoned.has(source)) {
      failed.add(seq);
      continue;
    }
    const item = image(record.dynamodb?.NewImage);
    if (item?.type !== 'analyticsLane' || typeof item.deltas !== 'string') continue;
    const deltas: CounterDelta[] = [];
    for (const [id, add] of Object.entries(JSON.parse(item.deltas) as Record<string, Record<string, number>>)) {
      const { key, init } = aggregateKey(id);
      deltas.push({ key, add, init, source, seq, recordId: seq });
    }
    const overflows = deltas.some((d) => {
      const present = widths.get(`${d.key.pk}|${d.key.sk}`) ?? new Set();
      return present.size + Object.keys(d.add).filter((a) => !present.has(a)).length > MAX_ATTRIBUTES_PER_ITEM;
    });
    if (overflows) {
      await flush();
      if (poisoned.has(source)) {
        failed.add(seq);
        continue;
      }
    }
    for (const d of deltas) {
      const id = `${d.key.pk}|${d.key.sk}`;
      const present = widths.get(id) ?? new Set<string>();
      for (const a of Object.keys(d.add)) present.add(a);
      widths.set(id, present);
    }
    round.push(...deltas);
  }
  await flush();
  return [...failed];
}
