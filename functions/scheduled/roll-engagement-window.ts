import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { addDays, localDay } from '../../shared/analytics.js';
import { config } from '../lib/config.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { logger } from '../lib/logger.js';
import { engagementDayKey, rollStateKey } from '../data/keys.js';
import { batchWriteAll, PAGE_LIMIT } from '../lib/dynamo-batch.js';
import { inParallel } from '../lib/concurrency.js';
import { WINDOW_DAYS } from '../engagement/profile-engagement.js';
import { refreshBandSnapshot } from '../engagement/band-snapshot.js';

/** On a first run (or after a long stop) look this far back for days that left the window unnoticed. */
const CATCH_UP_DAYS = 7;

/**
 * Hourly: moves the 90-day window of the contacts whose day just left it.
 * The ENGDAY#<day> index lists the contacts with counters on a day, so the
 * work is proportional to what changed, never a scan of the base. For each
 * such contact the band snapshot is recomputed (and the profile's band
 * moved if it changed), then the day's counters, now outside every window,
 * are deleted so profile reads stay bounded. Progress is saved per day;
 * a crash repeats at most one day, and repeating is harmless.
 */
export async function rollEngagementWindow(now = new Date()): Promise<{ days: string[]; contacts: number; updated: number }> {
  const lastOut = addDays(localDay(now, config().timezone), -WINDOW_DAYS);
  const { Item: state } = await ddb().send(new GetCommand({ TableName: tableName(), Key: rollStateKey('engagement'), ConsistentRead: true }));
  const done = typeof state?.lastDay === 'string' ? state.lastDay : addDays(lastOut, -CATCH_UP_DAYS);
  const out = { days: [] as string[], contacts: 0, updated: 0 };
  for (let day = addDays(done, 1); day <= lastOut; day = addDays(day, 1)) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await ddb().send(
        new QueryCommand({ TableName: tableName(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ENGDAY#${day}` }, Limit: PAGE_LIMIT, ExclusiveStartKey: startKey }),
      );
      const contactIds = (page.Items ?? []).map((item) => String(item.contactId));
      await inParallel(contactIds, 8, async (contactId) => {
        if ((await refreshBandSnapshot(contactId, now)) === 'updated') out.updated++;
      });
      await batchWriteAll(contactIds.map((contactId) => ({ DeleteRequest: { Key: engagementDayKey(contactId, day) } })));
      out.contacts += contactIds.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    await ddb().send(new PutCommand({ TableName: tableName(), Item: { ...rollStateKey('engagement'), type: 'rollState', lastDay: day, at: now.toISOString() } }));
    out.days.push(day);
  }
  if (out.days.length > 0) logger.info('engagement window rolled', out);
  return out;
}

export const handler = async (): Promise<unknown> => rollEngagementWindow();
