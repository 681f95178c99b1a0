import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { analyticsLaneKey, analyticsStateKey, contactActivityKey, contactIdFromPk, contactIdFromStateSk, contactKey, mergedAliasKey } from './keys.js';
import type { Item } from './query.js';

/**
 * The analytics stream's own items (functions/analytics/DESIGN.md):
 *   ANLANE#<n>    S#<contactId>  a contact's activity state: what it adds to
 *                                the panel's aggregates, the sequence number
 *                                of the last record folded, a version. It
 *                                lives in its lane's partition, so its stream
 *                                records (old and new image) are hop 2's
 *                                input, in order per lane: one plain
 *                                conditional Put per contact and batch, no
 *                                transaction and no separate delta item.
 *   ANLANE#<n>    #LANE          the deltas item of earlier versions (records
 *                                still in the stream at a deploy are applied)
 *   CONTACT#<id>  S#ANALYTICS    where a state lived before: read when the
 *                                lane has none, copied over once (quiet) and
 *                                left in place, so a reconciliation under way
 *                                still meets the contact where it began to.
 *
 * `createdAt` (epoch ms) is when the state came to be in its lane: a
 * reconciliation meets a contact through its lane state when that is older
 * than the run's scan, otherwise through its own partition
 * (data/contact-collection.ts), so each contact is met once.
 */
export { contactActivityKey, analyticsStateKey };

export const ACTIVITY_STATE_TYPE = 'contactActivity';
export const LANE_TYPE = 'analyticsLane';
/**
 * A state write that must not reach the aggregates (hop 2 skips its
 * record): a state carried over from its old place, or a repair by the
 * reconciliation, which repairs the aggregates itself. Such a write sets
 * the flag and creates the state or moves its version; a later write that
 * keeps the version (a raw edit) is no longer quiet (isQuietChange).
 */
export const QUIET_ATTRIBUTE = 'quiet';

/** A state record hop 2 leaves alone: a quiet write, which creates the state or moves its version. */
export function isQuietChange(before: Record<string, unknown> | undefined, after: Record<string, unknown>): boolean {
  return after[QUIET_ATTRIBUTE] === true && (before === undefined || before.version !== after.version);
}

/** When a state came to be in its lane (epoch ms); states from before the attribute count as always there. */
export const stateCreatedAt = (item: Record<string, unknown> | undefined): number => (typeof item?.createdAt === 'number' ? item.createdAt : 0);

const PROFILE_SK = contactKey('').sk;
const ALIAS_SK = mergedAliasKey('').sk;
const LANE_PREFIX = analyticsLaneKey(0).pk.replace(/\d+$/, '');

/** The contact's profile item's sort key. */
export const isProfileSk = (sk: string): boolean => sk === PROFILE_SK;
/** A merged duplicate's alias item's sort key. */
export const isMergedAliasSk = (sk: string): boolean => sk === ALIAS_SK;
/** A lane partition's key (activity states and the deltas items of earlier versions). */
export const isLanePk = (pk: string): boolean => pk.startsWith(LANE_PREFIX);

/**
 * Stored activity states of the contacts that have one (strongly
 * consistent), with the contact id each belongs to. A contact whose lane
 * holds none is looked up where states lived before (`legacy`): the caller
 * carries it over with carryOver before writing it.
 */
export async function activityStates(contactIds: readonly string[]): Promise<{ contactId: string; item: Item; legacy?: true }[]> {
  const found = (await batchGetItems(contactIds.map(analyticsStateKey), { consistent: true })).map((item) => ({ contactId: contactIdFromStateSk(String(item.sk)), item }));
  const have = new Set(found.map((f) => f.contactId));
  const missing = contactIds.filter((id) => !have.has(id));
  if (missing.length === 0) return found;
  const legacy = await batchGetItems(missing.map(contactActivityKey), { consistent: true });
  return [...found, ...legacy.map((item) => ({ contactId: contactIdFromPk(String(item.pk)), item, legacy: true as const }))];
}

/** The item of a contact's state in its lane. */
export function activityStateItem(contactId: string, state: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, [QUIET_ATTRIBUTE]: _quiet, ...rest } = state;
  return { ...analyticsStateKey(contactId), type: ACTIVITY_STATE_TYPE, contactId, ...rest };
}

/**
 * The Put of a contact's state, conditioned on the version it replaces (or
 * on there being none). `quiet`: hop 2 leaves the aggregates alone.
 */
export function activityStatePut(contactId: string, state: Record<string, unknown>, previousVersion: number | undefined, options: { quiet?: boolean } = {}) {
  return {
    TableName: tableName(),
    Item: { ...activityStateItem(contactId, state), ...(options.quiet ? { [QUIET_ATTRIBUTE]: true } : {}) },
    ...(previousVersion !== undefined
      ? { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': previousVersion } }
      : { ConditionExpression: 'attribute_not_exists(pk)' }),
  };
}

/**
 * Copies a state read from its old place into its lane, unchanged and
 * quiet (the aggregates already hold it), created `createdAt`. A lane that
 * got a state meanwhile (another writer carried it) wins. Once per contact
 * after the deploy that moved states into lanes. The old item stays: it is
 * read only when the lane has none, and it keeps a reconciliation under way
 * meeting the contact through its partition.
 */
export async function carryOver(contactId: string, legacyItem: Item, createdAt: number): Promise<void> {
  try {
    await ddb().send(new PutCommand(activityStatePut(contactId, { ...legacyItem, createdAt }, undefined, { quiet: true })));
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** The deltas item of earlier versions (still applied by hop 2 when its records come; no longer written). */
export const isLegacyLaneItem = (item: Record<string, unknown> | undefined): item is { deltas: string } => item?.type === LANE_TYPE && typeof item.deltas === 'string';
