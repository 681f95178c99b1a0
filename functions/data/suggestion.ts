import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { tryUpdate } from '../lib/dynamo-batch.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { gsi, suggestionKey } from './keys.js';
import { queryFrom, queryIndexPage, type Item, type Page } from './query.js';

/**
 * A suggestion key (`DUPKEY#<phone:+55...|email:...>` / `#META`): `members`
 * is the string set of non-blocked contacts that have that value. The item
 * is in byType (MERGE_SUGGESTION, `<since>#<key>`) only while the set has
 * two or more members, so the base-wide view pages through real
 * suggestions without ever scanning contacts.
 */
export const SUGGESTION_TYPE = 'suggestion';
/** byType partition of suggestion keys (sparse). */
export const SUGGESTION_INDEX_TYPE = 'MERGE_SUGGESTION';
/** A suggestion never lists more contacts than this (a placeholder phone shared by thousands is not a duplicate). */
export const MAX_SUGGESTION_MEMBERS = 500;
export { suggestionKey };

export interface SuggestionItem {
  key: string;
  members: string[];
}

export const fromItem = (item: Item): SuggestionItem => ({ key: String(item.key), members: [...((item.members as Set<string> | undefined) ?? [])] });

/** Suggestion keys across the base, newest first: one Query of the sparse index. */
export async function suggestionsPage(query: { limit: number; cursor?: string }): Promise<Page<SuggestionItem>> {
  const page = await queryIndexPage({
    index: 'byType',
    partition: SUGGESTION_INDEX_TYPE,
    limit: query.limit,
    cursor: query.cursor,
    cursorCheck: (s) => s.pk.startsWith(suggestionKey('').pk),
  });
  return { items: page.items.map(fromItem), cursor: page.cursor };
}

/** Items (contacts, merged aliases) in the phone or email index under `value`: up to MAX_SUGGESTION_MEMBERS pages' worth. */
export async function itemsWithValue(field: 'phone' | 'email', value: string): Promise<Item[]> {
  const query = field === 'phone' ? ({ index: 'byPhone', partition: gsi.byPhone(value, '').gsi2pk } as const) : ({ index: 'byEmail', partition: gsi.byEmail(value, '').gsi3pk } as const);
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await queryFrom({ ...query, newestFirst: false, limit: MAX_SUGGESTION_MEMBERS }, start);
    items.push(...page.items);
    start = items.length < MAX_SUGGESTION_MEMBERS ? page.next : undefined;
  } while (start);
  return items;
}

/**
 * Brings the key's member set in line with one contact: set operations are
 * idempotent, so a replayed stream batch changes nothing. The index entry
 * follows in a second, conditional write on the set's size; whichever
 * fix-up runs last sees the final size, so concurrent writers converge.
 */
export async function setSuggestionMember(key: string, contactId: string, member: boolean, now = new Date().toISOString()): Promise<void> {
  const Key = suggestionKey(key);
  const changed = await tryUpdate(
    member
      ? {
          Key,
          UpdateExpression: 'SET #type = :type, #key = :key ADD members :id',
          ConditionExpression: 'attribute_not_exists(members) OR size(members) < :cap OR contains(members, :one)',
          ExpressionAttributeNames: { '#type': 'type', '#key': 'key' },
          ExpressionAttributeValues: { ':type': SUGGESTION_TYPE, ':key': key, ':id': new Set([contactId]), ':cap': MAX_SUGGESTION_MEMBERS, ':one': contactId },
        }
      : { Key, UpdateExpression: 'DELETE members :id', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':id': new Set([contactId]) } },
  );
  // Leaving a key that never existed, or joining one already full: nothing to do.
  if (!changed) return;
  const [pkName, skName] = Object.keys(gsi.byType(SUGGESTION_INDEX_TYPE, ''));
  const ExpressionAttributeNames = { '#ipk': pkName, '#isk': skName };
  const indexed = await tryUpdate({
    Key,
    UpdateExpression: 'SET #ipk = :ipk, #isk = if_not_exists(#isk, :isk)',
    ConditionExpression: 'size(members) >= :two AND attribute_not_exists(#ipk)',
    ExpressionAttributeNames,
    ExpressionAttributeValues: { ':ipk': SUGGESTION_INDEX_TYPE, ':isk': `${now}#${key}`, ':two': 2 },
  });
  if (indexed) return;
  await tryUpdate({
    Key,
    UpdateExpression: 'REMOVE #ipk, #isk',
    ConditionExpression: 'attribute_exists(#ipk) AND (attribute_not_exists(members) OR size(members) < :two)',
    ExpressionAttributeNames,
    ExpressionAttributeValues: { ':two': 2 },
  });
}

/**
 * Deletes a suggestion key whose members are at most `contactIds` (an
 * erasure: the key itself spells the erased phone or email). The delete
 * holds only while the members are still exactly those read, so a key
 * another contact shares stays; the stream's later removal of the erased
 * contact from it then finds no item and changes nothing.
 */
export async function dropSuggestionKey(key: string, contactIds: readonly string[]): Promise<void> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: suggestionKey(key), ConsistentRead: true }));
  if (!Item) return;
  const members = [...((Item.members as Set<string> | undefined) ?? [])];
  if (members.some((id) => !contactIds.includes(id))) return;
  const values: Record<string, unknown> = { ':n': members.length, ...Object.fromEntries(members.map((id, i) => [`:m${i}`, id])) };
  const exactly = ['size(members) = :n', ...members.map((_, i) => `contains(members, :m${i})`)].join(' AND ');
  try {
    await ddb().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: suggestionKey(key),
        ConditionExpression: members.length === 0 ? 'attribute_not_exists(members)' : `attribute_not_exists(members) OR (${exactly})`,
        ...(members.length === 0 ? {} : { ExpressionAttributeValues: values }),
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
