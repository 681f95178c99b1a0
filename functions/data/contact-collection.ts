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
 * something to reconcile: a profile, an activity state (in its lane, or
 * where states lived before) or engagement counters. A contact with a state
 * in its lane is named by that state alone; one without, by its own items,
 * which are contiguous in a Scan, so it comes back once per item found, in
 * a row; `contactIds` keeps that order.
 */
export async function scanContactsToReconcile(
  segment: number,
  totalSegments: number,
  start: Item | undefined,
  limit: number,
): Promise<{ contactIds: string[]; next: Item | undefined }> {
  const page = await ddb().send(
    new ScanCommand({
      TableName: tableName(),
      Segment: segment,
      TotalSegments: totalSegments,
      Limit: limit,
      ExclusiveStartKey: start,
      FilterExpression: '(begins_with(pk, :c) AND (sk = :p OR sk = :s OR begins_with(sk, :e))) OR (begins_with(pk, :l) AND begins_with(sk, :ls))',
      ProjectionExpression: 'pk, sk',
      ExpressionAttributeValues: {
        ':c': contactPk(''),
        ':p': contactKey('').sk,
        ':s': contactActivityKey('').sk,
        ':e': ENGAGEMENT_COUNTER_PREFIX,
        ':l': ANALYTICS_LANE_PREFIX,
        ':ls': analyticsStateKey('').sk,
      },
    }),
  );
  const items = page.Items ?? [];
  const inLane = (item: Item) => String(item.pk).startsWith(ANALYTICS_LANE_PREFIX);
  // A contact with a state in its lane is met there: met again through its own partition it would count twice.
  const own = [...new Set(items.filter((item) => !inLane(item)).map((item) => contactIdFromPk(String(item.pk))))];
  const withLaneState = new Set(
    (await batchGetItems(own.map(analyticsStateKey), { consistent: true, projection: 'pk, sk' })).map((item) => contactIdFromStateSk(String(item.sk))),
  );
  const contactIds = items
    .map((item) => (inLane(item) ? contactIdFromStateSk(String(item.sk)) : contactIdFromPk(String(item.pk))))
    .filter((id, i) => inLane(items[i]) || !withLaneState.has(id));
  return { contactIds, next: page.LastEvaluatedKey };
}
