import { batchGetItems, tableName } from '../lib/dynamo.js';
import { analyticsLaneKey, contactActivityKey, contactIdFromPk, contactKey, mergedAliasKey } from './keys.js';
import type { Item } from './query.js';

/**
 * The analytics stream's own items (functions/analytics/DESIGN.md):
 *   CONTACT#<id>  S#ANALYTICS  a contact's activity state: what it adds to
 *                              the panel's aggregates, the sequence number of
 *                              the last record folded, a version
 *   ANLANE#<n>    #LANE        the latest tenant-wide deltas written through
 *                              lane n, in the same transaction as the states
 *                              they follow from (hop 2 reads its records)
 */
export { contactActivityKey };

export const ACTIVITY_STATE_TYPE = 'contactActivity';
export const LANE_TYPE = 'analyticsLane';

const PROFILE_SK = contactKey('').sk;
const ALIAS_SK = mergedAliasKey('').sk;
const LANE_PREFIX = analyticsLaneKey(0).pk.replace(/\d+$/, '');

/** The contact's profile item's sort key. */
export const isProfileSk = (sk: string): boolean => sk === PROFILE_SK;
/** A merged duplicate's alias item's sort key. */
export const isMergedAliasSk = (sk: string): boolean => sk === ALIAS_SK;
/** A lane item's partition key. */
export const isLanePk = (pk: string): boolean => pk.startsWith(LANE_PREFIX);

/** Stored activity states of the contacts that have one (strongly consistent), with the contact id each belongs to. */
export async function activityStates(contactIds: readonly string[]): Promise<{ contactId: string; item: Item }[]> {
  const items = await batchGetItems(contactIds.map(contactActivityKey), { consistent: true });
  return items.map((item) => ({ contactId: contactIdFromPk(String(item.pk)), item }));
}

/**
 * The transaction item that writes a contact's state, conditioned on the
 * version it replaces (or on there being none).
 */
export function activityStatePut(contactId: string, state: Record<string, unknown>, previousVersion: number | undefined) {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...contactActivityKey(contactId), type: ACTIVITY_STATE_TYPE, contactId, ...state },
      ...(previousVersion !== undefined
        ? { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': previousVersion } }
        : { ConditionExpression: 'attribute_not_exists(pk)' }),
    },
  };
}

/** The transaction item that writes a lane's deltas (a fresh token makes every write a stream record). */
export function lanePut(lane: number, deltas: string, token: string) {
  return { Put: { TableName: tableName(), Item: { ...analyticsLaneKey(lane), type: LANE_TYPE, token, deltas } } };
}
