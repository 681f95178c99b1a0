import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger.js';
import { drive, newOwner } from '../merge/merge-engine.js';
import { activeMergeIds } from '../data/merge-record.js';
import { acquireLease } from '../merge/merge-record.js';

/** Time kept back from the function's limit, so a step (well under a second) never runs into the timeout. */
const reserveMs = (remaining: number) => Math.min(60_000, remaining / 4);

/**
 * Every minute: takes over merges and undos whose run stopped (the request
 * answered `running`, or a crash or timeout interrupted it) once their lease
 * has run out, and drives them on from the progress saved on the record.
 */
export const handler = async (_event: unknown, context?: Context) => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? 60_000;
  const deadline = Date.now() + remaining - reserveMs(remaining);
  const results: Record<string, string> = {};
  for (const id of await activeMergeIds()) {
    if (Date.now() > deadline) break;
    const owner = newOwner();
    if (!(await acquireLease(id, owner))) continue;
    try {
      results[id] = await drive(id, owner, deadline);
    } catch (error) {
      logger.warn('resume-merges: run stopped; the next run retries', { mergeId: id, error: error as Error });
      results[id] = 'stopped';
    }
  }
  return results;
};
