import {
  compare,
  dayNumber,
  daysOf,
  monthOf,
  monthsEnding,
  weekdayOf,
  type ContactBehaviorPanel,
  type Period,
} from '../../shared/analytics.js';
import { batchGetItems, ddb } from '../lib/dynamo.js';
import { queryAll, type PageQuery } from '../data/query.js';
import { analyticsDayKey, analyticsGeoKey, analyticsMonthKey, analyticsNodeKey } from '../data/keys.js';
import { decompose, distinctFromNodes, nodeId, type NodeHistogram, type NodeRef } from './distinct-nodes.js';
import type { DistinctMetric } from './contact-activity.js';
import { parseGeoKey } from './geography.js';

/**
 * Reads the Contact Behavior panel from the tenant-wide aggregates, never
 * from contacts or events: one BatchGet (the distinct-count nodes of both
 * periods, at most 66, and the geography item), one Query over the day
 * series and one over the month series. The number of requests does not
 * depend on the base size; only a Query page past 1 MB (years of days) or
 * keys DynamoDB leaves unprocessed would add one.
 */

export interface PanelReadStats {
  /** DynamoDB requests made for the read. */
  requests: number;
  /** Wall time of the read, milliseconds. */
  ms: number;
}

const listeners = new Set<(stats: PanelReadStats) => void>();

/** Observes every panel read (benchmarks, tests). Returns the unsubscribe function. */
export function onPanelRead(listener: (stats: PanelReadStats) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

type Item = Record<string, unknown>;
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
/** Lanes apply in any order, so an aggregate may dip below zero for a moment; never show that. */
const atLeastZero = (n: number) => Math.max(0, n);

export async function readContactBehaviorPanel(period: Period, timezone: string): Promise<{ panel: ContactBehaviorPanel; stats: PanelReadStats }> {
  const started = performance.now();
  let requests = 0;
  const send = <T>(command: Parameters<ReturnType<typeof ddb>['send']>[0]): Promise<T> => {
    requests++;
    return ddb().send(command as never) as Promise<T>;
  };

  const querySend: PageQuery['send'] = (command) => send(command as never);
  const [from, to] = [dayNumber(period.from), dayNumber(period.to)];
  const [previousFrom, previousTo] = [dayNumber(period.previousFrom), dayNumber(period.previousTo)];
  const nodeIds = [...new Set([...decompose(from, to), ...decompose(previousFrom, previousTo)].map(nodeId))];
  // Base at the end of a day = base changes of all earlier months + of its own month up to it.
  const firstDay = [period.previousFrom, `${monthOf(period.previousTo)}-01`].sort()[0];

  const [keyed, days, months] = await Promise.all([
    batchGetAll([...nodeIds.map(analyticsNodeKey), analyticsGeoKey()], send),
    queryAll({ partition: analyticsDayKey('').pk, sortBetween: [firstDay, period.to], newestFirst: false, send: querySend }),
    // Months are `YYYY-MM`: every one sorts after `0000`.
    queryAll({ partition: analyticsMonthKey('').pk, sortBetween: ['0000', monthOf(period.to)], newestFirst: false, send: querySend }),
  ]);

  const histograms = new Map<string, Partial<Record<DistinctMetric, Record<string, number>>>>();
  let geography: Item | undefined;
  for (const item of keyed) {
    if (item.pk === analyticsGeoKey().pk) {
      geography = item;
      continue;
    }
    const byMetric: Partial<Record<DistinctMetric, Record<string, number>>> = {};
    for (const [attribute, value] of Object.entries(item)) {
      const cut = attribute.indexOf('_');
      if (cut <= 0 || typeof value !== 'number') continue;
      const metric = attribute.slice(0, cut) as DistinctMetric;
      (byMetric[metric] ??= {})[attribute.slice(cut + 1)] = value;
    }
    histograms.set(String(item.pk).slice(analyticsNodeKey('').pk.length), byMetric);
  }
  const distinct = (metric: DistinctMetric, a: number, b: number) =>
    atLeastZero(distinctFromNodes(a, b, (node: NodeRef): NodeHistogram | undefined => histograms.get(nodeId(node))?.[metric]));

  const dayItems = new Map(days.map((item) => [String(item.sk), item]));
  const monthItems = new Map(months.map((item) => [String(item.sk), item]));
  const baseAt = (day: string) => {
    let total = 0;
    for (const [month, item] of monthItems) if (month < monthOf(day)) total += num(item.bs);
    for (const [d, item] of dayItems) if (d >= `${monthOf(day)}-01` && d <= day) total += num(item.bs);
    return atLeastZero(total);
  };

  const daily = daysOf(period.from, period.to).map((date) => {
    const item = dayItems.get(date);
    return { date, broadcasts: atLeastZero(num(item?.b)), sales: atLeastZero(num(item?.sl)), support: atLeastZero(num(item?.sp)) };
  });
  const salesHeatmap = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
  for (const { date } of daily) {
    const item = dayItems.get(date);
    if (!item) continue;
    const row = salesHeatmap[weekdayOf(date)];
    for (let hour = 0; hour < 24; hour++) row[hour] += num(item[`h${hour}`]);
  }
  for (const row of salesHeatmap) for (let hour = 0; hour < 24; hour++) row[hour] = atLeastZero(row[hour]);

  const panel: ContactBehaviorPanel = {
    period: { from: period.from, to: period.to, previousFrom: period.previousFrom, previousTo: period.previousTo, timezone },
    interactions: {
      contactBase: compare(baseAt(period.to), baseAt(period.previousTo)),
      reachedContacts: compare(distinct('rc', from, to), distinct('rc', previousFrom, previousTo)),
      contactsInSales: compare(distinct('sl', from, to), distinct('sl', previousFrom, previousTo)),
      contactsInSupport: compare(distinct('sp', from, to), distinct('sp', previousFrom, previousTo)),
    },
    messageFunnel: {
      sent: distinct('ms', from, to),
      delivered: distinct('dl', from, to),
      read: distinct('rd', from, to),
      clicked: distinct('ck', from, to),
      replied: distinct('rp', from, to),
    },
    journeyFunnel: { reached: distinct('rc', from, to), converted: distinct('cv', from, to) },
    monthlyContacts: monthsEnding(period.to).map((month) => ({ month, contacts: atLeastZero(num(monthItems.get(month)?.c)) })),
    geography: Object.entries(geography ?? {})
      .filter(([attribute, value]) => attribute.includes(':') && typeof value === 'number' && value > 0)
      .map(([attribute, value]) => ({ ...parseGeoKey(attribute), contacts: value as number }))
      .sort((x, y) => y.contacts - x.contacts || x.country.localeCompare(y.country) || (x.state ?? '').localeCompare(y.state ?? '')),
    daily,
    serviceDistribution: {
      sales: daily.reduce((sum, row) => sum + row.sales, 0),
      support: daily.reduce((sum, row) => sum + row.support, 0),
    },
    salesHeatmap,
  };
  const stats = { requests, ms: performance.now() - started };
  for (const listener of listeners) listener(stats);
  return { panel, stats };
}

type Send = <T>(command: never) => Promise<T>;

const batchGetAll = (keys: { pk: string; sk: string }[], send: Send): Promise<Item[]> =>
  batchGetItems<Item>(keys, { send: (command) => send(command as never) });
