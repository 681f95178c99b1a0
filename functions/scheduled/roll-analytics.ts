import { logger } from '../lib/logger.js';

/**
 * The Contact Behavior panel needs no rolling: its distinct counts are
 * exact for any period read straight from the stream-kept node histograms
 * (functions/analytics/distinct-nodes.ts), and its daily, monthly, base and
 * geography series are plain counters. Materialising the 7/30/90-day sets
 * here would only make them up to five minutes stale, and a custom period
 * would still need the histograms. The schedule stays so a future rolled
 * aggregate has a home; until then a run does nothing and costs nothing.
 */
export const handler = async (): Promise<{ rolled: number }> => {
  logger.debug('roll-analytics: the panel is maintained by the table stream; nothing to roll');
  return { rolled: 0 };
};
