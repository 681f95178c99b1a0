import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { BINNED_CONTACT_TYPE, CONTACT_TYPE } from './contact-type.js';
import { isEngagementCounterItem } from './engagement-day.js';
import { CONVERSATION_TYPE, MESSAGE_TYPE } from './engagement-state.js';
import {
  ANALYTICS_LANE_PREFIX,
  analyticsStateKey,
  contactActivityKey,
  contactCollectionRange,
  contactIdFromPk,
  contactIdFromStateSk,
  contactKey,
  contactPk,
  ENGAGEMENT_COUNTER_PREFIX,
  mergedAliasKey,
} from './keys.js';
import { queryAll, type Item } from './query.js';
import { stateCreatedAt } from './activity-state.js';

/**
 * A contact's whole collection as reconciliation sees it
 * (functions/reconcile/): the profile, the merged alias, the history every
 * derived number is a fold of, and those derived items (engagement
 * counters, analytics activity state), read strongly consistent: one Query
 * of the contact's partition (keys.ts: contactCollectionRange) and a Get of
 * its activity state in its lane.
 */
export type { Item };

export interface ContactCollection {
  contactId: string;
  /** The profile when the contact exists (type `contact`). */
  profile?: Item;
  /** The profile when the contact is in the recycle bin (type `binnedContact`): out of the base, but a restore may bring it back. */
  binned?: Item;
  /** The merged-alias item: the contact was merged away (an undo may bring it back). */
  alias?: Item;
  /** Message and conversation state items: what every derived number is a fold of. */
  history: Item[];
  /** Engagement counter items (a day's counters, the summary). */
  counters: Item[];
  /** The analytics activity state. */
  state?: Item;
  /** The state was found where states lived before lanes (activity-state.ts carryOver moves it before a write). */
  stateLegacy?: boolean;
  /** When it was read (epoch ms). */
  readAt: number;
}

/** A message or conversation state item (the history the stream derives numbers from). */
export const isHistoryStateItem = (item: Item): boolean => item.type === MESSAGE_TYPE || item.type === CONVERSATION_TYPE;

export async function readContactCollection(contactId: string): Promise<ContactCollection> {
  const range = contactCollectionRange(contactId);
  const readAt = Date.now();
  const [items, laneState] = await Promise.all([
    queryAll({ partition: range.pk, sortBetween: [range.from, range.to], consistent: true, newestFirst: false }),
    ddb().send(new GetCommand({ TableName: tableName(), Key: analyticsStateKey(contactId), ConsistentRead: true })),
  ]);
  const out: ContactCollection = { contactId, history: [], counters: [], readAt, ...(laneState.Item ? { state: laneState.Item } : {}) };
  const [profileSk, aliasSk, stateSk] = [contactKey(contactId).sk, mergedAliasKey(contactId).sk, contactActivityKey(contactId).sk];
  for (const item of items) {
    const sk = String(item.sk);
    if (sk === profileSk) {
      if (item.type === CONTACT_TYPE) out.profile = item;
      else if (item.type === BINNED_CONTACT_TYPE) out.binned = item;
    } else if (sk === aliasSk) out.alias = item;
    else if (sk === stateSk) {
      if (!out.state) Object.assign(out, { state: item, stateLegacy: true });
    }
    else if (isEngagementCounterItem(item)) out.counters.push(item);
    else if (isHistoryStateItem(item)) out.history.push(item);
  }
  return out;
}

/**
 * One page of one segment of a parallel Scan for the contacts that have
 * something to reconcile: a profile, a merged alias, an activity state (in
 * its lane, or where states lived before) or engagement counters. Each
 * contact is met once in a run whatever moves while it goes: through its
 * lane state when that state is older than the run's scan (`scanStartMs`),
 * otherwise through its own items, which are contiguous in a Scan, so it
 * comes back once per item found, in a row; `contactIds` keeps that order.
 * (A state created while the run goes is met through the contact's
 * partition, or not at all when its segment was already past: its
 * aggregates then moved after the scan started, and a repair leaves them
 * alone.)
 */
export async function scanContactsToReconcile(
  segment: number,
  totalSegments: number,
  start: Item | undefined,
  limit: number,
  scanStartMs: number,
): Promise<{ contactIds: string[]; next: Item | undefined }> {
  const page = await ddb().send(
    new ScanCommand({
      TableName: tableName(),
      Segment: segment,
      TotalSegments: totalSegments,
      Limit: limit,
      ExclusiveStartKey: start,
      FilterExpression: '(begins_with(pk, :c) AND (sk = :p OR sk = :a OR sk = :s OR begins_with(sk, :e))) OR (begins_with(pk, :l) AND begins_with(sk, :ls))',
      ProjectionExpression: 'pk, sk, createdAt',
      ExpressionAttributeValues: {
        ':c': contactPk(''),
        ':p': contactKey('').sk,
        ':a': mergedAliasKey('').sk,
        ':s': contactActivityKey('').sk,
        ':e': ENGAGEMENT_COUNTER_PREFIX,
        ':l': ANALYTICS_LANE_PREFIX,
        ':ls': analyticsStateKey('').sk,
      },
    }),
  );
  const items = page.Items ?? [];
  const inLane = (item: Item) => String(item.pk).startsWith(ANALYTICS_LANE_PREFIX);
  const older = (state: Item) => stateCreatedAt(state) < scanStartMs;
  // Through its own partition only when it has no lane state older than the scan.
  const own = [...new Set(items.filter((item) => !inLane(item)).map((item) => contactIdFromPk(String(item.pk))))];
  const metInLane = new Set(
    (await batchGetItems(own.map(analyticsStateKey), { consistent: true, projection: 'pk, sk, createdAt' })).filter(older).map((item) => contactIdFromStateSk(String(item.sk))),
  );
  const contactIds = items.flatMap((item) => {
    if (inLane(item)) return older(item) ? [contactIdFromStateSk(String(item.sk))] : [];
    const contactId = contactIdFromPk(String(item.pk));
    return metInLane.has(contactId) ? [] : [contactId];
  });
  return { contactIds, next: page.LastEvaluatedKey };
}
