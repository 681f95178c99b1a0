import { localDay } from '../../shared/analytics.js';
import { sleep } from '../lib/backoff.js';
import { config } from '../lib/config.js';
import { applyAggregateRepair, diffAggregates, loadRunTotals, readStoredAggregates, recentBaseFrom, settledSince } from './aggregates.js';
import type { RunState } from './run-state.js';
import { describe, example, stable } from './summary.js';

/**
 * Phase 2: the totals the chunks saved are compared with every stored
 * aggregate item (aggregates.ts); a difference is repaired when a second
 * read `settleMs` later finds it unchanged and the stream touched the item
 * not at all since the scan started.
 */
export async function aggregatesPhase(run: RunState, opts: { settleMs: number; clockSkewMs: number }, now: Date): Promise<void> {
  const timezone = config().timezone;
  const totals = await loadRunTotals(run.runId);
  const today = localDay(now, timezone);
  const recentFrom = recentBaseFrom(now, timezone);
  const pass = async () => {
    const readAt = Date.now();
    const stored = await readStoredAggregates(totals, today);
    return { readAt, count: stored.size, diffs: diffAggregates(totals, stored, recentFrom, today) };
  };
  const first = await pass();
  run.summary.checked.aggregateItems = first.count;
  if (first.diffs.length === 0) return;
  await sleep(first.readAt + opts.settleMs - Date.now());
  const second = await pass();
  const seen = new Map(first.diffs.map((d) => [d.id, stable(d)]));
  for (const diff of second.diffs) {
    const settled = seen.get(diff.id) === stable(diff) && settledSince(diff, run.scanStartMs, opts.clockSkewMs);
    if (!settled || !(await applyAggregateRepair(diff))) {
      run.summary.unsettled.aggregates++;
      example(run.summary, 'unsettled', `${diff.id} ${describe(diff.add)}`);
      continue;
    }
    run.summary.repaired.aggregates++;
    run.summary.details.aggregateAttributes += Object.keys(diff.add).length;
    if (!diff.exists) run.summary.details.aggregateItemsCreated++;
    example(run.summary, 'aggregates', `${diff.id} ${describe(diff.add)}`);
  }
}
