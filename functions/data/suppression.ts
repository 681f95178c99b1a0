import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { gsi, suppressionKey } from './keys.js';
import { queryIndexPage, type Item, type Page } from './query.js';

/**
 * A suppressed phone or email (`SUPPRESSION#<hash>` / `#META`, in byType
 * `SUPPRESSION`, newest first). The value itself is never stored: the item
 * holds only its keyed hash (functions/privacy/suppression-check.ts), which
 * is also the entry's id, so "is this value suppressed" is a key read.
 */
export const SUPPRESSION_TYPE = 'suppression';
/** byType partition of suppressions. */
const SUPPRESSIONS = 'SUPPRESSION';

export type SuppressionKind = 'phone' | 'email';

export interface Suppression {
  /** The keyed hash of the value. */
  id: string;
  kind: SuppressionKind;
  createdAt: string;
  /** Sub of the admin whose erasure suppressed it. */
  by: string;
  reason?: string;
}

export const toSuppressionItem = (s: Suppression): Item => ({
  ...suppressionKey(s.id),
  type: SUPPRESSION_TYPE,
  ...s,
  ...gsi.byType(SUPPRESSIONS, `${s.createdAt}#${s.id}`),
});

export const fromSuppressionItem = (item: Item): Suppression => ({
  id: String(item.id),
  kind: item.kind as SuppressionKind,
  createdAt: String(item.createdAt),
  by: String(item.by),
  ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
});

/**
 * Puts a suppression unless its value is suppressed already; answers the
 * entry that stands (the earlier one keeps its date, author and reason).
 */
export async function putSuppression(entry: Suppression): Promise<Suppression> {
  try {
    await ddb().send(new PutCommand({ TableName: tableName(), Item: toSuppressionItem(entry), ConditionExpression: 'attribute_not_exists(pk)' }));
    return entry;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return (await getSuppression(entry.id)) ?? entry;
  }
}

export async function getSuppression(id: string): Promise<Suppression | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: suppressionKey(id), ConsistentRead: true }));
  return Item?.type === SUPPRESSION_TYPE ? fromSuppressionItem(Item) : undefined;
}

/** Which of these hashes are suppressed: one BatchGet (strongly consistent: an erasure holds from its answer on). */
export async function suppressedHashes(hashes: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return new Set();
  const items = await batchGetItems(unique.map(suppressionKey), { consistent: true, projection: 'id' });
  return new Set(items.map((item) => String(item.id)));
}

/** The suppression list, newest first: one Query of the type index. */
export async function suppressionsPage(query: { limit: number; cursor?: string }): Promise<Page<Suppression>> {
  const page = await queryIndexPage({ index: 'byType', partition: SUPPRESSIONS, limit: query.limit, cursor: query.cursor });
  return { items: page.items.filter((item) => item.type === SUPPRESSION_TYPE).map(fromSuppressionItem), cursor: page.cursor };
}

/** Lifts a suppression; false when there was none with this id. */
export async function deleteSuppression(id: string): Promise<boolean> {
  try {
    await ddb().send(new DeleteCommand({ TableName: tableName(), Key: suppressionKey(id), ConditionExpression: 'attribute_exists(pk)' }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
