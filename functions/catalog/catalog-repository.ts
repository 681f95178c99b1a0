import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { fold } from '../../shared/text.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure, NotFoundError } from '../lib/errors.js';
import { catalogKey, CATALOG_TYPES, gsi, listKey, tagKey, tagNameKey } from '../data/keys.js';

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
