import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Channel } from '../../shared/contact-schema.js';
import { effectiveStages, furthestStatus } from '../../shared/engagement.js';
import { config } from '../lib/config.js';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { logger } from '../lib/logger.js';
import { inParallel } from '../lib/concurrency.js';
import { activeDayKey, contactIdFromPk, dispatchKey, engagementDayOf, TOMBSTONE_SECONDS } from '../data/keys.js';
import { isEngagementStateSk } from '../data/engagement-state.js';
import type { RecordFailure, StreamProcessor } from '../streams/processors.js';
import { batchWriteAll } from '../lib/dynamo-batch.js';
import { contributionChange, isMessageItem } from './contributions.js';
import { applyCounterDeltas, recordSource, type CounterBatchStats, type CounterDelta } from './counter-store.js';
import type { MessageItem } from './items.js';
import { refreshBandSnapshot } from './band-snapshot.js';
import { WINDOW_DAYS } from './profile-engagement.js';

/**
 * Per-contact engagement counters from the message and conversation state
 * items (functions/engagement/items.ts). For each record it takes
 * contribution(NEW) - contribution(OLD), aggregates the whole batch per
 * counter item and hands it to the counter store (one write per distinct
 * item, watermarked). Then, for what changed: the active-day index of new
 * day items, the dispatch report's delivery status, and the band snapshot.
 */
export interface EngagementBatchStats extends CounterBatchStats {
  records: number;
  failedRecords: number;
  /** Writes besides counters: active-day markers, dispatch statuses, band snapshots. */
  sideWrites: number;
}

let lastStats: EngagementBatchStats | undefined;
/** Figures of the last batch (benchmarks: writes <= distinctKeys). */
export function lastEngagementBatchStats(): EngagementBatchStats | undefined {
  return lastStats;
}

/** Requests in flight per phase of a batch (the counter store's own writes run at its default, 16). */
const WRITE_CONCURRENCY = 16;
const BAND_FIELDS = /_(delivered|engaged)$/;

function image(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return value ? unmarshall(value as Record<string, AttributeValue>) : undefined;
}

interface DispatchChange {
  contactId: string;
  messageId: string;
  status: string;
}

export const engagementProcessor: StreamProcessor = {
  name: 'engagement-counters',
  claims: (record) => isEngagementStateSk(record.dynamodb?.Keys?.sk?.S ?? ''),
  process: processEngagementRecords,
};

export async function processEngagementRecords(records: DynamoDBRecord[]): Promise<RecordFailure[]> {
  const timezone = config().timezone;
  const failed = new Map<string, string>();
  const poisoned = new Set<string>();
  const deltas: CounterDelta[] = [];
  const recordsByContact = new Map<string, string[]>();
  const dispatches = new Map<string, DispatchChange>();

  for (const record of records) {
    const recordId = record.dynamodb?.SequenceNumber ?? '';
    let source: string | undefined;
    try {
      source = recordSource(record);
      // A later record of the same item collection must not overtake one that failed before it:
      // the counters' watermark would then skip the failed one on retry.
      if (poisoned.has(source)) {
        failed.set(recordId, 'an earlier record of the same contact failed');
        continue;
      }
      const before = image(record.dynamodb?.OldImage);
      const after = image(record.dynamodb?.NewImage);
      for (const change of contributionChange(before, after, timezone)) {
        deltas.push({ key: change.key, add: change.add, init: change.init, source, seq: recordId, recordId });
      }
      const contactId = contactIdFromPk(source);
      recordsByContact.set(contactId, [...(recordsByContact.get(contactId) ?? []), recordId]);
      const dispatch = dispatchChange(before, after);
      if (dispatch) dispatches.set(`${dispatch.contactId}/${dispatch.messageId}`, dispatch);
    } catch (error) {
      logger.error('engagement record could not be read', { sequenceNumber: recordId, error: error as Error });
      failed.set(recordId, `record could not be read: ${(error as Error).message}`);
      if (source) poisoned.add(source);
    }
  }

  let sideWrites = 0;
  const applied = await applyCounterDeltas(deltas, {
    // A contact's counters reach zero when its history goes (purge, merge): they expire instead of lingering.
    tombstoneSeconds: TOMBSTONE_SECONDS,
    beforeCreate: async (keys) => {
      const days = keys.flatMap((key) => {
        const date = engagementDayOf(key.sk);
        return date ? [{ contactId: contactIdFromPk(key.pk), date }] : [];
      });
      sideWrites += await markActiveDays(days);
    },
  });
  for (const id of applied.failedRecordIds) failed.set(id, 'engagement counter item could not be written');

  const failContact = (contactId: string, error: unknown, what: string) => {
    logger.error(`engagement ${what} failed`, { contactId, error: error as Error });
    for (const id of recordsByContact.get(contactId) ?? []) failed.set(id, `${what} failed: ${(error as Error).message}`);
  };

  try {
    sideWrites += await updateDispatchStatuses([...dispatches.values()]);
  } catch (error) {
    for (const d of dispatches.values()) failContact(d.contactId, error, 'dispatch status');
  }

  // Contacts whose delivered or engaged counts changed in the batch (now or in an earlier attempt
  // of it): the only counts the band depends on.
  const touched = [...new Set(deltas.filter((d) => Object.keys(d.add).some((f) => BAND_FIELDS.test(f))).map((d) => contactIdFromPk(d.key.pk)))];
  await inParallel(touched, WRITE_CONCURRENCY, async (contactId) => {
    try {
      if ((await refreshBandSnapshot(contactId)) === 'updated') sideWrites++;
    } catch (error) {
      failContact(contactId, error, 'band refresh');
    }
  });

  lastStats = { ...applied.stats, records: records.length, failedRecords: failed.size, sideWrites };
  return [...failed].map(([sequenceNumber, reason]) => ({ sequenceNumber, reason }));
}

/** The dispatch report follows its message's furthest stage (messageId = dispatch id); only individual messages have dispatches. */
function dispatchChange(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): DispatchChange | undefined {
  if (!isMessageItem(after) || after.broadcast === true) return undefined;
  const status = furthestStatus(effectiveStages(after.channel as Channel, after.stages ?? {}));
  const previous = isMessageItem(before) ? furthestStatus(effectiveStages(before.channel as Channel, before.stages ?? {})) : undefined;
  if (!status || status === previous) return undefined;
  return { contactId: (after as MessageItem).contactId, messageId: (after as MessageItem).messageId, status };
}

async function updateDispatchStatuses(changes: DispatchChange[]): Promise<number> {
  if (changes.length === 0) return 0;
  const found = await batchGetItems(
    changes.map((c) => dispatchKey(c.contactId, c.messageId)),
    { projection: 'pk, sk, deliveryStatus' },
  );
  const existing = new Map(found.map((item) => [`${item.pk}/${item.sk}`, item.deliveryStatus]));
  let writes = 0;
  await inParallel(changes, WRITE_CONCURRENCY, async (change) => {
    const key = dispatchKey(change.contactId, change.messageId);
    const id = `${key.pk}/${key.sk}`;
    if (!existing.has(id) || existing.get(id) === change.status) return;
    writes++;
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        ConditionExpression: 'attribute_exists(pk)',
        UpdateExpression: 'SET deliveryStatus = :s',
        ExpressionAttributeValues: { ':s': change.status },
      }),
    ).catch((error) => {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    });
  });
  return writes;
}

/** Indexes new day items by day, so the window roll finds the contacts whose day leaves the window. */
async function markActiveDays(days: { contactId: string; date: string }[]): Promise<number> {
  await batchWriteAll(
    days.map(({ contactId, date }) => ({
      PutRequest: {
        Item: {
          ...activeDayKey(date, contactId),
          type: 'activeDay',
          contactId,
          date,
          expiresAt: Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000) + (WINDOW_DAYS + 30) * 86_400,
        },
      },
    })),
    WRITE_CONCURRENCY,
  );
  return days.length;
}
