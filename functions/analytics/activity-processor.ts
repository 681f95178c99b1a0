import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { config } from '../lib/config.js';
import { ddb } from '../lib/dynamo.js';
import { cancellationCodes } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { inParallel } from '../lib/concurrency.js';
import { RETRY, withBackoff } from '../lib/backoff.js';
import { WarmCache } from '../lib/warm-cache.js';
import { activityStatePut, activityStates, isLanePk, isMergedAliasSk, isProfileSk, lanePut } from '../data/activity-state.js';
import { isContactPk, isEngagementStateSk } from '../data/engagement-state.js';
import { BINNED_CONTACT_TYPE } from '../data/contact-type.js';
import { contactIdFromPk, TOMBSTONE_SECONDS } from '../data/keys.js';
import { seqAfter } from '../engagement/counter-store.js';
import { failuresOf, type RecordFailure, type StreamProcessor } from '../streams/processors.js';
import { aggregateKey, applyLaneRecords, MAX_ATTRIBUTES_PER_ITEM } from './aggregate-lanes.js';
import {
  activityFromItem,
  aggregateChange,
  applyHistoryChange,
  applyProfileChange,
  emptyActivity,
  hasFacts,
  type AggregateDeltas,
  type ContactActivity,
} from './contact-activity.js';

export { aggregateKey };

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
/** Contacts per transaction (one state Put each): DynamoDB allows 100 items; one is the lane. */
const MAX_TRANSACTION_ITEMS = 99;
/** Lane payload, well under the 400 KB item limit (the stream record carries the old image too). */
const MAX_LANE_BYTES = 150_000;
const MAX_ROUNDS = 4;
/** Transactions in flight: contacts are disjoint between them, and a lane busy in another moves on to the next lane. */
const COMMIT_CONCURRENCY = 4;

const keyOf = (record: DynamoDBRecord) => ({ pk: record.dynamodb?.Keys?.pk?.S ?? '', sk: record.dynamodb?.Keys?.sk?.S ?? '' });
const seqOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber ?? '';
const image = (value: unknown) => (value ? (unmarshall(value as Record<string, AttributeValue>) as Record<string, unknown>) : undefined);
/** When the change happened (the stream's clock, identical on every replay). */
const changedAt = (record: DynamoDBRecord) => (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000;

function isContactSource(record: DynamoDBRecord): boolean {
  const { pk, sk } = keyOf(record);
  return isContactPk(pk) && (isProfileSk(sk) || isMergedAliasSk(sk) || isEngagementStateSk(sk));
}

const isLaneRecord = (record: DynamoDBRecord) => isLanePk(keyOf(record).pk) && record.eventName !== 'REMOVE';

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
  /** The contact was merged away (its alias item exists): an undo may bring it back, so its state never expires. */
  away?: boolean;
  /** The contact is in the recycle bin (its last profile record): a restore may bring it back, so its state never expires. */
  binned?: boolean;
}

interface Plan {
  contactId: string;
  records: DynamoDBRecord[];
  /** The transaction item that writes this contact's state. */
  put: Record<string, unknown>;
  /** The state as the transaction leaves it. */
  next: Loaded;
  deltas: AggregateDeltas;
}

const byContactOf = (records: DynamoDBRecord[]) => {
  const byContact = new Map<string, DynamoDBRecord[]>();
  for (const record of records) {
    const contactId = contactIdFromPk(keyOf(record).pk);
    const list = byContact.get(contactId) ?? [];
    list.push(record);
    byContact.set(contactId, list);
  }
  return byContact;
};

async function processContactRecords(records: DynamoDBRecord[]): Promise<RecordFailure[]> {
  if (records.length === 0) return [];
  const timezone = config().timezone;
  const byContact = byContactOf(records);
  const failed: RecordFailure[] = [];
  const fail = (contactId: string, reason: string) => failed.push(...failuresOf(byContact.get(contactId)!, reason));
  let pending = [...byContact.keys()];
  for (let round = 1; pending.length > 0; round++) {
    let loaded: Map<string, Loaded>;
    try {
      loaded = await loadStates(pending);
    } catch (error) {
      logger.error('analytics: activity states could not be read', { error: error as Error });
      for (const id of pending) fail(id, `activity states could not be read: ${(error as Error).message}`);
      break;
    }
    const plans = pending
      .map((contactId) => plan(contactId, byContact.get(contactId)!, loaded.get(contactId)!, timezone))
      .filter((p): p is Plan => p !== undefined);
    const retry: string[] = [];
    // After a failed condition the contacts involved go again, each in its own transaction: one
    // contact's trouble never holds another's records back.
    const groups = round === 1 ? chunks(plans) : plans.map((p) => [p]);
    await inParallel(groups, COMMIT_CONCURRENCY, async (chunk) => {
      const outcome = await commit(chunk);
      for (const p of chunk) {
        if (outcome.ok) written.set(p.contactId, p.next);
        else written.delete(p.contactId);
      }
      if (outcome.ok) return;
      if (outcome.stale && round < MAX_ROUNDS) retry.push(...chunk.map((p) => p.contactId));
      else for (const p of chunk) fail(p.contactId, outcome.reason);
    });
    pending = retry;
  }
  return failed;
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

/** Current activity states (remembered or read). */
async function loadStates(contactIds: string[]): Promise<Map<string, Loaded>> {
  const loaded = new Map<string, Loaded>(contactIds.map((id) => [id, { exists: false }]));
  const unknown: string[] = [];
  for (const id of contactIds) {
    const remembered = written.get(id);
    if (remembered) loaded.set(id, remembered);
    else unknown.push(id);
  }
  for (const { contactId, item } of await activityStates(unknown)) {
    loaded.set(contactId, {
      exists: true,
      activity: activityFromItem(item),
      seq: typeof item.seq === 'string' ? item.seq : undefined,
      version: Number(item.version ?? 0),
      away: item.away === true,
      binned: item.binned === true,
    });
  }
  return loaded;
}

/** Nothing of the contact counts any more and no undo or restore can bring it back: the state only guards replays. */
const isTombstone = (state: ContactActivity, away: boolean, binned: boolean) => !state.inBase && !away && !binned && !hasFacts(state);

/**
 * Folds the contact's records of this batch into its state: the profile
 * decides membership of the base and the map, the alias item whether it
 * was merged away, and history items the activity. The fold reads nothing
 * else: whether the contact still exists never gates it (a contact deleted
 * before its creation is processed still joined and left the base).
 * Records at or below the state's sequence number were applied already.
 */
function plan(contactId: string, records: DynamoDBRecord[], loaded: Loaded, timezone: string): Plan | undefined {
  const before = loaded.exists ? loaded.activity! : undefined;
  const state = before ? structuredClone(before) : emptyActivity();
  let away = loaded.away === true;
  let binned = loaded.binned === true;
  let seq = loaded.seq;
  let folded = before !== undefined;
  let moved = false;
  for (const record of records) {
    const sequence = seqOf(record);
    if (seq !== undefined && !seqAfter(sequence, seq)) continue;
    const { sk } = keyOf(record);
    const after = image(record.dynamodb?.NewImage);
    let changes: boolean;
    if (isProfileSk(sk)) {
      // A binned profile is out of the base (its type is no longer `contact`); restored, it joins again that day.
      changes = applyProfileChange(state, after, changedAt(record), timezone);
      changes = binned !== (after?.type === BINNED_CONTACT_TYPE) || changes;
      binned = after?.type === BINNED_CONTACT_TYPE;
    } else if (isMergedAliasSk(sk)) {
      changes = away !== (after !== undefined);
      away = after !== undefined;
    }
    // A contact without a state has folded none of its history: its first history record counts from its current image.
    else changes = applyHistoryChange(state, folded ? image(record.dynamodb?.OldImage) : undefined, after, timezone);
    moved ||= changes;
    seq = sequence;
    folded = true;
  }
  // Records that each leave the state as it was (a profile edit the panel does not read, such as
  // the band snapshot or a name) write nothing: replaying them later changes nothing either. Records
  // that move it must advance the sequence number even when they net out within the batch (an
  // addition and its removal): a replay that starts between them would otherwise apply the second
  // one alone.
  if (!moved) return undefined;
  const deltas = aggregateChange(before, state, timezone);
  const version = (loaded.version ?? 0) + 1;
  const next: Loaded = { exists: true, activity: state, seq, version, away, binned };
  const expiresAt = isTombstone(state, away, binned) ? Math.floor(Date.now() / 1000) + TOMBSTONE_SECONDS : undefined;
  const put = activityStatePut(
    contactId,
    { seq, version, ...state, ...(away ? { away } : {}), ...(binned ? { binned } : {}), ...(expiresAt ? { expiresAt } : {}) },
    loaded.exists ? (loaded.version ?? 0) : undefined,
  );
  return { contactId, records, put, deltas, next };
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
  let bytes = 0;
  for (const p of plans) {
    const size = JSON.stringify([...p.deltas]).length;
    if (current.plans.length > 0 && (current.plans.length >= MAX_TRANSACTION_ITEMS || bytes + size > MAX_LANE_BYTES || !fits(current.deltas, p.deltas))) {
      out.push(current);
      current = { plans: [], deltas: new Map() };
      bytes = 0;
    }
    current.plans.push(p);
    mergeInto(current.deltas, p.deltas);
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

type CommitOutcome = { ok: true } | { ok: false; stale: boolean; reason: string };
class LanesBusy extends Error {}

/**
 * Writes one transaction: the contacts' states and, when their aggregates
 * change, the lane item. A lane busy in another transaction (a concurrent
 * shard) sends us to the next lane; a failed condition means a state moved
 * under us (a stale remembered version) and the caller reads it again.
 */
async function commit(plans: Plan[]): Promise<CommitOutcome> {
  const deltas = laneDeltas(plans);
  const lane = Object.keys(deltas).length > 0 ? JSON.stringify(deltas) : undefined;
  const start = laneOf(plans[0].contactId);
  const conflict = (error: unknown) =>
    (error as Error).name === 'TransactionConflictException' || cancellationCodes(error).includes('TransactionConflict');
  try {
    return await withBackoff<CommitOutcome>(
      async (attempt) => {
        const items: unknown[] = plans.map((p) => p.put);
        if (lane) items.push(lanePut((start + attempt) % LANES, lane, ulid()));
        try {
          await ddb().send(new TransactWriteCommand({ TransactItems: items as never }));
          return { ok: true };
        } catch (error) {
          if (cancellationCodes(error).includes('ConditionalCheckFailed')) {
            return { ok: false, stale: true, reason: 'activity state changed under the processor (version condition failed)' };
          }
          // The lane is busy in another transaction (a concurrent shard): the next attempt takes the next lane.
          if (conflict(error)) return RETRY;
          throw error;
        }
      },
      { attempts: LANES * 2, baseMs: 5, maxMs: 200, exhausted: () => new LanesBusy() },
    );
  } catch (error) {
    if (error instanceof LanesBusy) return { ok: false, stale: false, reason: 'lanes stayed busy' };
    logger.error('analytics: activity transaction failed', { error: error as Error, contacts: plans.length });
    return { ok: false, stale: false, reason: `activity transaction failed: ${(error as Error).name}: ${(error as Error).message}` };
  }
}
