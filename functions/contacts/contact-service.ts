import { inParallel } from '../lib/concurrency.js';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import {
  CHANNELS,
  DEFAULT_ORIGINS,
  parseContactFields,
  type Channel,
  type ContactFields,
  type Origin,
} from '../../shared/contact-schema.js';
import { looksLikePhone, normalizePhone } from '../../shared/phone.js';
import { fold } from '../../shared/text.js';
import { config } from '../lib/config.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { cancellationCodes, ConflictError, isConditionFailure, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Principal } from '../lib/http.js';
import { publishDispatch } from '../lib/outbound.js';
import { channelKey, contactKey, contactPk, gsi, isDerivedContactItem, listKey, listMemberKey, tagKey, tagMemberKey } from '../data/keys.js';
import { INDEXES } from '../data/table-schema.js';
import { findOrCreateTag, getCatalogItem, getList, getTag } from '../data/catalog-entity.js';
import { validateCustomFieldValues } from '../catalog/custom-field-validation.js';
import { buildProfileEngagement } from '../engagement/profile-engagement.js';
import { DISPATCH_MERGE_MARKER_SK, dispatchesDuringMerge, isMergeMarker, MERGE_MARKER_TYPE, mergeOfDispatchCursor, profileItemsDuringMerge } from '../merge/merge-reads.js';
import {
  contactIndexAttributes,
  contactSummary,
  fromContactItem,
  getContacts,
  queryContactIndex,
  queryProfileItems,
  toContactItem,
  type ChannelMap,
  type ContactRecord,
  type Page,
} from './contact-repository.js';

export type OriginSource = 'bearer' | 'apiKey';

async function resolveCatalogRefs(fields: ContactFields): Promise<Pick<ContactRecord, 'company' | 'department'> & { errors: Record<string, string> }> {
  const errors: Record<string, string> = {};
  const out: Pick<ContactRecord, 'company' | 'department'> = {};
  const lookups: Promise<void>[] = [];
  if (fields.companyId) {
    lookups.push(
      getCatalogItem('company', fields.companyId).then(
        (c) => void (out.company = { id: c.id, name: c.name }),
        () => void (errors.companyId = 'no company has this id'),
      ),
    );
  }
  if (fields.departmentId) {
    lookups.push(
      getCatalogItem('department', fields.departmentId).then(
        (d) => void (out.department = { id: d.id, name: d.name }),
        () => void (errors.departmentId = 'no department has this id'),
      ),
    );
  }
  if (fields.assignee) {
    lookups.push(
      getCatalogItem('agent', fields.assignee.id).then(
        (a) => {
          if (a.kind && a.kind !== fields.assignee!.type) errors['assignee.type'] = `this id is a ${String(a.kind)}`;
        },
        () => void (errors['assignee.id'] = 'no agent or group has this id'),
      ),
    );
  }
  await Promise.all(lookups);
  return { ...out, errors };
}

function channelItems(contactId: string, channels: ContactFields['channels'], now: string) {
  return Object.entries(channels ?? {}).map(([channel, status]) => ({
    ...channelKey(contactId, channel),
    type: 'channel',
    contactId,
    channel,
    status,
    updatedAt: now,
  }));
}

/** Validates and creates a contact; `fields` may carry an origin, otherwise the source's default applies. */
export async function createContact(input: unknown, source: OriginSource, principal?: Principal): Promise<ContactRecord> {
  const parsed = parseContactFields(input, { mode: 'create', defaultRegion: config().defaultPhoneRegion });
  if (!parsed.ok) throw new ValidationError(parsed.fields);
  parsed.value.customFields = await validateCustomFieldValues(parsed.value.customFields);
  return insertContact(parsed.value, { origin: parsed.value.origin ?? { ...DEFAULT_ORIGINS[source] }, createdBy: principal?.sub });
}

/** Writes a new, already validated contact (also used by CSV import). */
export async function insertContact(
  fields: ContactFields,
  options: { origin: Origin; createdBy?: string; now?: string; id?: string },
): Promise<ContactRecord> {
  const refs = await resolveCatalogRefs(fields);
  if (Object.keys(refs.errors).length > 0) throw new ValidationError(refs.errors);
  const now = options.now ?? new Date().toISOString();
  const record: ContactRecord = {
    id: options.id ?? ulid(),
    firstName: fields.firstName ?? undefined,
    lastName: fields.lastName ?? undefined,
    phone: fields.phone ?? undefined,
    email: fields.email ?? undefined,
    country: fields.country ?? undefined,
    language: fields.language ?? undefined,
    origin: options.origin,
    company: refs.company,
    department: refs.department,
    assignee: fields.assignee ?? undefined,
    customFields: fields.customFields ?? {},
    blocked: false,
    createdAt: now,
    updatedAt: now,
    createdBy: options.createdBy,
  };
  const channels = channelItems(record.id, fields.channels, now);
  const profile = { ...toContactItem(record), version: 1 };
  if (channels.length === 0) {
    await ddb().send(new PutCommand({ TableName: tableName(), Item: profile, ConditionExpression: 'attribute_not_exists(pk)' }));
  } else {
    await ddb().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName(), Item: profile, ConditionExpression: 'attribute_not_exists(pk)' } },
          ...channels.map((Item) => ({ Put: { TableName: tableName(), Item } })),
        ],
      }),
    );
  }
  return record;
}

export async function getContact(id: string): Promise<ContactRecord> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: contactKey(id) }));
  if (!Item || Item.type !== 'contact') throw new NotFoundError('contact');
  return fromContactItem(Item);
}

const PATCHABLE = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'origin', 'assignee', 'customFields'] as const;

/** Applies a validated patch; optimistic concurrency on `version` so concurrent edits never lose index updates. */
export async function updateContact(id: string, input: unknown): Promise<ContactRecord> {
  const parsed = parseContactFields(input, { mode: 'patch', defaultRegion: config().defaultPhoneRegion });
  if (!parsed.ok) throw new ValidationError(parsed.fields);
  parsed.value.customFields = await validateCustomFieldValues(parsed.value.customFields);
  return patchContact(id, parsed.value);
}

export async function patchContact(id: string, fields: ContactFields): Promise<ContactRecord> {
  const refs = await resolveCatalogRefs(fields);
  if (Object.keys(refs.errors).length > 0) throw new ValidationError(refs.errors);
  for (let attempt = 0; ; attempt++) {
    const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: contactKey(id), ConsistentRead: true }));
    if (!Item || Item.type !== 'contact') throw new NotFoundError('contact');
    const current = fromContactItem(Item);
    const next: ContactRecord = { ...current };
    for (const key of PATCHABLE) {
      if (fields[key] === undefined) continue;
      (next as unknown as Record<string, unknown>)[key] = fields[key] === null ? undefined : fields[key];
    }
    if (fields.customFields) next.customFields = { ...current.customFields, ...fields.customFields };
    if (fields.companyId !== undefined) next.company = fields.companyId ? refs.company : undefined;
    if (fields.departmentId !== undefined) next.department = fields.departmentId ? refs.department : undefined;
    if (!next.firstName && !next.phone && !next.email) {
      throw new ValidationError({ firstName: 'one of firstName, phone or email is required' });
    }
    const now = new Date().toISOString();
    next.updatedAt = now;

    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':one': 1 };
    const wanted: Record<string, unknown> = {
      ...Object.fromEntries(['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'origin', 'company', 'department', 'assignee', 'customFields', 'updatedAt'].map((k) => [k, (next as unknown as Record<string, unknown>)[k]])),
    };
    const indexAttributes = contactIndexAttributes(next);
    for (const attribute of ['gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk', 'gsi5pk', 'gsi5sk', 'gsi8pk', 'gsi8sk']) {
      wanted[attribute] = indexAttributes[attribute];
    }
    let i = 0;
    for (const [key, value] of Object.entries(wanted)) {
      const name = `#a${i}`;
      if (value === undefined || value === null) {
        if (Item[key] === undefined) continue;
        remove.push(name);
      } else {
        values[`:v${i}`] = value;
        set.push(`${name} = :v${i}`);
      }
      names[name] = key;
      i++;
    }
    let condition = 'attribute_exists(pk)';
    if (typeof Item.version === 'number') {
      condition += ' AND version = :version';
      values[':version'] = Item.version;
    } else {
      condition += ' AND attribute_not_exists(version)';
    }
    const expression = `SET ${set.join(', ')} ADD version :one${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
    const channels = channelItems(id, fields.channels, now);
    try {
      const update = {
        TableName: tableName(),
        Key: contactKey(id),
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      };
      if (channels.length === 0) await ddb().send(new UpdateCommand(update));
      else
        await ddb().send(
          new TransactWriteCommand({
            TransactItems: [{ Update: update }, ...channels.map((Item) => ({ Put: { TableName: tableName(), Item } }))],
          }),
        );
      return next;
    } catch (error) {
      if (isConditionFailure(error) && attempt < 5) continue;
      if (isConditionFailure(error)) throw new ConflictError('The contact changed while saving; try again.');
      throw error;
    }
  }
}

/** The full profile: one Query of the contact's profile collection (more only while a merge involving it runs). */
export async function getProfile(id: string, now = new Date()) {
  let items = await queryProfileItems(id);
  if (items.some(isMergeMarker)) items = await profileItemsDuringMerge(id, items);
  const profileItem = items.find((item) => item.sk === 'P#PROFILE');
  if (!profileItem || profileItem.type !== 'contact') throw new NotFoundError('contact');
  const contact = fromContactItem(profileItem);
  const channels: ChannelMap = {};
  const lists: { id: string; name: string }[] = [];
  const tags: { id: string; name: string }[] = [];
  for (const item of items) {
    if (item.type === 'channel') {
      channels[item.channel as Channel] = {
        status: item.status as 'subscribed' | 'unsubscribed',
        ...(item.connectedAt ? { connectedAt: String(item.connectedAt) } : {}),
      };
    } else if (item.type === 'listMember') lists.push({ id: String(item.listId), name: String(item.name) });
    else if (item.type === 'tagMember') tags.push({ id: String(item.tagId), name: String(item.name) });
  }
  const engagementItems = items.filter((item) => String(item.sk).startsWith('P#ENG'));
  return {
    ...contactSummary(contact),
    channels,
    lists,
    tags,
    ...buildProfileEngagement(engagementItems, now, config().timezone),
  };
}

export interface ContactQuery {
  q?: string;
  tag?: string;
  list?: string;
  blocked?: string;
  band?: string;
  assignee?: string;
  limit: number;
  cursor?: string;
}

const BANDS = ['none', 'low', 'high', 'very_high'];

/**
 * The contact base, newest first. Each filter is served by an index:
 * a page, a phone lookup and an email lookup are each one Query; list and
 * tag filters read the membership index and then the profiles (BatchGet).
 */
export async function listContacts(query: ContactQuery): Promise<Page<ReturnType<typeof contactSummary>>> {
  const errors: Record<string, string> = {};
  if (query.blocked !== undefined && query.blocked !== 'true' && query.blocked !== 'false') errors.blocked = 'must be true or false';
  if (query.band !== undefined && !BANDS.includes(query.band)) errors.band = `must be one of ${BANDS.join(', ')}`;
  let assignee: { type: string; id: string } | undefined;
  if (query.assignee !== undefined) {
    const [type, ...rest] = query.assignee.split(':');
    if ((type !== 'agent' && type !== 'group') || rest.join(':') === '' || rest.join(':').length > 64) errors.assignee = 'must look like agent:<id> or group:<id>';
    else assignee = { type, id: rest.join(':') };
  }
  if (query.q !== undefined && query.q.trim().length > 200) errors.q = 'must be at most 200 characters';
  if (Object.keys(errors).length) throw new ValidationError(errors);

  // Remaining profile-attribute filters are applied to whichever index serves the page.
  const filterParts: string[] = [];
  const filterNames: Record<string, string> = {};
  const filterValues: Record<string, unknown> = {};
  const addFilter = (attribute: string, expression: string, value?: unknown) => {
    filterNames[`#f_${attribute}`] = attribute;
    filterParts.push(expression.replace('#attr', `#f_${attribute}`));
    if (value !== undefined) filterValues[`:f_${attribute}`] = value;
  };

  const q = query.q?.trim();
  let primary: { index: keyof typeof INDEXES; partition: string; sortPrefix?: string; newestFirst?: boolean } | undefined;
  if (q) {
    if (q.includes('@')) primary = { index: 'byEmail', partition: `EMAIL#${q.toLowerCase()}` };
    else if (looksLikePhone(q)) {
      const phone = normalizePhone(q, config().defaultPhoneRegion);
      if (!phone) return { items: [], cursor: null };
      primary = { index: 'byPhone', partition: `PHONE#${phone.e164}` };
    }
  }
  if (!primary && (query.tag || query.list)) {
    return listMembers(query.tag ? { kind: 'tag', id: query.tag } : { kind: 'list', id: query.list! }, query, { assignee });
  }
  if (q && !primary) return searchByName(fold(q), query.limit, query.cursor, { blocked: query.blocked, band: query.band, assignee });
  if (!primary) {
    if (query.blocked === 'true') primary = { index: 'byFilter', partition: 'BLOCKED' };
    else if (query.band) primary = { index: 'byBand', partition: `BAND#${query.band}` };
    else if (assignee) primary = { index: 'byAssignee', partition: `ASSIGNEE#${assignee.type}#${assignee.id}` };
    else primary = { index: 'byType', partition: 'CONTACT' };
  }
  if (query.blocked === 'true' && primary.index !== 'byFilter') addFilter('blocked', '#attr = :f_blocked', true);
  if (query.blocked === 'false') addFilter('blocked', '#attr <> :f_blocked', true);
  if (query.band && primary.index !== 'byBand') addFilter('band', '#attr = :f_band', query.band);
  if (assignee && primary.index !== 'byAssignee') addFilter('gsi8pk', '#attr = :f_gsi8pk', `ASSIGNEE#${assignee.type}#${assignee.id}`);

  const page = await queryContactIndex({
    ...primary,
    limit: query.limit,
    cursor: query.cursor,
    filter: filterParts.length
      ? { FilterExpression: filterParts.join(' AND '), ExpressionAttributeNames: filterNames, ExpressionAttributeValues: filterValues }
      : undefined,
  });
  return { items: page.items.map(contactSummary), cursor: page.cursor };
}

function matchesFilters(c: ContactRecord, f: { blocked?: string; band?: string; assignee?: { type: string; id: string } }): boolean {
  if (f.blocked === 'true' && !c.blocked) return false;
  if (f.blocked === 'false' && c.blocked) return false;
  if (f.band && c.band !== f.band) return false;
  if (f.assignee && (c.assignee?.type !== f.assignee.type || c.assignee?.id !== f.assignee.id)) return false;
  return true;
}

/** Prefix search over first (full) name and last name; the cursor carries both positions. */
async function searchByName(
  prefix: string,
  limit: number,
  cursor: string | undefined,
  filters: { blocked?: string; band?: string; assignee?: { type: string; id: string } },
) {
  const state = decodeCursor(cursor, ['first', 'last']);
  const first = state?.first === '' ? null : state?.first;
  const last = state?.last === '' ? null : state?.last;
  const [a, b] = await Promise.all([
    first === null ? { items: [], cursor: null } : queryContactIndex({ index: 'byFirstName', partition: 'FNAME', sortPrefix: prefix, limit, cursor: first, newestFirst: false }),
    last === null ? { items: [], cursor: null } : queryContactIndex({ index: 'byLastName', partition: 'LNAME', sortPrefix: prefix, limit, cursor: last, newestFirst: false }),
  ]);
  const seen = new Set<string>();
  const items = [...a.items, ...b.items].filter((c) => !seen.has(c.id) && seen.add(c.id) && matchesFilters(c, filters));
  const next = a.cursor || b.cursor ? encodeCursor({ first: a.cursor ?? '', last: b.cursor ?? '' }) : null;
  return { items: items.map(contactSummary), cursor: next };
}

async function listMembers(
  of: { kind: 'list' | 'tag'; id: string },
  query: ContactQuery,
  extra: { assignee?: { type: string; id: string } },
) {
  const index = INDEXES.byMember;
  const partition = `${of.kind.toUpperCase()}#${of.id}`;
  const start = decodeCursor(query.cursor, ['pk', 'sk', index.partitionKey, index.sortKey], (s) => s[index.partitionKey] === partition);
  const page = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index.name,
      KeyConditionExpression: `${index.partitionKey} = :p`,
      ExpressionAttributeValues: { ':p': partition },
      ScanIndexForward: false,
      Limit: query.limit,
      ExclusiveStartKey: start,
    }),
  );
  const ids = (page.Items ?? []).map((item) => String(item.contactId));
  let contacts = await getContacts(ids);
  if (query.tag && query.list) {
    const inList = await getMembershipSet(ids, 'list', query.list);
    contacts = contacts.filter((c) => inList.has(c.id));
  }
  contacts = contacts.filter((c) => matchesFilters(c, { blocked: query.blocked, band: query.band, assignee: extra.assignee }));
  return { items: contacts.map(contactSummary), cursor: encodeCursor(page.LastEvaluatedKey) };
}

async function getMembershipSet(contactIds: string[], kind: 'list' | 'tag', id: string): Promise<Set<string>> {
  const result = new Set<string>();
  await Promise.all(
    contactIds.map(async (contactId) => {
      const key = kind === 'list' ? listMemberKey(contactId, id) : tagMemberKey(contactId, id);
      const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: key }));
      if (Item) result.add(contactId);
    }),
  );
  return result;
}

/**
 * Sends a membership transaction, again when DynamoDB cancels it for a
 * conflict with another transaction on the same items (many contacts added
 * to one list at once): the SDK does not retry a cancelled transaction.
 */
async function sendWithConflictRetry(command: TransactWriteCommand) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ddb().send(command);
    } catch (error) {
      if (attempt >= 6 || !cancellationCodes(error).includes('TransactionConflict')) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** attempt));
    }
  }
}

/** Puts a membership and bumps the list's or tag's count in one transaction; idempotent. */
async function addMembership(contactId: string, of: { kind: 'list' | 'tag'; id: string; name: string }): Promise<void> {
  const memberKey = of.kind === 'list' ? listMemberKey(contactId, of.id) : tagMemberKey(contactId, of.id);
  const parentKey = of.kind === 'list' ? listKey(of.id) : tagKey(of.id);
  const counter = of.kind === 'list' ? 'memberCount' : 'contactCount';
  try {
    await sendWithConflictRetry(
      new TransactWriteCommand({
        TransactItems: [
          { ConditionCheck: { TableName: tableName(), Key: contactKey(contactId), ConditionExpression: 'attribute_exists(pk)' } },
          {
            Put: {
              TableName: tableName(),
              Item: {
                ...memberKey,
                type: of.kind === 'list' ? 'listMember' : 'tagMember',
                contactId,
                [`${of.kind}Id`]: of.id,
                name: of.name,
                addedAt: new Date().toISOString(),
                ...(of.kind === 'list' ? gsi.listMember(of.id, contactId) : gsi.tagMember(of.id, contactId)),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName(),
              Key: parentKey,
              UpdateExpression: 'ADD #c :one',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#c': counter },
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if (reasons?.[0]?.Code === 'ConditionalCheckFailed') throw new NotFoundError('contact');
    if (reasons?.[2]?.Code === 'ConditionalCheckFailed') throw new NotFoundError(of.kind);
    if (reasons?.[1]?.Code === 'ConditionalCheckFailed') return; // already a member
    throw error;
  }
}

/** Deletes a membership and drops the count in one transaction; a missing membership is a no-op. */
export async function removeMembership(contactId: string, of: { kind: 'list' | 'tag'; id: string }): Promise<boolean> {
  const memberKey = of.kind === 'list' ? listMemberKey(contactId, of.id) : tagMemberKey(contactId, of.id);
  const parentKey = of.kind === 'list' ? listKey(of.id) : tagKey(of.id);
  const counter = of.kind === 'list' ? 'memberCount' : 'contactCount';
  try {
    await sendWithConflictRetry(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: tableName(), Key: memberKey, ConditionExpression: 'attribute_exists(pk)' } },
          {
            Update: {
              TableName: tableName(),
              Key: parentKey,
              UpdateExpression: 'ADD #c :minus',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#c': counter },
              ExpressionAttributeValues: { ':minus': -1 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    if (reasons?.[1]?.Code === 'ConditionalCheckFailed') {
      // The list or tag itself is gone: drop the orphaned membership alone.
      await ddb().send(new DeleteCommand({ TableName: tableName(), Key: memberKey }));
      return true;
    }
    throw error;
  }
}

export async function addToList(contactId: string, listId: string): Promise<void> {
  const list = await getList(listId);
  if (!list) throw new NotFoundError('list');
  await addMembership(contactId, { kind: 'list', id: list.id, name: list.name });
}

export async function addTagByName(contactId: string, body: unknown): Promise<{ id: string; name: string }> {
  const name = (body as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name.trim() === '') throw new ValidationError({ name: 'is required' });
  if (name.trim().length > 60) throw new ValidationError({ name: 'must be at most 60 characters' });
  await getContact(contactId);
  const tag = await findOrCreateTag(name);
  await addMembership(contactId, { kind: 'tag', id: tag.id, name: tag.name });
  return { id: tag.id, name: tag.name };
}

export async function addTagById(contactId: string, tagId: string): Promise<void> {
  const tag = await getTag(tagId);
  if (!tag) throw new NotFoundError('tag');
  await addMembership(contactId, { kind: 'tag', id: tag.id, name: tag.name });
}

function parseChannel(channel: string): Channel {
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    throw new ValidationError({ channel: `must be one of ${CHANNELS.join(', ')}` });
  }
  return channel as Channel;
}

export async function setSubscription(contactId: string, channelName: string, status: 'subscribed' | 'unsubscribed') {
  const channel = parseChannel(channelName);
  const now = new Date().toISOString();
  try {
    await ddb().send(
      new TransactWriteCommand({
        TransactItems: [
          { ConditionCheck: { TableName: tableName(), Key: contactKey(contactId), ConditionExpression: 'attribute_exists(pk)' } },
          {
            Update: {
              TableName: tableName(),
              Key: channelKey(contactId, channel),
              UpdateExpression: 'SET #type = :type, contactId = :cid, channel = :ch, #status = :status, updatedAt = :now',
              ExpressionAttributeNames: { '#type': 'type', '#status': 'status' },
              ExpressionAttributeValues: { ':type': 'channel', ':cid': contactId, ':ch': channel, ':status': status, ':now': now },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new NotFoundError('contact');
    throw error;
  }
  return getProfile(contactId);
}

export async function removeChannel(contactId: string, channelName: string): Promise<void> {
  const channel = parseChannel(channelName);
  await getContact(contactId);
  await ddb().send(new DeleteCommand({ TableName: tableName(), Key: channelKey(contactId, channel) }));
}

export async function setBlocked(contactId: string, blocked: boolean) {
  const now = new Date().toISOString();
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: contactKey(contactId),
        ConditionExpression: 'attribute_exists(pk)',
        UpdateExpression: blocked
          ? 'SET blocked = :t, updatedAt = :now, gsi6pk = :gpk, gsi6sk = :gsk ADD version :one'
          : 'SET blocked = :f, updatedAt = :now ADD version :one REMOVE gsi6pk, gsi6sk',
        ExpressionAttributeValues: blocked
          ? { ':t': true, ':now': now, ':one': 1, ':gpk': gsi.blocked(contactId).gsi6pk, ':gsk': gsi.blocked(contactId).gsi6sk }
          : { ':f': false, ':now': now, ':one': 1 },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new NotFoundError('contact');
    throw error;
  }
  return getProfile(contactId);
}

export type DispatchStatus = 'queued' | 'sending_error';

/**
 * Records a dispatch. A blocked contact or an unsubscribed channel gives a
 * `sending_error` dispatch (never a message sent); a queued one goes to the
 * messaging platform.
 */
export async function sendMessage(contactId: string, body: unknown, principal: Principal) {
  const b = (body ?? {}) as { channel?: unknown; text?: unknown };
  const errors: Record<string, string> = {};
  if (typeof b.channel !== 'string' || !(CHANNELS as readonly string[]).includes(b.channel)) errors.channel = `must be one of ${CHANNELS.join(', ')}`;
  if (typeof b.text !== 'string' || b.text.trim() === '') errors.text = 'is required';
  else if (b.text.length > 4096) errors.text = 'must be at most 4096 characters';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) errors.body = 'must be a JSON object';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const channel = b.channel as Channel;
  const items = await queryProfileItems(contactId);
  const profile = items.find((item) => item.sk === 'P#PROFILE');
  if (!profile) throw new NotFoundError('contact');
  const channelState = items.find((item) => item.type === 'channel' && item.channel === channel);
  let status: DispatchStatus = 'queued';
  let reason: 'blocked' | 'unsubscribed' | undefined;
  if (profile.blocked === true) {
    status = 'sending_error';
    reason = 'blocked';
  } else if (channelState?.status === 'unsubscribed') {
    status = 'sending_error';
    reason = 'unsubscribed';
  }
  const id = ulid();
  const at = new Date().toISOString();
  const dispatch = { id, contactId, channel, status, ...(reason ? { reason } : {}), at, text: String(b.text), by: principal.sub };
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: { pk: contactPk(contactId), sk: `H#DSP#${id}`, type: 'dispatch', ...dispatch, ...gsi.byType('DISPATCH', id) },
    }),
  );
  if (status === 'queued') {
    await publishDispatch({ id, contactId, channel, text: String(b.text), to: { phone: profile.phone as string | undefined, email: profile.email as string | undefined }, at });
  }
  return { id, status, ...(reason ? { reason } : {}) };
}

export async function listDispatches(query: { contactId?: string; status?: string; limit: number; cursor?: string }) {
  if (query.status !== undefined && !['queued', 'sending_error', 'sent', 'delivered', 'read', 'clicked', 'replied', 'failed'].includes(query.status)) {
    throw new ValidationError({ status: 'is not a dispatch status' });
  }
  const filter: string[] = [];
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  if (query.status) {
    // The shown status is the delivery status the messaging platform reported, else the dispatch's own.
    // A merge marker passes the filter so that the report sees it (functions/merge/merge-reads.ts).
    filter.push('(deliveryStatus = :status OR (attribute_not_exists(deliveryStatus) AND #status = :status) OR #type = :mergeMarker)');
    names['#status'] = 'status';
    names['#type'] = 'type';
    values[':status'] = query.status;
    values[':mergeMarker'] = MERGE_MARKER_TYPE;
  }
  let input;
  const merging = query.contactId ? mergeOfDispatchCursor(query.cursor, query.contactId) : undefined;
  if (merging) return dispatchesDuringMerge({ ...query, contactId: query.contactId! }, merging, dispatchView);
  if (query.contactId) {
    const start = decodeCursor(query.cursor, ['pk', 'sk'], (s) => s.pk === contactPk(query.contactId!));
    input = {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dsp)',
      ExpressionAttributeValues: { ':pk': contactPk(query.contactId), ':dsp': 'H#DSP#', ...values },
      ExclusiveStartKey: start,
    };
  } else {
    const index = INDEXES.byType;
    const start = decodeCursor(query.cursor, ['pk', 'sk', index.partitionKey, index.sortKey], (s) => s[index.partitionKey] === 'DISPATCH');
    input = {
      IndexName: index.name,
      KeyConditionExpression: `${index.partitionKey} = :t`,
      ExpressionAttributeValues: { ':t': 'DISPATCH', ...values },
      ExclusiveStartKey: start,
    };
  }
  const page = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      ...input,
      ...(filter.length ? { FilterExpression: filter.join(' AND '), ExpressionAttributeNames: names } : {}),
      ScanIndexForward: false,
      Limit: query.limit,
    }),
  );
  const first = page.Items?.[0];
  if (query.contactId && first?.sk === DISPATCH_MERGE_MARKER_SK) return dispatchesDuringMerge({ ...query, contactId: query.contactId }, String(first.mergeId), dispatchView);
  return { items: (page.Items ?? []).map(dispatchView), cursor: encodeCursor(page.LastEvaluatedKey) };
}

const dispatchView = (item: Record<string, unknown>) => ({
  id: item.id,
  contactId: item.contactId,
  channel: item.channel,
  status: item.deliveryStatus ?? item.status,
  ...(item.reason ? { reason: item.reason } : {}),
  at: item.at,
  ...(item.text ? { text: item.text } : {}),
});

/**
 * Deletes a contact and everything that hangs off it. Memberships go first,
 * each in a transaction with its count, so list and tag counts stay exact;
 * then channel states, counters and history; the profile last. A crash
 * midway leaves the profile in place and a repeat finishes the work.
 */
export async function deleteContact(contactId: string): Promise<void> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: contactKey(contactId), ConsistentRead: true }));
  if (!Item || Item.type !== 'contact') throw new NotFoundError('contact');
  await purgeContact(contactId);
}

/**
 * A contact's collection: memberships (they leave with their counts) apart
 * from the other items, profile and derived items excluded (the stream folds
 * the derived ones to zero from the history's removal; keys.ts).
 */
async function collectionOf(contactId: string) {
  const pk = contactPk(contactId);
  let startKey: Record<string, unknown> | undefined;
  let found = false;
  const memberships: { kind: 'list' | 'tag'; id: string }[] = [];
  const rest: { pk: string; sk: string }[] = [];
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: 'pk, sk, #type, listId, tagId',
        ExpressionAttributeNames: { '#type': 'type' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      found = true;
      if (item.type === 'listMember') memberships.push({ kind: 'list', id: String(item.listId) });
      else if (item.type === 'tagMember') memberships.push({ kind: 'tag', id: String(item.tagId) });
      else if (item.sk !== 'P#PROFILE' && !isDerivedContactItem(item.sk)) rest.push({ pk: item.pk, sk: item.sk });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { found, memberships, rest };
}

/** Removes every item of a contact's collection; safe to repeat. Returns false when nothing was there. */
export async function purgeContact(contactId: string): Promise<boolean> {
  const { found, memberships, rest } = await collectionOf(contactId);
  for (const membership of memberships) await removeMembership(contactId, membership);
  await batchDelete(rest);
  await ddb().send(new DeleteCommand({ TableName: tableName(), Key: contactKey(contactId) }));
  return found;
}

/**
 * purgeContact for many contacts at once (bulk delete jobs): collections
 * are read in parallel, each membership still leaves in its own counted
 * transaction, and the other items of all the contacts share BatchWriteItem
 * calls, profiles last. Safe to repeat, like purgeContact.
 */
export async function purgeContacts(contactIds: readonly string[], concurrency = 8): Promise<void> {
  const memberships: { contactId: string; of: { kind: 'list' | 'tag'; id: string } }[] = [];
  const rest: { pk: string; sk: string }[] = [];
  await inParallel(contactIds, concurrency, async (contactId) => {
    const collection = await collectionOf(contactId);
    for (const of of collection.memberships) memberships.push({ contactId, of });
    rest.push(...collection.rest);
  });
  await inParallel(memberships, concurrency, async ({ contactId, of }) => void (await removeMembership(contactId, of)));
  const slices = (keys: { pk: string; sk: string }[]) => Array.from({ length: Math.ceil(keys.length / 25) }, (_, i) => keys.slice(i * 25, i * 25 + 25));
  await inParallel(slices(rest), concurrency, batchDelete);
  await inParallel(slices(contactIds.map(contactKey)), concurrency, batchDelete);
}

export async function batchDelete(keys: { pk: string; sk: string }[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    let requests: Record<string, unknown>[] | undefined = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests && requests.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      if (attempt > 10) throw new Error('batch delete kept returning unprocessed items');
      const result = await ddb().send(new BatchWriteCommand({ RequestItems: { [tableName()]: requests as never } }));
      requests = result.UnprocessedItems?.[tableName()] as Record<string, unknown>[] | undefined;
    }
  }
}
