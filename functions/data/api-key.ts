import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyItem } from '../engagement/items.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { apiKeyKey, gsi } from './keys.js';
import { queryIndexPage, type Item, type Page } from './query.js';

/**
 * An integration API key (functions/events/api-keys.ts): `APIKEY#<id>` /
 * `#META`, type `apiKey`, in byType under `APIKEY`, newest first. It holds
 * the key's SHA-256 and last characters, never the key.
 */
export const API_KEY_TYPE = 'apiKey';
const API_KEY_PARTITION = 'APIKEY';
export { apiKeyKey };

export type ApiKeyRecord = Omit<ApiKeyItem, 'pk' | 'sk' | 'type' | 'gsi1pk' | 'gsi1sk'>;

export const toApiKeyItem = (key: ApiKeyRecord): ApiKeyItem => ({
  ...apiKeyKey(key.id),
  type: API_KEY_TYPE,
  ...key,
  ...(gsi.byType(API_KEY_PARTITION, key.id) as { gsi1pk: typeof API_KEY_PARTITION; gsi1sk: string }),
});

export function fromApiKeyItem(item: Item): ApiKeyRecord {
  const { pk: _pk, sk: _sk, type: _type, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, ...record } = item as unknown as ApiKeyItem;
  return record;
}

/** Writes a new key; ids are ULIDs, so the condition only guards against a repeat. */
export async function putApiKey(key: ApiKeyRecord): Promise<void> {
  await ddb().send(new PutCommand({ TableName: tableName(), Item: toApiKeyItem(key), ConditionExpression: 'attribute_not_exists(pk)' }));
}

/** The key as it is now (a consistent read: a revocation holds at once); undefined when there is none. */
export async function getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: apiKeyKey(id), ConsistentRead: true }));
  return Item && Item.type === API_KEY_TYPE ? fromApiKeyItem(Item) : undefined;
}

/** A page of keys, newest first, revoked ones included. */
export async function apiKeysPage(page: { limit: number; cursor?: string }): Promise<Page<ApiKeyRecord>> {
  const result = await queryIndexPage({ index: 'byType', partition: API_KEY_PARTITION, limit: page.limit, cursor: page.cursor });
  return { items: result.items.map(fromApiKeyItem), cursor: result.cursor };
}

/** Marks a key revoked (the first revocation's time and author stay); false when there is no such key. */
export async function revokeApiKeyItem(id: string, revokedBy: string, now: string): Promise<boolean> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: apiKeyKey(id),
        ConditionExpression: 'attribute_exists(pk)',
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now), revokedBy = if_not_exists(revokedBy, :by)',
        ExpressionAttributeValues: { ':now': now, ':by': revokedBy },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
