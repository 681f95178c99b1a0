import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getContacts } from '../data/contact.js';
import { contactKey, gsi, suggestionKey } from '../data/keys.js';
import { INDEXES } from '../data/table-schema.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure, NotFoundError } from '../lib/errors.js';

/**
 * Duplicate suggestions. A suggestion key (`phone:<E.164>` or
 * `email:<lower-case>`) holds the set of non-blocked contacts that have that
 * value; the key item sits in a sparse index only while the set has two or
 * more members, so the base-wide view pages through real suggestions
 * without ever scanning contacts. The stream keeps the sets current
 * (./suggestions-processor.ts).
 */
export const SUGGESTION_TYPE = 'MERGE_SUGGESTION';

/** A suggestion never lists more contacts than this (a placeholder phone shared by thousands is not a duplicate). */
export const MAX_SUGGESTION_MEMBERS = 500;
/** Contacts shown per suggestion in the answer; `total` tells how many share the value. */
const SHOWN_MEMBERS = 20;

export interface SuggestionContact {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
}

export interface Suggestion {
  key: string;
  /** The shared value: `phone` or `email`. */
  field: 'phone' | 'email';
  value: string;
  total: number;
  contacts: SuggestionContact[];
}

/** The suggestion keys a stored contact belongs to: none when it is blocked or not a contact. */
export function suggestionKeysOf(item: Record<string, unknown> | undefined): string[] {
  if (!item || item.type !== 'contact' || item.blocked === true) return [];
  const keys: string[] = [];
  if (typeof item.phone === 'string' && item.phone) keys.push(`phone:${item.phone}`);
  if (typeof item.email === 'string' && item.email) keys.push(`email:${item.email.toLowerCase()}`);
  return keys;
}

export function displayName(item: Record<string, unknown>): string {
  return [item.firstName, item.lastName].filter((part) => typeof part === 'string' && part).join(' ');
}

function toSuggestionContact(item: Record<string, unknown>): SuggestionContact {
  return {
    id: String(item.id),
    name: displayName(item),
    phone: typeof item.phone === 'string' ? item.phone : null,
    email: typeof item.email === 'string' ? item.email : null,
  };
}

/**
 * Brings the key's member set in line with one contact: set operations are
 * idempotent, so a replayed stream batch changes nothing. The index entry
 * follows in a second, conditional write on the set's size; whichever
 * fix-up runs last sees the final size, so concurrent writers converge.
 */
export async function setMembership(key: string, contactId: string, member: boolean, now = new Date().toISOString()): Promise<void> {
  const Key = suggestionKey(key);
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: member ? 'SET #type = :type, #key = :key ADD members :id' : 'DELETE members :id',
        ...(member
          ? { ConditionExpression: 'attribute_not_exists(members) OR size(members) < :cap OR contains(members, :one)' }
          : { ConditionExpression: 'attribute_exists(pk)' }),
        ExpressionAttributeNames: member ? { '#type': 'type', '#key': 'key' } : undefined,
        ExpressionAttributeValues: member
          ? { ':type': 'suggestion', ':key': key, ':id': new Set([contactId]), ':cap': MAX_SUGGESTION_MEMBERS, ':one': contactId }
          : { ':id': new Set([contactId]) },
      }),
    );
  } catch (error) {
    // Leaving a key that never existed, or joining one already full: nothing to do.
    if (isConditionFailure(error)) return;
    throw error;
  }
  const index = gsi.byType(SUGGESTION_TYPE, '');
  const [pkName, skName] = Object.keys(index);
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: 'SET #ipk = :ipk, #isk = if_not_exists(#isk, :isk)',
        ConditionExpression: 'size(members) >= :two AND attribute_not_exists(#ipk)',
        ExpressionAttributeNames: { '#ipk': pkName, '#isk': skName },
        ExpressionAttributeValues: { ':ipk': SUGGESTION_TYPE, ':isk': `${now}#${key}`, ':two': 2 },
      }),
    );
    return;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: 'REMOVE #ipk, #isk',
        ConditionExpression: 'attribute_exists(#ipk) AND (attribute_not_exists(members) OR size(members) < :two)',
        ExpressionAttributeNames: { '#ipk': pkName, '#isk': skName },
        ExpressionAttributeValues: { ':two': 2 },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Re-derives one contact's memberships from its current profile item:
 * it leaves every key in `seen` it no longer has and joins the ones it has.
 * Reading the current state (rather than trusting the stream images) makes
 * any replay, in any order, converge on the truth.
 */
export async function syncContactSuggestions(contactId: string, seen: Iterable<string>): Promise<void> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: contactKey(contactId), ConsistentRead: true }));
  const current = new Set(suggestionKeysOf(Item));
  const leave = [...new Set(seen)].filter((key) => !current.has(key));
  await Promise.all([...leave.map((key) => setMembership(key, contactId, false)), ...[...current].map((key) => setMembership(key, contactId, true))]);
}

/** Current profiles of the members, as stored items (`getContacts` skips missing ones). */
async function getProfiles(ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  const records = await getContacts(ids);
  return new Map(records.map((record) => [record.id, { ...record, type: 'contact' } as Record<string, unknown>]));
}

function splitKey(key: string): { field: 'phone' | 'email'; value: string } {
  const at = key.indexOf(':');
  return { field: key.slice(0, at) === 'email' ? 'email' : 'phone', value: key.slice(at + 1) };
}

/**
 * Builds suggestions from member ids, re-checked against the profiles: the
 * stream may lag a moment behind a block or an edit, and a suggestion must
 * never show a blocked contact or one that no longer shares the value.
 */
function buildSuggestions(groups: { key: string; ids: string[]; unchecked?: number }[], profiles: Map<string, Record<string, unknown>>): Suggestion[] {
  const out: Suggestion[] = [];
  for (const group of groups) {
    const members = group.ids
      .map((id) => profiles.get(id))
      .filter((item): item is Record<string, unknown> => !!item && suggestionKeysOf(item).includes(group.key))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    if (members.length < 2) continue;
    // Members beyond those read are counted as the set has them (a very large group is not read whole).
    out.push({ key: group.key, ...splitKey(group.key), total: members.length + (group.unchecked ?? 0), contacts: members.slice(0, SHOWN_MEMBERS).map(toSuggestionContact) });
  }
  return out;
}

/** Suggestions across the base, newest first: one Query of the sparse index, then the members' profiles. */
export async function listSuggestions(query: { limit: number; cursor?: string }): Promise<{ items: Suggestion[]; cursor: string | null }> {
  const index = INDEXES.byType;
  const start = decodeCursor(query.cursor, ['pk', 'sk', index.partitionKey, index.sortKey], (s) => s[index.partitionKey] === SUGGESTION_TYPE && s.pk.startsWith('DUPKEY#'));
  const page = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index.name,
      KeyConditionExpression: `${index.partitionKey} = :t`,
      ExpressionAttributeValues: { ':t': SUGGESTION_TYPE },
      ScanIndexForward: false,
      Limit: query.limit,
      ExclusiveStartKey: start,
    }),
  );
  const groups = (page.Items ?? []).map((item) => {
    const members = [...((item.members as Set<string> | undefined) ?? [])].sort();
    return { key: String(item.key), ids: members.slice(0, SHOWN_MEMBERS * 2), unchecked: Math.max(0, members.length - SHOWN_MEMBERS * 2) };
  });
  const profiles = await getProfiles([...new Set(groups.flatMap((g) => g.ids))]);
  return { items: buildSuggestions(groups, profiles), cursor: encodeCursor(page.LastEvaluatedKey) };
}

async function queryByValue(indexName: 'byPhone' | 'byEmail', partition: string): Promise<Record<string, unknown>[]> {
  const index = INDEXES[indexName];
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: index.name,
        KeyConditionExpression: `${index.partitionKey} = :p`,
        ExpressionAttributeValues: { ':p': partition },
        Limit: MAX_SUGGESTION_MEMBERS,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = items.length < MAX_SUGGESTION_MEMBERS ? page.LastEvaluatedKey : undefined;
  } while (start);
  return items;
}

/** Suggestions of one contact: its own phone and email looked up in their indexes (one or two Queries). */
export async function contactSuggestions(contactId: string): Promise<Suggestion[]> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: contactKey(contactId) }));
  if (!Item || Item.type !== 'contact') throw new NotFoundError('contact');
  const keys = suggestionKeysOf(Item);
  const found = await Promise.all(
    keys.map((key) => {
      const { field, value } = splitKey(key);
      const partition = field === 'phone' ? gsi.byPhone(value, contactId).gsi2pk : gsi.byEmail(value, contactId).gsi3pk;
      return queryByValue(field === 'phone' ? 'byPhone' : 'byEmail', partition);
    }),
  );
  const profiles = new Map<string, Record<string, unknown>>([[contactId, Item]]);
  for (const item of found.flat()) if (item.type === 'contact' && item.sk === 'P#PROFILE') profiles.set(String(item.id), item);
  return buildSuggestions(
    keys.map((key, i) => ({ key, ids: [contactId, ...found[i].filter((item) => item.type === 'contact').map((item) => String(item.id)).filter((id) => id !== contactId)] })),
    profiles,
  );
}
