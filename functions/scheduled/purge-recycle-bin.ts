import type { Context } from 'aws-lambda';
import { purgeExpired } from '../contacts/recycle-bin.js';
import { logger } from '../lib/logger.js';

/** Time kept back from the invocation's end: the purges under way finish. */
const RESERVE_MS = 60_000;

/**
 * Hourly: purges the contacts whose time in the recycle bin is over
 * (`purgeAt`, set at deletion from the tenant setting `recycleDays`), for
 * good, oldest first (functions/contacts/recycle-bin.ts). A purge cut short
 * (a crash, the time limit) stays due and the next run finishes it. "Now"
 * is the event's `time` (EventBridge's scheduled time; a test may hand
 * another), else the clock.
 */
export const handler = async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<{ purged: number }> => {
  const time = (event as { time?: unknown } | undefined)?.time;
  const now = typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? new Date(time) : new Date();
  const remaining = context?.getRemainingTimeInMillis?.() ?? 15 * 60_000;
  const purged = await purgeExpired(now, Date.now() + remaining - RESERVE_MS);
  if (purged > 0) logger.info('recycle bin: purged contacts whose time was over', { purged });
  return { purged };
};
