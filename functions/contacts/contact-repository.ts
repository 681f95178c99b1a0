import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Assignee, Channel, CustomFieldValue, Origin } from '../../shared/contact-schema.js';
import { fold } from '../../shared/text.js';
import { batchGetItems, ddb, queryAll, tableName } from '../lib/dynamo.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { INDEXES, type IndexName } from '../data/table-schema.js';
import { contactKey, contactPk, gsi, PROFILE_PREFIX } from '../data/keys.js';

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
  band?: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
}

export type ContactItem = ContactRecord & Record<string, unknown> & { pk: string; sk: string; type: 'contact' };

/** Index attributes that follow from the contact's fields. */
export function contactIndexAttributes(c: ContactRecord): Record<string, string> {
  const attributes: Record<string, string> = { ...gsi.byType('CONTACT', c.id) };
  if (c.phone) Object.assign(attributes, gsi.byPhone(c.phone, c.id));
  if (c.email) Object.assign(attributes, gsi.byEmail(c.email, c.id));
  const full = fold([c.firstName, c.lastName].filter(Boolean).join(' '));
  if (full) Object.assign(attributes, gsi.byFirstName(full, c.id));
  if (c.lastName && fold(c.lastName)) Object.assign(attributes, gsi.byLastName(fold(c.lastName), c.id));
  if (c.blocked) Object.assign(attributes, gsi.blocked(c.id));
  if (c.band) Object.assign(attributes, gsi.band(c.band, c.id));
  if (c.assignee) Object.assign(attributes, gsi.assignee(c.assignee.type, c.assignee.id, c.id));
  return attributes;
}

export function toContactItem(c: ContactRecord): ContactItem {
  return { ...contactKey(c.id), type: 'contact', ...stripUndefined(c), ...contactIndexAttributes(c) } as ContactItem;
}

const RECORD_FIELDS = [
  'id', 'firstName', 'lastName', 'phone', 'email', 'country', 'language', 'origin', 'company', 'department',
  'assignee', 'customFields', 'blocked', 'band', 'createdAt', 'updatedAt', 'createdBy',
] as const;

export function fromContactItem(item: Record<string, unknown>): ContactRecord {
  const record: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  record.customFields ??= {};
  record.blocked = item.blocked === true;
  return record as unknown as ContactRecord;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/** The public JSON of a contact in lists and pages. */
export function contactSummary(c: ContactRecord) {
  return {
    id: c.id,
    firstName: c.firstName ?? null,
    lastName: c.lastName ?? null,
    phone: c.phone ?? null,
    email: c.email ?? null,
    country: c.country ?? null,
    language: c.language ?? null,
    origin: c.origin,
    companyId: c.company?.id ?? null,
    departmentId: c.department?.id ?? null,
    company: c.company ?? null,
    department: c.department ?? null,
    assignee: c.assignee ?? null,
    customFields: c.customFields,
    blocked: c.blocked,
    band: c.band ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** Profile read: the contact's whole profile item collection in one Query. */
export async function queryProfileItems(id: string): Promise<Record<string, unknown>[]> {
  return queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': contactPk(id), ':p': PROFILE_PREFIX } });
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

/** One Query on an index of profile items; the cursor is checked against the index's key attributes. */
export async function queryContactIndex(options: {
  index: IndexName;
  partition: string;
  sortPrefix?: string;
  limit: number;
  cursor?: string;
  newestFirst?: boolean;
  filter?: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;
}): Promise<Page<ContactRecord>> {
  const index = INDEXES[options.index];
  const cursorKeys = ['pk', 'sk', index.partitionKey, index.sortKey];
  const start = decodeCursor(options.cursor, cursorKeys, (s) => s[index.partitionKey] === options.partition);
  const values: Record<string, unknown> = { ':p': options.partition, ...(options.filter?.ExpressionAttributeValues ?? {}) };
  let condition = `${index.partitionKey} = :p`;
  if (options.sortPrefix) {
    condition += ` AND begins_with(${index.sortKey}, :s)`;
    values[':s'] = options.sortPrefix;
  }
  const page = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index.name,
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
      ExpressionAttributeNames: options.filter?.ExpressionAttributeNames,
      FilterExpression: options.filter?.FilterExpression,
      ScanIndexForward: options.newestFirst === false,
      Limit: options.limit,
      ExclusiveStartKey: start,
    }),
  );
  const items = (page.Items ?? []).filter((item) => item.type === 'contact').map(fromContactItem);
  return { items, cursor: encodeCursor(page.LastEvaluatedKey) };
}

/** Profiles by id (BatchGet), in the order given; missing ones are skipped. */
export async function getContacts(ids: string[]): Promise<ContactRecord[]> {
  const found = new Map((await batchGetItems(ids.map(contactKey))).map((item) => [String(item.id), fromContactItem(item)]));
  return ids.map((id) => found.get(id)).filter((c): c is ContactRecord => !!c);
}

export type ChannelState = { status: 'subscribed' | 'unsubscribed'; connectedAt?: string; updatedAt?: string };
export type ChannelMap = Partial<Record<Channel, ChannelState>>;
