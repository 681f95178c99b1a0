import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { fold } from '../../shared/text.js';
import type { CustomFieldDefinition } from '../catalog/custom-fields.js';
import { RETRY, withBackoff } from '../lib/backoff.js';
import { encodeCursor } from '../lib/cursor.js';
import { transact } from '../lib/dynamo-batch.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { cancellationCodes, isConditionFailure, NotFoundError } from '../lib/errors.js';
import { catalogKey, CATALOG_TYPES, customFieldKeyGuard, gsi, listKey, tagKey, tagNameKey } from './keys.js';
import { queryAll, queryIndexPage, type Item, type Page } from './query.js';
import { INDEXES } from './table-schema.js';

/**
 * Catalog entities: lists, tags, companies, departments, custom field
 * definitions and the agents directory. Each is one item (`LIST#<id>`,
 * `TAG#<id>`, `COMPANY#<id>`… / `#META`) whose `type` is its kind, in
 * byType under the kind's partition, newest first. Two guard items keep
 * names unique where requests race: `TAGNAME#<folded name>` (contacts create
 * tags on the fly) and `CFIELDKEY#<key>` (a custom field key).
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
/** The kinds that share the plain `{ id, name }` shape. */
export type CatalogType = keyof typeof CATALOG_TYPES;

export type CatalogItem = { id: string; name: string; createdAt?: string } & Record<string, unknown>;

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

const ITEM_ATTRIBUTES = ['pk', 'sk', 'type', 'gsi1pk', 'gsi1sk'];

export function toCatalogItem(kind: CatalogKind, entity: CatalogItem): Item {
  return { ...CATALOG_KINDS[kind].key(entity.id), type: kind, ...entity, ...gsi.byType(CATALOG_KINDS[kind].partition, entity.id) };
}

export function fromCatalogItem(item: Item): CatalogItem {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!ITEM_ATTRIBUTES.includes(key)) out[key] = value;
  return out as CatalogItem;
}

const tagNameItem = (name: string, tagId: string): Item => ({ ...tagNameKey(fold(name)), type: 'tagName', tagId });
const customFieldKeyItem = (key: string, fieldId: string): Item => ({ ...customFieldKeyGuard(key), type: 'customFieldKey', fieldId });

/* Reads */

async function getItem(key: { pk: string; sk: string }, consistent = false): Promise<Item | undefined> {
  return (await ddb().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: consistent || undefined }))).Item;
}

export async function getList(id: string): Promise<ListRecord | undefined> {
  const item = await getItem(listKey(id));
  return item ? ({ id: item.id, name: item.name, memberCount: item.memberCount ?? 0, createdAt: item.createdAt } as ListRecord) : undefined;
}

export async function getTag(id: string): Promise<TagRecord | undefined> {
  const item = await getItem(tagKey(id));
  return item ? ({ id: item.id, name: item.name, contactCount: item.contactCount ?? 0, createdAt: item.createdAt } as TagRecord) : undefined;
}

export async function findTagByName(name: string): Promise<TagRecord | undefined> {
  const guard = await getItem(tagNameKey(fold(name)), true);
  return guard ? getTag(String(guard.tagId)) : undefined;
}

/** A company, department, custom field definition or agent; a NotFoundError when there is none. */
export async function getCatalogItem(type: CatalogType, id: string): Promise<CatalogItem> {
  const item = await getItem(catalogKey(type, id));
  if (!item) throw new NotFoundError(type);
  return item as CatalogItem;
}

/** The entity as it is now (a consistent read), or undefined. */
export async function getCatalogEntity(kind: CatalogKind, id: string): Promise<CatalogItem | undefined> {
  const item = await getItem(CATALOG_KINDS[kind].key(id), true);
  return item ? fromCatalogItem(item) : undefined;
}

/** Pages read at most for one `?q=` request before answering with what matched so far. */
const MAX_SEARCH_PAGES = 20;

/** The cursor that resumes a page right after `item`. */
const cursorAfter = (item: Item) => encodeCursor({ pk: item.pk, sk: item.sk, gsi1pk: item[INDEXES.byType.partitionKey], gsi1sk: item[INDEXES.byType.sortKey] } as Record<string, string>);

/**
 * A page of one kind, newest first. `q` keeps the entities whose name
 * contains it (case- and accent-insensitive); catalogs are small, so it
 * filters while reading and the cursor resumes right after the last match.
 */
export async function catalogPage(kind: CatalogKind, options: { limit: number; cursor?: string; q?: string }): Promise<Page<CatalogItem>> {
  const wanted = options.q ? fold(options.q) : '';
  const items: CatalogItem[] = [];
  let cursor = options.cursor;
  for (let pages = 0; pages < MAX_SEARCH_PAGES; pages++) {
    const page = await queryIndexPage({ index: 'byType', partition: CATALOG_KINDS[kind].partition, limit: wanted ? 100 : options.limit, cursor });
    for (const [i, item] of page.items.entries()) {
      if (wanted && !fold(String(item.name ?? '')).includes(wanted)) continue;
      items.push(fromCatalogItem(item));
      if (items.length === options.limit) return { items, cursor: i === page.items.length - 1 && !page.cursor ? null : cursorAfter(item) };
    }
    cursor = page.cursor ?? undefined;
    if (!page.cursor || !wanted) break;
  }
  return { items, cursor: cursor ?? null };
}

/** Every entity of a kind, oldest first (companies, departments, field definitions: small catalogs read whole). */
export async function allOfKind(kind: CatalogKind): Promise<CatalogItem[]> {
  return (await queryAll({ index: 'byType', partition: CATALOG_KINDS[kind].partition, newestFirst: false })).map(fromCatalogItem);
}

/** Every custom field definition (a tenant keeps a few dozen at most); stored with `fieldType` beside the item's own `type`. */
export async function listCustomFieldDefinitions(): Promise<CustomFieldDefinition[]> {
  return (await allOfKind('customField')).map((item) => ({
    id: item.id,
    name: item.name,
    key: String(item.key),
    type: item.fieldType as CustomFieldDefinition['type'],
    ...(Array.isArray(item.choices) ? { choices: item.choices as string[] } : {}),
    createdAt: String(item.createdAt ?? ''),
  }));
}

/* Writes */

/** Writes a new entity; `idempotent` lets a redone job step put the same (deterministic) entity again. */
export async function putCatalogEntity(kind: CatalogKind, entity: CatalogItem, options: { idempotent?: boolean } = {}): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: toCatalogItem(kind, entity),
      ...(options.idempotent ? {} : { ConditionExpression: 'attribute_not_exists(pk)' }),
    }),
  );
}

/** Sets attributes of an existing entity (undefined removes one) and returns it as it is now; undefined when there is none. */
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

/* Tags and their name guard */

/**
 * Creates a tag; names are unique case- and accent-insensitively, guarded
 * by a name item written in the same transaction. Returns undefined when
 * the name is taken.
 */
export async function createTag(name: string, now = new Date().toISOString()): Promise<TagRecord | undefined> {
  const tag: TagRecord = { id: ulid(), name: name.trim(), contactCount: 0, createdAt: now };
  try {
    await transact([
      { Put: { TableName: tableName(), Item: tagNameItem(tag.name, tag.id), ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: tableName(), Item: toCatalogItem('tag', tag as unknown as CatalogItem) } },
    ]);
    return tag;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Finds the tag of that name or creates it; safe under concurrent calls with the same name. */
export function findOrCreateTag(name: string): Promise<TagRecord> {
  return withBackoff(async () => (await findTagByName(name)) ?? (await createTag(name)) ?? RETRY, {
    attempts: 3,
    exhausted: () => new Error(`could not find or create tag ${name}`),
  });
}

/** Deletes a tag's name guard, unless another tag holds it (transaction item). */
const releaseTagName = (name: string, tagId: string) => ({
  Delete: { TableName: tableName(), Key: tagNameKey(fold(name)), ConditionExpression: 'attribute_not_exists(pk) OR tagId = :id', ExpressionAttributeValues: { ':id': tagId } },
});

/**
 * Renames a tag from `oldName`: the name guard moves in the same
 * transaction, so two tags never share a name. `nameTaken` when another tag
 * holds the name, `changed` when the tag is gone or no longer has `oldName`.
 */
export async function renameTagItem(id: string, oldName: string, name: string): Promise<'renamed' | 'nameTaken' | 'changed'> {
  const sameGuard = fold(oldName) === fold(name);
  try {
    await transact([
      {
        Update: {
          TableName: tableName(),
          Key: tagKey(id),
          UpdateExpression: 'SET #n = :new',
          ConditionExpression: 'attribute_exists(pk) AND #n = :old',
          ExpressionAttributeNames: { '#n': 'name' },
          ExpressionAttributeValues: { ':new': name, ':old': oldName },
        },
      },
      ...(sameGuard ? [] : [{ Put: { TableName: tableName(), Item: tagNameItem(name, id), ConditionExpression: 'attribute_not_exists(pk)' } }, releaseTagName(oldName, id)]),
    ]);
    return 'renamed';
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes[1] === 'ConditionalCheckFailed') return 'nameTaken';
    if (codes[0] === 'ConditionalCheckFailed') return 'changed';
    throw error;
  }
}

/** Deletes a tag and its name guard at once; false when the tag was gone. */
export async function deleteTagItem(id: string, name: string): Promise<boolean> {
  try {
    await transact([{ Delete: { TableName: tableName(), Key: tagKey(id), ConditionExpression: 'attribute_exists(pk)' } }, releaseTagName(name, id)]);
    return true;
  } catch (error) {
    if (cancellationCodes(error)[0] === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/* Custom field definitions and their key guard */

/** Writes a definition with its key guard; false when another definition holds the key. */
export async function putCustomField(definition: CustomFieldDefinition): Promise<boolean> {
  const { type: fieldType, ...rest } = definition;
  try {
    await transact([
      { Put: { TableName: tableName(), Item: customFieldKeyItem(definition.key, definition.id), ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: tableName(), Item: toCatalogItem('customField', { fieldType, ...rest }) } },
    ]);
    return true;
  } catch (error) {
    if (cancellationCodes(error)[0] === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/** Deletes a definition and its key guard (unless another definition holds the key). */
export async function deleteCustomFieldItem(id: string, key: string): Promise<void> {
  await transact([
    { Delete: { TableName: tableName(), Key: CATALOG_KINDS.customField.key(id) } },
    { Delete: { TableName: tableName(), Key: customFieldKeyGuard(key), ConditionExpression: 'attribute_not_exists(pk) OR fieldId = :id', ExpressionAttributeValues: { ':id': id } } },
  ]);
}
