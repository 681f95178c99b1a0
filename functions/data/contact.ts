import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Assignee, CustomFieldValue, Origin } from '../../shared/contact-schema.js';
import { fold } from '../../shared/text.js';
import { batchWriteAll } from '../lib/dynamo-batch.js';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { activityItem } from './activity.js';
import { currentActor } from '../lib/actor.js';
import { BINNED_CONTACT_TYPE, CONTACT_TYPE, IS_CONTACT } from './contact-type.js';
import { contactKey, contactPk, gsi, isDerivedContactItem, PROFILE_PREFIX } from './keys.js';
import { liveBandEntries, withBands } from './contact-band.js';
import { membershipOf, type MembershipOf } from './membership.js';
import { queryAll, queryIndexPage, type Item, type Page } from './query.js';
import type { IndexName } from './table-schema.js';

/**
 * A contact: its profile item `CONTACT#<id>` / `P#PROFILE`, carrying a
 * `version` for optimistic concurrency and the index attributes that follow
 * from its fields (byType, byPhone, byEmail, byFirstName, byLastName, and
 * the sparse byFilter, byAssignee). Its engagement band is an item of its
 * own (./contact-band.ts; byBand), which profiles written before it
 * still carry themselves until the band's next refresh. The rest of its collection
 * (channel states, memberships, engagement, history) hangs off the same pk.
 */
export { BINNED_CONTACT_TYPE, CONTACT_TYPE, IS_CONTACT };
/** byType partition of contacts. */
const CONTACTS = 'CONTACT';
export const PROFILE_SK = contactKey('').sk;

export { contactKey, contactPk };

/** A contact as stored on its profile item. */
export interface ContactRecord {
  id: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  email?: string;
  country?: string;
  language?: string;
  origin: Origin;
  company?: { id: string; name: string };
  department?: { id: string; name: string };
  assignee?: Assignee;
  customFields: Record<string, CustomFieldValue>;
  blocked: boolean;
  /** The engagement band snapshot: from the band item (./contact-band.ts), never stored on a new profile. */
  band?: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
}

export type ContactItem = ContactRecord & Record<string, unknown> & { pk: string; sk: string; type: 'contact' };

/** Index attributes that follow from the contact's fields. */
export function contactIndexAttributes(c: ContactRecord): Record<string, string> {
  const attributes: Record<string, string> = { ...gsi.byType(CONTACTS, c.id) };
  if (c.phone) Object.assign(attributes, gsi.byPhone(c.phone, c.id));
  if (c.email) Object.assign(attributes, gsi.byEmail(c.email, c.id));
  const full = fold([c.firstName, c.lastName].filter(Boolean).join(' '));
  if (full) Object.assign(attributes, gsi.byFirstName(full, c.id));
  if (c.lastName && fold(c.lastName)) Object.assign(attributes, gsi.byLastName(fold(c.lastName), c.id));
  if (c.blocked) Object.assign(attributes, gsi.blocked(c.id));
  if (c.assignee) Object.assign(attributes, gsi.assignee(c.assignee.type, c.assignee.id, c.id));
  return attributes;
}

export function toContactItem(c: ContactRecord): ContactItem {
  // The band lives on the band item (./contact-band.ts), never on the profile.
  const { band: _band, ...stored } = c;
  return { ...contactKey(c.id), type: CONTACT_TYPE, ...stripUndefined(stored), ...contactIndexAttributes(c) } as ContactItem;
}

const RECORD_FIELDS = [
  'id', 'firstName', 'lastName', 'phone', 'email', 'country', 'language', 'origin', 'company', 'department',
  'assignee', 'customFields', 'blocked', 'band', 'createdAt', 'updatedAt', 'createdBy',
] as const;

export function fromContactItem(item: Item): ContactRecord {
  const record: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  record.customFields ??= {};
  record.blocked = item.blocked === true;
  return record as unknown as ContactRecord;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/** The profile item among a contact's profile items. */
export const profileItemOf = (items: readonly Item[]): Item | undefined => items.find((item) => item.sk === PROFILE_SK);

/**
 * The stored profile item of a contact, or undefined when there is none.
 * A contact in the recycle bin is none, unless `includeBinned` (erasure,
 * the recycle bin itself): then its item comes back too, with `type`
 * `binnedContact` (BINNED_CONTACT_TYPE) and `deletedAt`, `deletedBy`,
 * `purgeAt`, its fields as they were and its index attributes left out.
 */
export async function getContactItem(id: string, options: { consistent?: boolean; includeBinned?: boolean } = {}): Promise<Item | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: contactKey(id), ...(options.consistent ? { ConsistentRead: true } : {}) }));
  if (Item?.type === CONTACT_TYPE) return Item;
  return options.includeBinned && Item?.type === BINNED_CONTACT_TYPE ? Item : undefined;
}

/** Profiles by id (BatchGet), in the order given; missing ones (and those in the recycle bin) are skipped. */
export async function getContacts(ids: string[]): Promise<ContactRecord[]> {
  const items = (await batchGetItems(ids.map(contactKey))).filter((item) => item.type === CONTACT_TYPE);
  const found = new Map(items.map((item) => [String(item.id), fromContactItem(item)]));
  return ids.map((id) => found.get(id)).filter((c): c is ContactRecord => !!c);
}

/** Profile read: the contact's whole profile item collection (`P#…`) in one Query. */
export async function profileItems(id: string): Promise<Item[]> {
  return queryAll({ partition: contactPk(id), sortPrefix: PROFILE_PREFIX, newestFirst: false });
}

/** Puts a new contact (version 1; refused if the id exists), with `alongside` items in the same transaction. */
export async function putNewContact(record: ContactRecord, alongside: Item[] = []): Promise<void> {
  const put = { TableName: tableName(), Item: { ...toContactItem(record), version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' };
  // Its first activity entry, in the same transaction: `imported` when a job (a CSV import) creates it.
  const entry = activityItem(record.id, currentActor().kind === 'job' ? 'imported' : 'created', {}, record.createdAt);
  await ddb().send(new TransactWriteCommand({ TransactItems: [{ Put: put }, ...[...alongside, entry].map((Item) => ({ Put: { TableName: tableName(), Item } }))] }));
}

/** Fields an `updated` entry reports, from and to (company and department by name, custom fields one by one). */
const REPORTED_FIELDS = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'assignee'] as const;

function fieldChanges(current: Item, next: ContactRecord): { field: string; from: unknown; to: unknown }[] {
  const changes: { field: string; from: unknown; to: unknown }[] = [];
  const note = (field: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from ?? null) !== JSON.stringify(to ?? null)) changes.push({ field, from: from ?? null, to: to ?? null });
  };
  for (const field of REPORTED_FIELDS) note(field, current[field], next[field]);
  note('company', (current.company as { name?: string } | undefined)?.name, next.company?.name);
  note('department', (current.department as { name?: string } | undefined)?.name, next.department?.name);
  const before = (current.customFields as Record<string, unknown> | undefined) ?? {};
  const after = next.customFields ?? {};
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) note(`customFields.${key}`, before[key], after[key]);
  return changes;
}

/** Fields a patch writes, and the index attributes that follow from them (blocked and band have writers of their own). */
const PATCHED_FIELDS = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'origin', 'company', 'department', 'assignee', 'customFields', 'updatedAt'] as const;
const PATCHED_INDEX_ATTRIBUTES = ['gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk', 'gsi5pk', 'gsi5sk', 'gsi8pk', 'gsi8sk'] as const;

/**
 * Writes `next` over the stored profile `current` (SET what has a value,
 * REMOVE what was cleared), on condition that `current`'s version is still
 * the stored one; `alongside` items are put in the same transaction. A
 * condition failure is thrown as it comes: the caller reads again.
 */
export async function replaceContactFields(current: Item, next: ContactRecord, alongside: Item[] = []): Promise<void> {
  const set: string[] = [];
  const remove: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':one': 1 };
  const indexAttributes = contactIndexAttributes(next);
  const wanted: Record<string, unknown> = {
    ...Object.fromEntries(PATCHED_FIELDS.map((k) => [k, next[k]])),
    ...Object.fromEntries(PATCHED_INDEX_ATTRIBUTES.map((k) => [k, indexAttributes[k]])),
  };
  let i = 0;
  for (const [key, value] of Object.entries(wanted)) {
    const name = `#a${i}`;
    if (value === undefined || value === null) {
      if (current[key] === undefined) continue;
      remove.push(name);
    } else {
      values[`:v${i}`] = value;
      set.push(`${name} = :v${i}`);
    }
    names[name] = key;
    i++;
  }
  let condition = IS_CONTACT.expression;
  Object.assign(names, IS_CONTACT.names);
  Object.assign(values, IS_CONTACT.values);
  if (typeof current.version === 'number') {
    condition += ' AND version = :version';
    values[':version'] = current.version;
  } else {
    condition += ' AND attribute_not_exists(version)';
  }
  const update = {
    TableName: tableName(),
    Key: contactKey(next.id),
    UpdateExpression: `SET ${set.join(', ')} ADD version :one${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  const changes = fieldChanges(current, next);
  const items = changes.length ? [...alongside, activityItem(next.id, 'updated', { changes }, next.updatedAt)] : alongside;
  if (items.length === 0) await ddb().send(new UpdateCommand(update));
  else await ddb().send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...items.map((Item) => ({ Put: { TableName: tableName(), Item } }))] }));
}

/** Blocks or unblocks a contact (the sparse byFilter entry comes and goes with it); false when there is no such contact. */
export async function setContactBlocked(id: string, blocked: boolean, now: string): Promise<boolean> {
  const entry = gsi.blocked(id);
  try {
    await ddb().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: contactKey(id),
              ConditionExpression: IS_CONTACT.expression,
              UpdateExpression: blocked
                ? 'SET blocked = :t, updatedAt = :now, gsi6pk = :gpk, gsi6sk = :gsk ADD version :one'
                : 'SET blocked = :f, updatedAt = :now ADD version :one REMOVE gsi6pk, gsi6sk',
              ExpressionAttributeNames: IS_CONTACT.names,
              ExpressionAttributeValues: {
                ...IS_CONTACT.values,
                ...(blocked ? { ':t': true, ':now': now, ':one': 1, ':gpk': entry.gsi6pk, ':gsk': entry.gsi6sk } : { ':f': false, ':now': now, ':one': 1 }),
              },
            },
          },
          { Put: { TableName: tableName(), Item: activityItem(id, blocked ? 'blocked' : 'unblocked', {}, now) } },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** The indexes a page of contacts can be read from. */
export type ContactIndex =
  | { by: 'all' }
  | { by: 'phone'; e164: string }
  | { by: 'email'; email: string }
  | { by: 'blocked' }
  | { by: 'band'; band: string }
  | { by: 'assignee'; type: string; id: string }
  | { by: 'firstName'; prefix: string }
  | { by: 'lastName'; prefix: string };

/** Profile attributes (and the band) a page can be narrowed by, beyond what its index serves. */
export interface ContactFilters {
  blocked?: boolean;
  band?: string;
  assignee?: { type: string; id: string };
}

function indexQuery(index: ContactIndex): { index: IndexName; partition: string; sortPrefix?: string; newestFirst?: boolean; projection?: string } {
  switch (index.by) {
    case 'all':
      return { index: 'byType', partition: CONTACTS };
    case 'phone':
      return { index: 'byPhone', partition: gsi.byPhone(index.e164, '').gsi2pk };
    case 'email':
      return { index: 'byEmail', partition: gsi.byEmail(index.email, '').gsi3pk };
    case 'blocked':
      return { index: 'byFilter', partition: gsi.blocked('').gsi6pk };
    case 'band':
      return { index: 'byBand', partition: gsi.band(index.band, '').gsi7pk, projection: 'pk, sk, gsi7sk' };
    case 'assignee':
      return { index: 'byAssignee', partition: gsi.assignee(index.type, index.id, '').gsi8pk };
    case 'firstName':
      return { index: 'byFirstName', partition: gsi.byFirstName('', '').gsi4pk, sortPrefix: index.prefix, newestFirst: false };
    case 'lastName':
      return { index: 'byLastName', partition: gsi.byLastName('', '').gsi5pk, sortPrefix: index.prefix, newestFirst: false };
  }
}

/** The filter expression of the profile filters the index does not serve itself (the band is not on the profile: contactsPage). */
function filterOf(index: ContactIndex, filters: ContactFilters) {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const add = (attribute: string, operator: '=' | '<>', value: unknown) => {
    names[`#f_${attribute}`] = attribute;
    values[`:f_${attribute}`] = value;
    parts.push(`#f_${attribute} ${operator} :f_${attribute}`);
  };
  if (filters.blocked === true && index.by !== 'blocked') add('blocked', '=', true);
  if (filters.blocked === false) add('blocked', '<>', true);
  if (filters.assignee && index.by !== 'assignee') add('gsi8pk', '=', gsi.assignee(filters.assignee.type, filters.assignee.id, '').gsi8pk);
  return parts.length ? { FilterExpression: parts.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values } : undefined;
}

/** Whether a record passes the profile filters (those a byBand page cannot put in its Query). */
function passes(c: ContactRecord, filters: ContactFilters): boolean {
  if (filters.blocked !== undefined && c.blocked !== filters.blocked) return false;
  if (filters.assignee && (c.assignee?.type !== filters.assignee.type || c.assignee?.id !== filters.assignee.id)) return false;
  return true;
}

/** Index pages a byBand page reads at most to fill itself. */
const BAND_PAGE_READS = 5;

/**
 * One page of contacts from an index (newest first, names in order),
 * narrowed by `filters`; the cursor belongs to that index. Each record has
 * its `band` (one BatchGet of the page's band items, ./contact-band.ts)
 * unless `bands: false`. A byBand page reads band items: their live
 * contacts' profiles come with one BatchGet (binned, merged-away and purged
 * contacts drop out), in the index's order, the cursor still the index's; it
 * reads on, BAND_PAGE_READS index pages at most, to fill itself.
 */
export async function contactsPage(
  index: ContactIndex,
  page: { limit: number; cursor?: string },
  filters: ContactFilters = {},
  options: { bands?: boolean } = {},
): Promise<Page<ContactRecord>> {
  if (index.by === 'band') {
    // Entries whose contact is not live (in the recycle bin, merged away) drop out: read on, a few index
    // pages at most, so a page after a mass delete is not a run of empty pages.
    const items: ContactRecord[] = [];
    let cursor: string | null = page.cursor ?? null;
    for (let reads = 0; reads < BAND_PAGE_READS && items.length < page.limit; reads++) {
      const result = await queryIndexPage({ ...indexQuery(index), limit: page.limit - items.length, cursor: cursor ?? undefined });
      const profiles = await liveBandEntries(index.band, result.items);
      items.push(...profiles.map((item) => ({ ...fromContactItem(item), band: index.band })).filter((c) => passes(c, filters)));
      cursor = result.cursor;
      if (!cursor) break;
    }
    return { items, cursor };
  }
  const result = await queryIndexPage({ ...indexQuery(index), limit: page.limit, cursor: page.cursor, filter: filterOf(index, filters) });
  let items = result.items.filter((item) => item.type === CONTACT_TYPE).map(fromContactItem);
  if (options.bands !== false || filters.band) items = await withBands(items);
  if (filters.band) items = items.filter((c) => c.band === filters.band);
  return { items, cursor: result.cursor };
}

export type ItemKey = { pk: string; sk: string };

/**
 * A contact's collection for a purge: memberships (they leave with their
 * counts) apart from the other items, the profile and the derived items
 * left out (the stream folds the derived ones to zero from the history's
 * removal; keys.ts). A membership a contact in the recycle bin keeps is
 * not counted (it has no byMember entry) and goes with the other items.
 * `found` is false when the collection is empty.
 */
export async function contactCollection(contactId: string): Promise<{ found: boolean; memberships: MembershipOf[]; rest: ItemKey[] }> {
  const items = await queryAll({
    partition: contactPk(contactId),
    projection: 'pk, sk, #type, listId, tagId, gsi9pk',
    filter: { ExpressionAttributeNames: { '#type': 'type' } },
    newestFirst: false,
  });
  const memberships: MembershipOf[] = [];
  const rest: ItemKey[] = [];
  for (const item of items) {
    const of = membershipOf(item);
    if (of && item.gsi9pk !== undefined) memberships.push(of);
    else if (item.sk !== PROFILE_SK && !isDerivedContactItem(String(item.sk))) rest.push({ pk: String(item.pk), sk: String(item.sk) });
  }
  return { found: items.length > 0, memberships, rest };
}

/** Deletes items of contacts' collections (BatchWriteItem, `concurrency` calls in flight). */
export async function deleteCollectionItems(keys: readonly ItemKey[], concurrency = 1): Promise<void> {
  await batchWriteAll(keys.map((Key) => ({ DeleteRequest: { Key } })), concurrency);
}

/** Deletes contacts' profile items (the last step of a purge). */
export async function deleteContactProfiles(ids: readonly string[], concurrency = 1): Promise<void> {
  await deleteCollectionItems(ids.map(contactKey), concurrency);
}
