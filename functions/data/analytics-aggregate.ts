import { analyticsDayKey, analyticsGeoKey, analyticsMonthKey, analyticsNodeKey } from './keys.js';
import { queryAll, type Item } from './query.js';

/**
 * The Contact Behavior panel's tenant-wide aggregate items (keys.ts), each
 * named by an aggregate id: `N:<node>` a distinct-count node, `D:<day>` a
 * day, `M:<month>` a month, `G` the geography. The stream's hop 2 turns an
 * id into its key (`aggregateKey`, functions/analytics); `aggregateIdOf` is
 * the way back.
 */
export function aggregateIdOf(item: Item): string | undefined {
  const pk = String(item.pk);
  if (pk === analyticsDayKey('').pk) return `D:${item.sk}`;
  if (pk === analyticsMonthKey('').pk) return `M:${item.sk}`;
  if (pk === analyticsGeoKey().pk) return 'G';
  const nodePrefix = analyticsNodeKey('').pk;
  if (pk.startsWith(nodePrefix)) return `N:${pk.slice(nodePrefix.length)}`;
  return undefined;
}

/** Every day item of the series, oldest first (strongly consistent). */
export const allAnalyticsDays = (): Promise<Item[]> => queryAll({ partition: analyticsDayKey('').pk, consistent: true, newestFirst: false });

/** Every month item of the series, oldest first (strongly consistent). */
export const allAnalyticsMonths = (): Promise<Item[]> => queryAll({ partition: analyticsMonthKey('').pk, consistent: true, newestFirst: false });
