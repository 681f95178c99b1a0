import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { tryUpdate } from '../lib/dynamo-batch.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { CATALOG_MEMBER_PREFIX, catalogMemberKey, contactKey, gsi } from './keys.js';
import { queryFrom, type Item } from './query.js';

/**
 * The items that copy a catalog entity and follow its renames and deletes
 * (functions/catalog/catalog-jobs.ts walks them in resumable chunks):
 *   list and tag memberships carry its name          byMember  LIST#<id> / TAG#<id>
 *   contacts carry their company/department `{id, name}`; member items find them:
 *     COMPANY#<id> / DEPARTMENT#<id>  M#<contactId>   (type companyMember / departmentMember, kept by the catalog-refs stream processor)
 *   contacts carry their assignee                    byAssignee  ASSIGNEE#<agent|group>#<id>
 * Every change below is conditioned, so a redone step or a late pass changes nothing twice.
 */
export type RefKind = 'company' | 'department';
type Key = { pk: string; sk: string };
type StartKey = Item | undefined;

export const toCatalogMemberItem = (kind: RefKind, id: string, contactId: string): Item => ({ ...catalogMemberKey(kind, id, contactId), type: `${kind}Member`, contactId });
export const catalogMemberDelete = (kind: RefKind, id: string, contactId: string) => ({ DeleteRequest: { Key: catalogMemberKey(kind, id, contactId) } });
export const contactIdOfMember = (item: Item) => String(item.sk).slice(CATALOG_MEMBER_PREFIX.length);
const keyOf = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });

export async function deleteCatalogMember(kind: RefKind, id: string, contactId: string): Promise<void> {
  await ddb().send(new DeleteCommand({ TableName: tableName(), Key: catalogMemberKey(kind, id, contactId) }));
}

/* Resumable reads, oldest first: `next` is where the following chunk starts. */

export function membershipsFrom(of: { kind: 'list' | 'tag'; id: string }, start: StartKey, limit: number) {
  const partition = (of.kind === 'list' ? gsi.listMember(of.id, '') : gsi.tagMember(of.id, '')).gsi9pk;
  return queryFrom({ index: 'byMember', partition, limit, newestFirst: false }, start);
}

/** Consistent: the member items are the entity's own collection. */
export function catalogMembersFrom(kind: RefKind, id: string, start: StartKey, limit: number) {
  return queryFrom({ partition: catalogMemberKey(kind, id, '').pk, sortPrefix: CATALOG_MEMBER_PREFIX, consistent: true, limit, newestFirst: false }, start);
}

export function assignedContactsFrom(assignee: { type: 'agent' | 'group'; id: string }, start: StartKey, limit: number) {
  return queryFrom({ index: 'byAssignee', partition: gsi.assignee(assignee.type, assignee.id, '').gsi8pk, limit, newestFirst: false }, start);
}

/* Changes of the copies; each resolves true only when its condition held and it changed the item. */

const changeIf = (Key: Key, update: string, condition: string, names: Record<string, string>, values: Record<string, unknown>) =>
  tryUpdate({ Key, UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values });

export const renameMembership = (membership: Item, name: string) =>
  changeIf(keyOf(membership), 'SET #n = :n', 'attribute_exists(pk) AND #n <> :n', { '#n': 'name' }, { ':n': name });

/** Renames the contact's copy of its company/department; `version` moves so a concurrent edit re-reads. */
export const renameContactRef = (contactId: string, kind: RefKind, refId: string, name: string) =>
  changeIf(contactKey(contactId), 'SET #c.#n = :n ADD version :one', '#c.id = :id AND #c.#n <> :n', { '#c': kind, '#n': 'name' }, { ':n': name, ':id': refId, ':one': 1 });

/** Clears the contact's company/department while it is still `refId`. */
export const clearContactRef = (contactId: string, kind: RefKind, refId: string) =>
  changeIf(contactKey(contactId), 'REMOVE #c ADD version :one', '#c.id = :id', { '#c': kind }, { ':id': refId, ':one': 1 });

/** Unassigns a contact (an item of byAssignee) while it is still assigned to `assigneeId`. */
export const unassignContact = (contact: Item, assigneeId: string) =>
  changeIf(keyOf(contact), 'REMOVE #a, gsi8pk, gsi8sk ADD version :one', '#a.id = :id', { '#a': 'assignee' }, { ':id': assigneeId, ':one': 1 });
