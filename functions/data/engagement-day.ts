import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { WINDOW_DAYS } from '../engagement/profile-engagement.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { activeDayKey, ENGAGEMENT_COUNTER_PREFIX, engagementDayKey, engagementDayOf } from './keys.js';
import { PAGE_LIMIT, queryFrom, type Item } from './query.js';

/**
 * A contact's engagement by day (shapes of the counters in
 * functions/engagement/items.ts):
 *   CONTACT#<id>   P#ENGD#<yyyy-mm-dd>   per-day counters (read with the profile)
 *                  P#ENG#SUMMARY         ticket counters (same counter family)
 *   ENGDAY#<date>  <contactId>           the contact has a day item on that date
 * The stream indexes each new day item under its day, so the hourly window
 * roll finds the contacts whose day just left the 90-day window without a
 * scan; the index entry lives 30 days past that.
 */
export const ACTIVE_DAY_TYPE = 'activeDay';

export { engagementDayKey, engagementDayOf };

/** An engagement counter item of a contact (a day's counters or the summary), by its sort key. */
export const isEngagementCounterItem = (item: { sk?: unknown }): boolean => String(item.sk).startsWith(ENGAGEMENT_COUNTER_PREFIX);

/** The index entry of a contact's day item. */
export function activeDayItem(contactId: string, date: string): Item {
  const expiresAt = Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000) + (WINDOW_DAYS + 30) * 86_400;
  return { ...activeDayKey(date, contactId), type: ACTIVE_DAY_TYPE, contactId, date, expiresAt };
}

/** Indexes one day item of a contact under its day. */
export async function putActiveDay(contactId: string, date: string): Promise<void> {
  await ddb().send(new PutCommand({ TableName: tableName(), Item: activeDayItem(contactId, date) }));
}

/** The contacts indexed under a day, a page at a time (one page at least, maybe empty). */
export async function* contactsActiveOnDay(date: string): AsyncGenerator<string[]> {
  let start: Item | undefined;
  do {
    const page = await queryFrom({ partition: activeDayKey(date, '').pk, limit: PAGE_LIMIT, newestFirst: false }, start);
    yield page.items.map((item) => String(item.contactId));
    start = page.next;
  } while (start);
}
