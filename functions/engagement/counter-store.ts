import type { DynamoDBRecord } from 'aws-lambda';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { counterKeyId, counterStates, counterState, type CounterKey, type CounterState, type Watermarks } from '../data/counter-item.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { inParallel } from '../lib/concurrency.js';
import { WarmCache } from '../lib/warm-cache.js';

/**
 * Exact counters fed by the table stream, idempotent under at-least-once
 * delivery and written at most once per distinct counter item per batch.
 * It knows nothing about what the counters mean: callers turn stream
 * records into deltas (per-contact engagement here, tenant-wide daily
 * aggregates in analytics) and hand them over together.
 *
 * Idempotency: every counter item keeps, per source, the sequence number of
 * the last stream record applied to it (`wm`). A source is a lane whose
 * records arrive in sequence order: the partition key of the record's item
 * (all records of one partition key go to one shard, in order, and Lambda
 * runs a shard's batches one at a time, parents before children). Lambda
 * retries a batch from its earliest failed record, so a replay is always a
 * suffix of each source's records; applying only records newer than the
 * watermark makes replaying a batch, or any part of it, change nothing.
 * The write is conditioned on the watermarks it read; a concurrent writer
 * makes the condition fail, and the key is re-read and retried.
 *
 * Sources with many lanes per item (a tenant-wide aggregate is fed by every
 * contact) grow `wm` by one entry per active source; entries older than the
 * stream's retention are pruned on write, since no retry can bring their
 * records back. Split very hot aggregates into a few items if that map
 * would approach the 400 KB item limit.
 */

export type { CounterKey };

export interface CounterDelta {
  key: CounterKey;
  /** Numeric attributes to ADD (negative to subtract). */
  add: Record<string, number>;
  /** Attributes written when the item is created (type, ids, dates). */
  init?: Record<string, unknown>;
  /** Ordered lane of the record (see above): use `recordSource(record)`. */
  source: string;
  /** Stream sequence number of the record. */
  seq: string;
  /** Batch item identifier reported back when this delta cannot be written. */
  recordId: string;
}

export interface CounterBatchStats {
  /** Distinct counter items the batch's deltas touch. */
  distinctKeys: number;
  /** UpdateItem calls made (including condition retries). */
  writes: number;
  /** Keys whose deltas were all already applied (replays). */
  skippedKeys: number;
  conditionRetries: number;
  failedKeys: number;
  deltas: number;
  /** Items marked to expire after their counters reached zero (one extra write each). */
  tombstones: number;
}

export interface ApplyCountersResult {
  /** Record ids of deltas whose key could not be written; report them as batch item failures. */
  failedRecordIds: string[];
  /** Keys that did not exist before this call and were created by it. */
  created: CounterKey[];
  /** Keys written successfully. */
  written: CounterKey[];
  stats: CounterBatchStats;
}

export interface ApplyCountersOptions {
  /** Attempts per key when its condition fails (concurrent writer). @default 6 */
  maxAttempts?: number;
  /** Parallel writes. @default 16 */
  concurrency?: number;
  /** Watermarks not advanced for this long are pruned. @default 2 days (stream retention is 24 h) */
  watermarkRetentionSeconds?: number;
  now?: () => number;
  /**
   * Called with the keys that do not exist yet, after reading and before
   * writing, so an index of new counter items is written before the items
   * themselves (a retry finds the item still missing and calls it again).
   * If it throws, nothing is written and every record fails.
   */
  beforeCreate?: (keys: CounterKey[]) => Promise<void>;
  /**
   * Keep subtractions for items that do not exist yet. An aggregate fed by
   * several ordered sources (the analytics lanes) can see a subtraction
   * before the addition it cancels; dropping it would leave the sum wrong.
   * @default false
   */
  allowNegative?: boolean;
  /**
   * Items of one owner that must not outlive it (a contact's counters):
   * a write that leaves every counter of the item at zero marks it with
   * `expiresAt` this many seconds ahead, and any later write unmarks it.
   * The zeroed item keeps its watermarks as a tombstone, so a replay of the
   * stream cannot apply the same records again (deleting it would forget
   * them); TTL removes it once no replay can come. Costs one extra write,
   * only when an item reaches zero.
   */
  tombstoneSeconds?: number;
}

type KeyState = CounterState;

const keyId = counterKeyId;

/**
 * The watermarks this process last wrote to each counter item: a warm
 * function meets the same items batch after batch. Every write is
 * conditioned on the watermarks it assumes, so a stale entry fails, reads
 * the item and tries again. Only items known to exist are kept.
 */
const known = new WarmCache<KeyState>(100_000);

/** Forgets what was written (tests that script the table's answers). */
export function forgetCounterItems(): void {
  known.clear();
}

function remember(key: CounterKey, state: KeyState | undefined): void {
  if (state?.exists) known.set(keyId(key), state);
  else known.delete(keyId(key));
}

/** The ordered lane of a stream record: its item's partition key. */
export function recordSource(record: DynamoDBRecord): string {
  const pk = record.dynamodb?.Keys?.pk?.S;
  if (!pk) throw new Error('stream record without a partition key');
  return pk;
}

/** Stream sequence numbers are decimal strings of varying length. */
export function seqAfter(seq: string, watermark: string | undefined): boolean {
  if (watermark === undefined) return true;
  return BigInt(seq) > BigInt(watermark);
}

const totals = { batches: 0, distinctKeys: 0, writes: 0, maxWritesOverKeys: 0 };
const listeners = new Set<(stats: CounterBatchStats) => void>();

/** Cumulative figures since start (benchmarks read them; `maxWritesOverKeys` > 1 would break the per-batch write bound). */
export function counterTotals(): Readonly<typeof totals> {
  return { ...totals };
}

/** Observes every applyCounterDeltas call (benchmarks, tests). Returns the unsubscribe function. */
export function onCounterBatch(listener: (stats: CounterBatchStats) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function applyCounterDeltas(deltas: readonly CounterDelta[], options: ApplyCountersOptions = {}): Promise<ApplyCountersResult> {
  const maxAttempts = options.maxAttempts ?? 6;
  const now = options.now ?? Date.now;
  const retention = options.watermarkRetentionSeconds ?? 2 * 86_400;
  const byKey = new Map<string, { key: CounterKey; deltas: CounterDelta[] }>();
  for (const delta of deltas) {
    const id = keyId(delta.key);
    let group = byKey.get(id);
    if (!group) byKey.set(id, (group = { key: delta.key, deltas: [] }));
    group.deltas.push(delta);
  }
  const stats: CounterBatchStats = { distinctKeys: byKey.size, writes: 0, skippedKeys: 0, conditionRetries: 0, failedKeys: 0, deltas: deltas.length, tombstones: 0 };
  const result: ApplyCountersResult = { failedRecordIds: [], created: [], written: [], stats };
  if (byKey.size === 0) return result;

  let states: Map<string, KeyState>;
  try {
    const remembered = new Map<string, KeyState>();
    for (const [id, group] of byKey) {
      const state = known.get(keyId(group.key));
      if (state) remembered.set(id, state);
    }
    states = await counterStates([...byKey.entries()].filter(([id]) => !remembered.has(id)).map(([, g]) => g.key));
    for (const [id, state] of remembered) states.set(id, state);
    const missing = [...byKey.entries()].filter(([id]) => !states.get(id)?.exists).map(([, g]) => g.key);
    if (missing.length > 0) await options.beforeCreate?.(missing);
  } catch (error) {
    logger.error('counter items could not be prepared', { error: error as Error });
    result.failedRecordIds = [...new Set(deltas.map((d) => d.recordId))];
    stats.failedKeys = byKey.size;
    return finish(result);
  }

  const failed = new Set<string>();
  await inParallel([...byKey.entries()], options.concurrency ?? 16, async ([id, group]) => {
    let state = states.get(id) ?? { exists: false };
    for (let attempt = 1; ; attempt++) {
      const write = buildWrite(group.key, group.deltas, state, Math.floor(now() / 1000), retention, options.allowNegative === true, options.tombstoneSeconds);
      if (!write) {
        stats.skippedKeys++;
        return;
      }
      try {
        stats.writes++;
        const { Attributes } = await ddb().send(new UpdateCommand(write.update));
        if (options.tombstoneSeconds !== undefined && Attributes && allZero(Attributes) && Attributes[TTL_ATTRIBUTE] === undefined) {
          stats.tombstones++;
          await markTombstone(group.key, Attributes, write.watermarks, Math.floor(now() / 1000) + options.tombstoneSeconds);
        }
        result.written.push(group.key);
        if (!state.exists) result.created.push(group.key);
        remember(group.key, { exists: true, wm: write.watermarks });
        return;
      } catch (error) {
        if (isConditionFailure(error) && attempt < maxAttempts) {
          stats.conditionRetries++;
          try {
            const existed = state.exists;
            state = await counterState(group.key);
            remember(group.key, state);
            // Gone since it was last seen (the window roll deletes old days): index it again before re-creating it.
            if (existed && !state.exists) await options.beforeCreate?.([group.key]);
            continue;
          } catch (readError) {
            error = readError;
          }
        }
        remember(group.key, undefined);
        logger.warn('counter item could not be written', { key: group.key, attempt, error: error as Error });
        stats.failedKeys++;
        for (const delta of group.deltas) failed.add(delta.recordId);
        return;
      }
    }
  });
  result.failedRecordIds = [...failed];
  return finish(result);
}

function finish(result: ApplyCountersResult): ApplyCountersResult {
  totals.batches++;
  totals.distinctKeys += result.stats.distinctKeys;
  totals.writes += result.stats.writes;
  if (result.stats.distinctKeys > 0) totals.maxWritesOverKeys = Math.max(totals.maxWritesOverKeys, result.stats.writes / result.stats.distinctKeys);
  for (const listener of listeners) listener(result.stats);
  return result;
}

/** The UpdateItem for one key and the watermarks it leaves, or undefined when every delta is already applied. */
function buildWrite(key: CounterKey, deltas: CounterDelta[], state: KeyState, nowSeconds: number, retention: number, allowNegative = false, tombstoneSeconds?: number) {
  const tombstones = tombstoneSeconds !== undefined;
  const marks: Watermarks = {};
  const sums: Record<string, number> = {};
  let init: Record<string, unknown> | undefined;
  for (const delta of deltas) {
    if (!seqAfter(delta.seq, state.wm?.[delta.source]?.s)) continue;
    const current = marks[delta.source]?.s;
    if (current === undefined || seqAfter(delta.seq, current)) marks[delta.source] = { s: delta.seq, t: nowSeconds };
    for (const [field, amount] of Object.entries(delta.add)) sums[field] = (sums[field] ?? 0) + amount;
    init ??= delta.init;
  }
  if (Object.keys(marks).length === 0) return undefined;
  const adds = Object.entries(sums).filter(([, amount]) => amount !== 0 && (state.exists || allowNegative || amount > 0));
  // A missing item is created even when the batch's deltas cancel out (+1 then -1) or only subtract
  // (what they cancel is gone): it must record the watermarks. A retry re-cuts batches from its
  // earliest failed record, which another processor may have failed, so a later batch can hold part
  // of what this one netted away (the +1 without its -1) and would otherwise apply it.
  // Subtractions are never written to a missing item of one ordered source; an item left with
  // nothing counted is created as an expiring tombstone (below). Without tombstones there is no
  // such item to leave, and one source's empty item is not created.
  if (!state.exists && adds.length === 0 && !allowNegative && !tombstones) return undefined;
  const emptyTombstone = !state.exists && adds.length === 0 && tombstones;

  const names: Record<string, string> = { '#wm': 'wm' };
  const values: Record<string, unknown> = {};
  const set: string[] = [];
  const remove: string[] = [];
  const conditions: string[] = [];
  const pruned: string[] = [];
  if (state.exists && state.wm) {
    conditions.push('attribute_exists(pk)');
    Object.entries(marks).forEach(([source, mark], i) => {
      names[`#w${i}`] = source;
      values[`:w${i}`] = mark;
      set.push(`#wm.#w${i} = :w${i}`);
      const previous = state.wm![source];
      if (previous) {
        values[`:p${i}`] = previous.s;
        conditions.push(`#wm.#w${i}.s = :p${i}`);
      } else conditions.push(`attribute_not_exists(#wm.#w${i})`);
    });
    Object.entries(state.wm)
      .filter(([source, mark]) => !marks[source] && mark.t < nowSeconds - retention)
      .forEach(([source, mark], i) => {
        pruned.push(source);
        names[`#r${i}`] = source;
        values[`:r${i}`] = mark.s;
        remove.push(`#wm.#r${i}`);
        conditions.push(`#wm.#r${i}.s = :r${i}`);
      });
  } else {
    values[':wm'] = marks;
    set.push('#wm = :wm');
    conditions.push(state.exists ? 'attribute_exists(pk) AND attribute_not_exists(#wm)' : 'attribute_not_exists(pk)');
    if (!state.exists) {
      Object.entries(init ?? {}).forEach(([attribute, value], i) => {
        names[`#i${i}`] = attribute;
        values[`:i${i}`] = value;
        set.push(`#i${i} = :i${i}`);
      });
    }
  }
  const add = adds.map(([field, amount], i) => {
    names[`#a${i}`] = field;
    values[`:a${i}`] = amount;
    return `#a${i} :a${i}`;
  });
  // The item's watermarks once this write lands: what it had, with this batch's marks and without the pruned ones.
  const watermarks: Watermarks = { ...(state.exists ? state.wm : {}), ...marks };
  for (const source of pruned) delete watermarks[source];
  if (tombstones && state.exists) {
    // A zeroed item brought back to life is no tombstone any more.
    names['#x'] = TTL_ATTRIBUTE;
    remove.push('#x');
  } else if (emptyTombstone) {
    names['#x'] = TTL_ATTRIBUTE;
    values[':x'] = nowSeconds + tombstoneSeconds!;
    set.push('#x = :x');
  }
  const update = {
    TableName: tableName(),
    Key: { pk: key.pk, sk: key.sk },
    UpdateExpression: `SET ${set.join(', ')}${add.length ? ` ADD ${add.join(', ')}` : ''}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ...(tombstones ? { ReturnValues: 'ALL_NEW' as const } : {}),
  };
  return { update, watermarks };
}

const TTL_ATTRIBUTE = 'expiresAt';

/** Every counter of the item is zero (its numeric attributes; the TTL attribute is not a counter). */
function allZero(item: Record<string, unknown>): boolean {
  return Object.entries(item).every(([name, value]) => typeof value !== 'number' || name === TTL_ATTRIBUTE || value === 0);
}

/**
 * Marks a zeroed item to expire, on the condition that no write came in
 * between (its counters still zero, its watermarks still the ones just
 * written); a write that did come decides for itself.
 */
async function markTombstone(key: CounterKey, item: Record<string, unknown>, watermarks: Watermarks, expiresAt: number): Promise<void> {
  // Only the names and values the expressions use: DynamoDB refuses any other.
  const names: Record<string, string> = { '#x': TTL_ATTRIBUTE };
  const values: Record<string, unknown> = { ':x': expiresAt };
  const conditions: string[] = [];
  Object.keys(item)
    .filter((name) => typeof item[name] === 'number' && name !== TTL_ATTRIBUTE)
    .forEach((name, i) => {
      names[`#c${i}`] = name;
      values[':zero'] = 0;
      conditions.push(`#c${i} = :zero`);
    });
  Object.entries(watermarks).forEach(([source, mark], i) => {
    names['#wm'] = 'wm';
    names[`#w${i}`] = source;
    values[`:w${i}`] = mark.s;
    conditions.push(`#wm.#w${i}.s = :w${i}`);
  });
  await ddb()
    .send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: key.pk, sk: key.sk },
        UpdateExpression: 'SET #x = :x',
        ConditionExpression: conditions.length > 0 ? conditions.join(' AND ') : 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    )
    .catch((error) => {
      // The counts are written; an unmarked zero item only waits for the reconciliation to mark it.
      if (!isConditionFailure(error)) logger.warn('counter tombstone could not be marked', { key, error: error as Error });
    });
}
