import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { config } from '../lib/config.js';
import { ddb } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { inParallel } from '../lib/concurrency.js';
import { WarmCache } from '../lib/warm-cache.js';
import { activityStatePut, activityStates, carryOver, isLanePk, isMergedAliasSk, isProfileSk, stateCreatedAt } from '../data/activity-state.js';
import type { Item } from '../data/query.js';
import { isContactPk, isEngagementStateSk } from '../data/engagement-state.js';
import { BINNED_CONTACT_TYPE } from '../data/contact-type.js';
import { contactIdFromPk, TOMBSTONE_SECONDS } from '../data/keys.js';
import { seqAfter } from '../engagement/counter-store.js';
import { failuresOf, type RecordFailure, type StreamProcessor } from '../streams/processors.js';
import { aggregateKey, applyLaneRecords } from './aggregate-lanes.js';
import { activityFromItem, applyHistoryChange, applyProfileChange, emptyActivity, hasFacts, type ContactActivity } from './contact-activity.js';

export { aggregateKey };

/**
 * Keeps the Contact Behavior panel's tenant-wide aggregates from the table
 * stream, in two hops.
 *
 * 1. Contact records (profile, message and conversation items) update the
 *    contact's activity state (`ANLANE#<n>` / `S#<contactId>`). Records of
 *    one contact come in order (one partition key), so the state remembers
 *    the last sequence number it applied and a replay changes nothing. Each
 *    changed state is one conditional Put (on the version it replaces): no
 *    transaction, no separate item for the deltas.
 * 2. The state's own stream record carries its old and new image: the
 *    aggregate deltas are aggregateChange(old, new), a pure function, so
 *    hop 2 (aggregate-lanes.ts) derives them and feeds the counter store,
 *    whose watermark per source makes replays exact. The states live in a
 *    few lane partitions, so the sources are the lanes: a hot aggregate
 *    keeps at most ANALYTICS_LANES watermarks, where contacts as sources
 *    would give it one per active contact and outgrow the item.
 *
 * A state and the deltas it implies can never part: they are one write.
 */

/** Contacts' state writes in flight. */
const WRITE_CONCURRENCY = 16;
const MAX_ROUNDS = 4;

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
  /** Read from where states lived before lanes: carried over (carryOver) before it is written. */
  legacy?: Item;
  /** When the state came to be in its lane (activity-state.ts stateCreatedAt). */
  createdAt?: number;
}

interface Plan {
  contactId: string;
  records: DynamoDBRecord[];
  /** The Put that writes this contact's state. */
  put: ReturnType<typeof activityStatePut>;
  /** The state as the Put leaves it. */
  next: Loaded;
  legacy?: Item;
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
    let loaded: Map<string, Loaded | { error: string }>;
    try {
      loaded = await loadStates(pending);
    } catch (error) {
      logger.error('analytics: activity states could not be read', { error: error as Error });
      for (const id of pending) fail(id, `activity states could not be read: ${(error as Error).message}`);
      break;
    }
    const plans: Plan[] = [];
    for (const contactId of pending) {
      const state = loaded.get(contactId)!;
      // A state that could not be decoded fails its own contact's records, never the batch's.
      if ('error' in state) fail(contactId, state.error);
      else {
        const next = plan(contactId, byContact.get(contactId)!, state, timezone);
        if (next) plans.push(next);
      }
    }
    const retry: string[] = [];
    await inParallel(plans, WRITE_CONCURRENCY, async (p) => {
      const outcome = await commit(p);
      if (outcome.ok) written.set(p.contactId, p.next);
      else written.delete(p.contactId);
      if (outcome.ok) return;
      // The state moved under us (a stale remembered version, or a reconciliation's repair): read it again.
      if (outcome.stale && round < MAX_ROUNDS) retry.push(p.contactId);
      else fail(p.contactId, outcome.reason);
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
async function loadStates(contactIds: string[]): Promise<Map<string, Loaded | { error: string }>> {
  const loaded = new Map<string, Loaded | { error: string }>(contactIds.map((id) => [id, { exists: false }]));
  const unknown: string[] = [];
  for (const id of contactIds) {
    const remembered = written.get(id);
    if (remembered) loaded.set(id, remembered);
    else unknown.push(id);
  }
  for (const { contactId, item, legacy } of await activityStates(unknown)) {
    let activity: ContactActivity;
    try {
      activity = activityFromItem(item);
    } catch (error) {
      logger.error('analytics: activity state could not be decoded', { contactId, error: error as Error });
      loaded.set(contactId, { error: `activity state could not be decoded: ${(error as Error).message}` });
      continue;
    }
    loaded.set(contactId, {
      ...(legacy ? { legacy: item } : {}),
      exists: true,
      activity,
      seq: typeof item.seq === 'string' ? item.seq : undefined,
      version: Number(item.version ?? 0),
      away: item.away === true,
      binned: item.binned === true,
      ...(legacy ? {} : { createdAt: stateCreatedAt(item) }),
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
  const version = (loaded.version ?? 0) + 1;
  // A state new to its lane (created now, or carried over from its old place) is created now.
  const createdAt = loaded.exists && !loaded.legacy ? (loaded.createdAt ?? 0) : Date.now();
  const next: Loaded = { exists: true, activity: state, seq, version, away, binned, createdAt };
  const expiresAt = isTombstone(state, away, binned) ? Math.floor(Date.now() / 1000) + TOMBSTONE_SECONDS : undefined;
  const put = activityStatePut(
    contactId,
    { seq, version, createdAt, ...state, ...(away ? { away } : {}), ...(binned ? { binned } : {}), ...(expiresAt ? { expiresAt } : {}) },
    loaded.exists ? (loaded.version ?? 0) : undefined,
  );
  return { contactId, records, put, next, ...(loaded.legacy ? { legacy: loaded.legacy } : {}) };
}

type CommitOutcome = { ok: true } | { ok: false; stale: boolean; reason: string };

/**
 * Writes one contact's state: a Put conditioned on the version it replaces.
 * A failed condition means the state moved under us (a stale remembered
 * version) and the caller reads it again. A state still in its old place is
 * carried over first, quietly (its aggregates are counted already).
 */
async function commit(p: Plan): Promise<CommitOutcome> {
  try {
    if (p.legacy) await carryOver(p.contactId, p.legacy, p.next.createdAt ?? Date.now());
    await ddb().send(new PutCommand(p.put));
    return { ok: true };
  } catch (error) {
    if (isConditionFailure(error)) return { ok: false, stale: true, reason: 'activity state changed under the processor (version condition failed)' };
    logger.error('analytics: activity state write failed', { error: error as Error, contactId: p.contactId });
    return { ok: false, stale: false, reason: `activity state write failed: ${(error as Error).name}: ${(error as Error).message}` };
  }
}
