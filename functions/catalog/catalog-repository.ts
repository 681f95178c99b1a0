import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { fold } from '../../shared/text.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure, NotFoundError } from '../lib/errors.js';
import { catalogKey, CATALOG_TYPES, gsi, listKey, tagKey, tagNameKey } from '../data/keys.js';
import { INDEXES } from '../data/table-schema.js';
import type { CustomFieldDefinition } from './custom-fields.js';

export interface ListRecord {
  id: string;
  name: string;
  memberCount: number;
  createdAt: string;
}

export interface TagRecord {
  id: string;
  name: string;
  contactCount: number;
  createdAt: string;
}

export type CatalogType = keyof typeof CATALOG_TYPES;

export async function getList(id: string): Promise<ListRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: listKey(id) }));
  return Item ? { id: Item.id, name: Item.name, memberCount: Item.memberCount ?? 0, createdAt: Item.createdAt } : undefined;
}

export async function getTag(id: string): Promise<TagRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: tagKey(id) }));
  return Item ? { id: Item.id, name: Item.name, contactCount: Item.contactCount ?? 0, createdAt: Item.createdAt } : undefined;
}

export async function findTagByName(name: string): Promise<TagRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: tagNameKey(fold(name)), ConsistentRead: true }));
  return Item ? getTag(String(Item.tagId)) : undefined;
}

/**
 * Creates a tag; names are unique case- and accent-insensitively, guarded
 * by a name item written in the same transaction. Returns undefined when
 * the name is taken.
 */
export async function createTag(name: string, now = new Date().toISOString()): Promise<TagRecord | undefined> {
  const tag: TagRecord = { id: ulid(), name: name.trim(), contactCount: 0, createdAt: now };
  try {
    await ddb().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: { ...tagNameKey(fold(tag.name)), type: 'tagName', tagId: tag.id },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: tableName(), Item: { ...tagKey(tag.id), type: 'tag', ...tag, ...gsi.byType('TAG', tag.id) } } },
        ],
      }),
    );
    return tag;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Finds the tag of that name or creates it; safe under concurrent calls with the same name. */
export async function findOrCreateTag(name: string): Promise<TagRecord> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await findTagByName(name);
    if (existing) return existing;
    const created = await createTag(name);
    if (created) return created;
  }
  throw new Error(`could not find or create tag ${name}`);
}

export async function getCatalogItem(type: CatalogType, id: string): Promise<{ id: string; name: string } & Record<string, unknown>> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: catalogKey(type, id) }));
  if (!Item) throw new NotFoundError(type);
  return Item as { id: string; name: string };
}

/**
 * Every catalog entity kind, with its key and byType partition. Items keep
 * the shapes the seed and the contact service already use.
 */
export const CATALOG_KINDS = {
  list: { partition: 'LIST', key: listKey },
  tag: { partition: 'TAG', key: tagKey },
  company: { partition: 'COMPANY', key: (id: string) => catalogKey('company', id) },
  department: { partition: 'DEPARTMENT', key: (id: string) => catalogKey('department', id) },
  customField: { partition: 'CFIELD', key: (id: string) => catalogKey('customField', id) },
  agent: { partition: 'AGENT', key: (id: string) => catalogKey('agent', id) },
} as const;
export type CatalogKind = keyof typeof CATALOG_KINDS;

export type CatalogItem = { id: string; name: string; createdAt?: string } & Record<string, unknown>;

const ITEM_ATTRIBUTES = ['pk', 'sk', 'type', 'gsi1pk', 'gsi1sk'];

function fromCatalogItem(item: Record<string, unknown>): CatalogItem {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!ITEM_ATTRIBUTES.includes(key)) out[key] = value;
  return out as CatalogItem;
}

/** Pages scanned at most for one `?q=` request before answering with what matched so far. */
const MAX_SEARCH_PAGES = 20;

/**
 * A page of one kind, newest first. `q` keeps the entities whose name
 * contains it (case- and accent-insensitive); catalogs are small, so it
 * filters while reading and the cursor resumes right after the last match.
 */
export async function listCatalogPage(kind: CatalogKind, options: { limit: number; cursor?: string; q?: string }): Promise<{ items: CatalogItem[]; cursor: string | null }> {
  const index = INDEXES.byType;
  const partition = CATALOG_KINDS[kind].partition;
  let startKey: Record<string, unknown> | undefined = decodeCursor(options.cursor, ['pk', 'sk', index.partitionKey, index.sortKey], (s) => s[index.partitionKey] === partition);
  const wanted = options.q ? fold(options.q) : '';
  const items: CatalogItem[] = [];
  for (let pages = 0; pages < MAX_SEARCH_PAGES; pages++) {
    const page = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: index.name,
        KeyConditionExpression: `${index.partitionKey} = :p`,
        ExpressionAttributeValues: { ':p': partition },
        ScanIndexForward: false,
        Limit: wanted ? 100 : options.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (wanted && !fold(String(item.name ?? '')).includes(wanted)) continue;
      items.push(fromCatalogItem(item));
      if (items.length === options.limit) {
        const last = { pk: item.pk, sk: item.sk, [index.partitionKey]: item[index.partitionKey], [index.sortKey]: item[index.sortKey] };
        const isLastOfPage = item === page.Items![page.Items!.length - 1];
        return { items, cursor: isLastOfPage && !page.LastEvaluatedKey ? null : encodeCursor(last) };
      }
    }
    startKey = page.LastEvaluatedKey;
    if (!startKey || !wanted) break;
  }
  return { items, cursor: encodeCursor(startKey) };
}

/** Every entity of a kind (companies, departments, field definitions: small catalogs read whole). */
export async function listAllCatalog(kind: CatalogKind): Promise<CatalogItem[]> {
  const items: CatalogItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: INDEXES.byType.name,
        KeyConditionExpression: `${INDEXES.byType.partitionKey} = :p`,
        ExpressionAttributeValues: { ':p': CATALOG_KINDS[kind].partition },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []).map(fromCatalogItem));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export async function getCatalogEntity(kind: CatalogKind, id: string): Promise<CatalogItem | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: CATALOG_KINDS[kind].key(id), ConsistentRead: true }));
  return Item ? fromCatalogItem(Item) : undefined;
}

/** Writes a new entity; `idempotent` lets a redone job step put the same (deterministic) entity again. */
export async function putCatalogEntity(kind: CatalogKind, entity: CatalogItem, options: { idempotent?: boolean } = {}): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...CATALOG_KINDS[kind].key(entity.id), type: kind, ...entity, ...gsi.byType(CATALOG_KINDS[kind].partition, entity.id) },
      ...(options.idempotent ? {} : { ConditionExpression: 'attribute_not_exists(pk)' }),
    }),
  );
}

/** Sets attributes of an existing entity and returns it as it is now; undefined when there is none. */
export async function updateCatalogEntity(kind: CatalogKind, id: string, changes: Record<string, unknown>): Promise<CatalogItem | undefined> {
  const set: string[] = [];
  const remove: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  Object.entries(changes).forEach(([attribute, value], i) => {
    names[`#a${i}`] = attribute;
    if (value === undefined) remove.push(`#a${i}`);
    else {
      set.push(`#a${i} = :a${i}`);
      values[`:a${i}`] = value;
    }
  });
  try {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: CATALOG_KINDS[kind].key(id),
        UpdateExpression: `${set.length ? `SET ${set.join(', ')}` : ''} ${remove.length ? `REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: set.length ? values : undefined,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? fromCatalogItem(out.Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Deletes an entity; false when there was none. */
export async function deleteCatalogEntity(kind: CatalogKind, id: string): Promise<boolean> {
  try {
    await ddb().send(new DeleteCommand({ TableName: tableName(), Key: CATALOG_KINDS[kind].key(id), ConditionExpression: 'attribute_exists(pk)' }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every custom field definition (a tenant keeps a few dozen at most); stored with `fieldType` beside the item's own `type`. */
export async function listCustomFieldDefinitions(): Promise<CustomFieldDefinition[]> {
  return (await listAllCatalog('customField')).map((item) => ({
    id: item.id,
    name: item.name,
    key: String(item.key),
    type: item.fieldType as CustomFieldDefinition['type'],
    ...(Array.isArray(item.choices) ? { choices: item.choices as string[] } : {}),
    createdAt: String(item.createdAt ?? ''),
  }));
}
