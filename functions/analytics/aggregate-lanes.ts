import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ACTIVITY_STATE_TYPE, isLegacyLaneItem, isQuietChange } from '../data/activity-state.js';
import { config } from '../lib/config.js';
import { activityFromItem, aggregateChange } from './contact-activity.js';
import { analyticsDayKey, analyticsGeoKey, analyticsMonthKey, analyticsNodeKey } from '../data/keys.js';
import { applyCounterDeltas, type CounterDelta, type CounterKey } from '../engagement/counter-store.js';
import type { RecordFailure } from '../streams/processors.js';

/**
 * Hop 2 of the analytics stream (activity-processor.ts): the records of the
 * activity states, which live in lane partitions, feed the counter store
 * with aggregateChange(old image, new image). Its watermark per source (the
 * lane) makes replays exact; with lanes as sources a hot aggregate keeps at
 * most ANALYTICS_LANES watermarks, where contacts as sources would give it
 * one per active contact and outgrow the item. A quiet state write (carried
 * over, or a reconciliation's repair) adds nothing; a state's removal (its
 * tombstone expiring) neither: a tombstone counts nothing.
 */

/** Attributes per aggregate item in one lane write / one counter write: an update expression is capped at 4 KB. */
export const MAX_ATTRIBUTES_PER_ITEM = 200;

const keyOf = (record: DynamoDBRecord) => ({ pk: record.dynamodb?.Keys?.pk?.S ?? '', sk: record.dynamodb?.Keys?.sk?.S ?? '' });
const seqOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber ?? '';
const image = (value: unknown) => (value ? (unmarshall(value as Record<string, AttributeValue>) as Record<string, unknown>) : undefined);

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
export async function applyLaneRecords(records: DynamoDBRecord[]): Promise<RecordFailure[]> {
  if (records.length === 0) return [];
  const timezone = config().timezone;
  const failed = new Map<string, string>();
  const poisoned = new Set<string>();
  let round: CounterDelta[] = [];
  let widths = new Map<string, Set<string>>();
  const flush = async () => {
    if (round.length === 0) return;
    const result = await applyCounterDeltas(round, { allowNegative: true });
    for (const id of result.failedRecordIds) failed.set(id, 'aggregate counter item could not be written');
    for (const delta of round) if (failed.has(delta.recordId)) poisoned.add(delta.source);
    round = [];
    widths = new Map();
  };
  for (const record of records) {
    const source = keyOf(record).pk;
    const seq = seqOf(record);
    if (poisoned.has(source)) {
      failed.set(seq, 'an earlier record of the same lane failed');
      continue;
    }
    const deltas: CounterDelta[] = [];
    for (const [id, add] of Object.entries(deltasOf(record, timezone))) {
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
        failed.set(seq, 'an earlier record of the same lane failed');
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
  return [...failed].map(([sequenceNumber, reason]) => ({ sequenceNumber, reason }));
}

/** The aggregate deltas a lane record carries: a state's change (old image to new), or a deltas item of earlier versions. */
function deltasOf(record: DynamoDBRecord, timezone: string): Record<string, Record<string, number>> {
  const after = image(record.dynamodb?.NewImage);
  if (isLegacyLaneItem(after)) return JSON.parse(after.deltas) as Record<string, Record<string, number>>;
  if (after?.type !== ACTIVITY_STATE_TYPE) return {};
  const before = image(record.dynamodb?.OldImage);
  if (isQuietChange(before, after)) return {};
  const out: Record<string, Record<string, number>> = {};
  for (const [id, attributes] of aggregateChange(before?.type === ACTIVITY_STATE_TYPE ? activityFromItem(before) : undefined, activityFromItem(after), timezone)) {
    const nonZero = Object.entries(attributes).filter(([, d]) => d !== 0);
    if (nonZero.length > 0) out[id] = Object.fromEntries(nonZero);
  }
  return out;
}
