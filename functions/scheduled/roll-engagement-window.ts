import { addDays, localDay } from '../../shared/analytics.js';
import { config } from '../lib/config.js';
import { logger } from '../lib/logger.js';
import { contactsActiveOnDay, engagementDayKey } from '../data/engagement-day.js';
import { readRollState, saveRollState } from '../data/roll-state.js';
import { batchWriteAll } from '../lib/dynamo-batch.js';
import { inParallel } from '../lib/concurrency.js';
import { WINDOW_DAYS } from '../engagement/profile-engagement.js';
import { refreshBandSnapshot } from '../engagement/band-snapshot.js';

/** On a first run (or after a long stop) look this far back for days that left the window unnoticed. */
const CATCH_UP_DAYS = 7;
/** Its progress: `ROLL#engagement` (data/roll-state.ts). */
const ROLL_NAME = 'engagement';

/**
 * Hourly: moves the 90-day window of the contacts whose day just left it.
 * The ENGDAY#<day> index lists the contacts with counters on a day, so the
 * work is proportional to what changed, never a scan of the base. For each
 * such contact the band snapshot is recomputed (and its band item moved if
 * it changed; data/contact-band.ts), then the day's counters, now outside every window,
 * are deleted so profile reads stay bounded. Progress is saved per day;
 * a crash repeats at most one day, and repeating is harmless.
 */
export async function rollEngagementWindow(now = new Date()): Promise<{ days: string[]; contacts: number; updated: number }> {
  const lastOut = addDays(localDay(now, config().timezone), -WINDOW_DAYS);
  const state = await readRollState(ROLL_NAME);
  const done = typeof state?.lastDay === 'string' ? state.lastDay : addDays(lastOut, -CATCH_UP_DAYS);
  const out = { days: [] as string[], contacts: 0, updated: 0 };
  for (let day = addDays(done, 1); day <= lastOut; day = addDays(day, 1)) {
    for await (const contactIds of contactsActiveOnDay(day)) {
      await inParallel(contactIds, 8, async (contactId) => {
        if ((await refreshBandSnapshot(contactId, now)) === 'updated') out.updated++;
      });
      await batchWriteAll(contactIds.map((contactId) => ({ DeleteRequest: { Key: engagementDayKey(contactId, day) } })));
      out.contacts += contactIds.length;
    }
    await saveRollState(ROLL_NAME, { lastDay: day, at: now.toISOString() });
    out.days.push(day);
  }
  if (out.days.length > 0) logger.info('engagement window rolled', out);
  return out;
}

export const handler = async (): Promise<unknown> => rollEngagementWindow();
