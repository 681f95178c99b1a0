import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { transact } from '../lib/dynamo-batch.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { cancellationCodes } from '../lib/errors.js';
import { activityItem } from './activity.js';
import { contactCheck } from './contact-type.js';
import { gsi, listKey, listMemberKey, tagKey, tagMemberKey } from './keys.js';
import { queryIndexPage, type Item, type Page } from './query.js';

/**
 * A contact's membership of a list or tag: `CONTACT#<id>` / `P#LIST#<listId>`
 * (or `P#TAG#<tagId>`), in byMember under `LIST#<listId>` (or `TAG#<tagId>`),
 * newest member first. The list or tag keeps its count (`memberCount`,
 * `contactCount`) in the same transaction as every membership change.
 */
export type MembershipKind = 'list' | 'tag';
export interface MembershipOf {
  kind: MembershipKind;
  id: string;
}

export const MEMBERSHIP_TYPES = { list: 'listMember', tag: 'tagMember' } as const;

export const membershipKey = (contactId: string, of: MembershipOf) => (of.kind === 'list' ? listMemberKey(contactId, of.id) : tagMemberKey(contactId, of.id));
const parentKey = (of: MembershipOf) => (of.kind === 'list' ? listKey(of.id) : tagKey(of.id));
export const COUNTER = { list: 'memberCount', tag: 'contactCount' } as const;
export const membershipParentKey = parentKey;
export const indexKey = (of: MembershipOf, contactId: string) => (of.kind === 'list' ? gsi.listMember(of.id, contactId) : gsi.tagMember(of.id, contactId));

export function toMembershipItem(contactId: string, of: MembershipOf & { name: string }, addedAt: string): Item {
  return {
    ...membershipKey(contactId, of),
    type: MEMBERSHIP_TYPES[of.kind],
    contactId,
    [`${of.kind}Id`]: of.id,
    name: of.name,
    addedAt,
    ...indexKey(of, contactId),
  };
}

/** The list or tag a membership item stands for, or undefined for any other item. */
export function membershipOf(item: Item): MembershipOf | undefined {
  if (item.type === MEMBERSHIP_TYPES.list) return { kind: 'list', id: String(item.listId) };
  if (item.type === MEMBERSHIP_TYPES.tag) return { kind: 'tag', id: String(item.tagId) };
  return undefined;
}

/**
 * Puts a membership and bumps the count in one transaction; idempotent.
 * Returns what stood in the way: the contact or the list/tag missing, or
 * the membership already there.
 */
/** The activity entry of a membership change (`tagged`, `unlisted`…), with the list's or tag's id and name when known. */
function membershipActivity(contactId: string, of: MembershipOf & { name?: string }, change: 'added' | 'removed'): Item {
  const action = of.kind === 'list' ? (change === 'added' ? 'listed' : 'unlisted') : change === 'added' ? 'tagged' : 'untagged';
  return activityItem(contactId, action, { [`${of.kind}Id`]: of.id, ...(of.name ? { [`${of.kind}Name`]: of.name } : {}) });
}

export async function putMembership(contactId: string, of: MembershipOf & { name: string }): Promise<'added' | 'exists' | 'noContact' | 'noParent'> {
  try {
    await transact([
      contactCheck(contactId),
      { Put: { TableName: tableName(), Item: toMembershipItem(contactId, of, new Date().toISOString()), ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: tableName(),
          Key: parentKey(of),
          UpdateExpression: 'ADD #c :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#c': COUNTER[of.kind] },
          ExpressionAttributeValues: { ':one': 1 },
        },
      },
      { Put: { TableName: tableName(), Item: membershipActivity(contactId, of, 'added'), ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
    return 'added';
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes[0] === 'ConditionalCheckFailed') return 'noContact';
    if (codes[2] === 'ConditionalCheckFailed') return 'noParent';
    if (codes[1] === 'ConditionalCheckFailed') return 'exists';
    throw error;
  }
}

/**
 * Deletes a membership and drops the count in one transaction; false when
 * there was no membership. A membership whose list or tag is gone is
 * deleted alone. One a contact keeps in the recycle bin (no byMember entry,
 * not counted: ./binned-contact.ts) is not a membership here.
 */
export async function deleteMembership(contactId: string, of: MembershipOf, options: { activity?: boolean } = {}): Promise<boolean> {
  const memberKey = membershipKey(contactId, of);
  try {
    await transact([
      { Delete: { TableName: tableName(), Key: memberKey, ConditionExpression: 'attribute_exists(gsi9pk)' } },
      {
        Update: {
          TableName: tableName(),
          Key: parentKey(of),
          UpdateExpression: 'ADD #c :minus',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#c': COUNTER[of.kind] },
          ExpressionAttributeValues: { ':minus': -1 },
        },
      },
      // A person's untag or unlist is the contact's activity; a purge taking memberships with the contact is not.
      ...(options.activity ? [{ Put: { TableName: tableName(), Item: membershipActivity(contactId, of, 'removed'), ConditionExpression: 'attribute_not_exists(pk)' } }] : []),
    ]);
    return true;
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes[0] === 'ConditionalCheckFailed') return false;
    if (codes[1] === 'ConditionalCheckFailed') {
      await ddb().send(new DeleteCommand({ TableName: tableName(), Key: memberKey }));
      return true;
    }
    throw error;
  }
}

/** A page of a list's or tag's members (their contact ids), newest member first. */
export async function membersPage(of: MembershipOf, page: { limit: number; cursor?: string }): Promise<Page<string>> {
  const result = await queryIndexPage({ index: 'byMember', partition: indexKey(of, '').gsi9pk, limit: page.limit, cursor: page.cursor });
  return { items: result.items.map((item) => String(item.contactId)), cursor: result.cursor };
}

/** Those of `contactIds` that are members of `of` (one GetItem each). */
export async function membersAmong(contactIds: readonly string[], of: MembershipOf): Promise<Set<string>> {
  const result = new Set<string>();
  await Promise.all(
    contactIds.map(async (contactId) => {
      const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: membershipKey(contactId, of) }));
      if (Item) result.add(contactId);
    }),
  );
  return result;
}

/** The lists and tags among a contact's profile items, as the profile shows them. */
export function membershipsOf(items: readonly Item[]): { lists: { id: string; name: string }[]; tags: { id: string; name: string }[] } {
  const lists: { id: string; name: string }[] = [];
  const tags: { id: string; name: string }[] = [];
  for (const item of items) {
    if (item.type === MEMBERSHIP_TYPES.list) lists.push({ id: String(item.listId), name: String(item.name) });
    else if (item.type === MEMBERSHIP_TYPES.tag) tags.push({ id: String(item.tagId), name: String(item.name) });
  }
  return { lists, tags };
}
