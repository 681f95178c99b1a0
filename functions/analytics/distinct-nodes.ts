import { MAX_PERIOD_DAYS } from '../../shared/analytics.js';

/**
 * Exact distinct-contact counts over any period of up to MAX_PERIOD_DAYS
 * days, read with a fixed number of items whatever the base size.
 *
 * Each contact's activity for a metric (reached, in sales, ...) is a set of
 * calendar days. Every active day `d` is a "point" that remembers the
 * contact's previous active day `p`. A contact is active in `[a, b]` exactly
 * when one of its points has `a <= d <= b` and `p < a` (its first day in the
 * period), and only one point qualifies. So the distinct count of `[a, b]`
 * is the number of points with `d` in the period and `p` before it.
 *
 * Points are summed into aligned day ranges ("nodes") of 1, 8 and 64 days,
 * each keeping a histogram by `p`. Any period splits into at most 33 nodes
 * (7 + 7 + at most 5 + 7 + 7 going up and back down the levels), so the
 * panel reads both of its periods with one BatchGet of at most 66 items, and
 * a histogram never holds more than MAX_PERIOD_DAYS + 1 entries: a `p` more
 * than MAX_PERIOD_DAYS before `d` is always before any period that holds
 * `d`, so those points share one "far" entry with contacts seen for the
 * first time. A point whose `p` lies inside its own node never counts for a
 * period that holds the whole node, so nodes leave it out.
 *
 * Trade-off: a write touches three nodes per changed day instead of one
 * daily counter, and a period is capped at MAX_PERIOD_DAYS days; in return
 * every period, preset or custom, is exact and costs the same to read. The
 * alternative of rolling the preset periods on a schedule would be stale
 * between rolls and still need something like this for custom periods.
 */

/** Days covered by a node of each level. */
export const LEVEL_SPANS = [1, 8, 64] as const;
export const FAR = 'f';

export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

export const nodeStart = (node: NodeRef): number => node.index * LEVEL_SPANS[node.level];
export const nodeEnd = (node: NodeRef): number => nodeStart(node) + LEVEL_SPANS[node.level] - 1;
export const nodeId = (node: NodeRef): string => `${node.level}#${node.index}`;

export function parseNodeId(id: string): NodeRef {
  const [level, index] = id.split('#').map(Number);
  return { level, index };
}

/** The node of each level that holds a day. */
export function nodesContaining(day: number): NodeRef[] {
  return LEVEL_SPANS.map((span, level) => ({ level, index: Math.floor(day / span) }));
}

/** The fewest aligned nodes that exactly cover `[from, to]` (day numbers). */
export function decompose(from: number, to: number): NodeRef[] {
  const out: NodeRef[] = [];
  let day = from;
  while (day <= to) {
    let level = LEVEL_SPANS.length - 1;
    while (level > 0 && (day % LEVEL_SPANS[level] !== 0 || day + LEVEL_SPANS[level] - 1 > to)) level--;
    out.push({ level, index: day / LEVEL_SPANS[level] });
    day += LEVEL_SPANS[level];
  }
  return out;
}

/** The histogram entry of a point: its previous day, or FAR when there is none close enough to matter. */
export function pointKey(day: number, previous: number | undefined): string {
  return previous === undefined || day - previous > MAX_PERIOD_DAYS ? FAR : String(previous);
}

/** Node histograms changes: node id -> entry -> delta. */
export type NodeDeltas = Map<string, Map<string, number>>;

function addPoint(out: NodeDeltas, day: number, previous: number | undefined, delta: number): void {
  const key = pointKey(day, previous);
  for (const node of nodesContaining(day)) {
    if (previous !== undefined && previous >= nodeStart(node)) continue;
    const id = nodeId(node);
    let entries = out.get(id);
    if (!entries) out.set(id, (entries = new Map()));
    const next = (entries.get(key) ?? 0) + delta;
    if (next === 0) entries.delete(key);
    else entries.set(key, next);
    if (entries.size === 0) out.delete(id);
  }
}

/** `day -> previous active day` for a set of active days. */
function pointsOf(days: Iterable<number>): Map<number, number | undefined> {
  const sorted = [...new Set(days)].sort((x, y) => x - y);
  return new Map(sorted.map((day, i) => [day, i === 0 ? undefined : sorted[i - 1]]));
}

/**
 * What the node histograms must change by when one contact's active days
 * for a metric go from `before` to `after` (in any order, repeats ignored).
 * Adding a day between two others also re-points the later one, which this
 * handles by comparing the two point sets.
 */
export function nodeDeltas(before: Iterable<number>, after: Iterable<number>, out: NodeDeltas = new Map()): NodeDeltas {
  const old = pointsOf(before);
  const next = pointsOf(after);
  for (const [day, previous] of old) {
    if (next.has(day) && next.get(day) === previous) continue;
    addPoint(out, day, previous, -1);
  }
  for (const [day, previous] of next) {
    if (old.has(day) && old.get(day) === previous) continue;
    addPoint(out, day, previous, 1);
  }
  return out;
}

/** A node histogram as read back: entry -> count. */
export type NodeHistogram = Readonly<Record<string, number>>;

/**
 * Distinct contacts active in `[from, to]` from the histograms of
 * `decompose(from, to)` (a missing node counts as empty).
 */
export function distinctFromNodes(from: number, to: number, histogramOf: (node: NodeRef) => NodeHistogram | undefined): number {
  if (to - from + 1 > MAX_PERIOD_DAYS) throw new RangeError(`a period spans at most ${MAX_PERIOD_DAYS} days`);
  let total = 0;
  for (const node of decompose(from, to)) {
    const histogram = histogramOf(node);
    if (!histogram) continue;
    for (const [key, count] of Object.entries(histogram)) {
      if (key === FAR || Number(key) < from) total += count;
    }
  }
  return total;
}
