import { ANALYTICS_LANE_PREFIX, contactKey, HISTORY_PREFIX, mergedAliasKey } from '../data/keys.js';

/**
 * Which table stream records reach the stream function at all: the event
 * source mapping's filter criteria (Lambda event filtering), one source of
 * truth for the CDK mapping and the local poller. Lambda drops a record
 * that matches none of them before batching, so it never counts toward a
 * batch's records or its 6 MB payload, and its checkpoint simply moves on.
 *
 * The processors' own `claims` still decide what each one takes; these
 * patterns only have to let through every record some processor claims
 * (a test checks this against every key shape of the table). What stays
 * out is the processors' own output (day counters, summaries, markers,
 * tombstones expiring), which none of them reads: about half the stream.
 * The activity states are the exception: hop 2 of the analytics reads
 * their records.
 */
export type FilterValue = string | { prefix: string };
export interface FilterPattern {
  [field: string]: FilterPattern | FilterValue[];
}

const keyS = (field: 'pk' | 'sk', values: FilterValue[]): FilterPattern => ({ dynamodb: { Keys: { [field]: { S: values } } } });

export const STREAM_FILTERS: readonly FilterPattern[] = [
  // Messages, conversations and dispatches: engagement counters, analytics, merge forwarding.
  keyS('sk', [{ prefix: HISTORY_PREFIX }]),
  // Contact profiles: analytics, catalog references, merge suggestions.
  keyS('sk', [contactKey('').sk]),
  // A duplicate's merged alias, written and removed with its profile by a merge and its undo (analytics).
  keyS('sk', [mergedAliasKey('').sk]),
  // Activity states in their lanes, written or changed (hop 2 of the panel's aggregates); a tombstone's expiry counts nothing.
  { eventName: ['INSERT', 'MODIFY'], ...keyS('pk', [{ prefix: ANALYTICS_LANE_PREFIX }]) },
];

function matchesValue(value: unknown, allowed: FilterValue[]): boolean {
  if (typeof value !== 'string') return false;
  return allowed.some((a) => (typeof a === 'string' ? value === a : value.startsWith(a.prefix)));
}

function matchesPattern(record: unknown, pattern: FilterPattern): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = record !== null && typeof record === 'object' ? (record as Record<string, unknown>)[field] : undefined;
    return Array.isArray(expected) ? matchesValue(value, expected) : matchesPattern(value, expected);
  });
}

/** Lambda's rule: a record goes through when it matches any pattern (the subset of the pattern grammar used above: exact strings and prefixes). */
export function passesFilters(record: unknown, filters: readonly FilterPattern[] = STREAM_FILTERS): boolean {
  return filters.some((pattern) => matchesPattern(record, pattern));
}
