import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchGetItemCommand, GetItemCommand, QueryCommand as RawQueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { QueryCommand, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { convertToAttr, marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { RETRY, withBackoff } from '../lib/backoff.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { contactIdFromPk, contactPk } from './keys.js';
import { PAGE_LIMIT, queryFrom, type Item } from './query.js';

/**
 * Items as DynamoDB stores them (AttributeValue maps). Merges move and
 * snapshot items in this form so that an undo puts back exactly the bytes
 * it took away: no number formatting, set ordering or empty-map handling
 * goes through a JavaScript round trip.
 */
export type RawItem = Record<string, AttributeValue>;
export interface ItemKey {
  pk: string;
  sk: string;
}

export const str = (item: RawItem | undefined, name: string): string | undefined => item?.[name]?.S;
export const keyOf = (item: RawItem): ItemKey => ({ pk: item.pk.S!, sk: item.sk.S! });
export const rawKey = (key: ItemKey): RawItem => ({ pk: { S: key.pk }, sk: { S: key.sk } });
export const keyId = (key: ItemKey) => `${key.pk}\u0000${key.sk}`;
export const contactOf = (item: RawItem) => contactIdFromPk(item.pk.S!);

/** Plain JavaScript view of a raw item (numbers as numbers; fine for the small counts state items hold). */
export const plain = (item: RawItem): Record<string, unknown> => unmarshall(item as never) as Record<string, unknown>;
export const toRaw = (value: Record<string, unknown>): RawItem =>
  marshall(value, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as RawItem;

/** Index sort keys that hold the owning contact's id (membership items: `gsi9sk = <contactId>`). */
const CONTACT_VALUED = ['contactId', 'gsi1sk', 'gsi2sk', 'gsi3sk', 'gsi6sk', 'gsi7sk', 'gsi8sk', 'gsi9sk'];

/** The same item in another contact's collection: the partition key and every attribute that names the owner follow. */
export function rekey(item: RawItem, from: string, to: string): RawItem {
  const out: RawItem = { ...item, pk: { S: contactPk(to) } };
  for (const name of CONTACT_VALUED) if (item[name]?.S === from) out[name] = { S: to };
  return out;
}

/** Canonical text of a raw value: map keys sorted, sets sorted, so two equal items compare equal. */
export function canonical(value: AttributeValue | RawItem): string {
  const v = value as Record<string, unknown>;
  if ('M' in v && v.M) return `{M:${canonicalMap(v.M as RawItem)}}`;
  if ('L' in v && v.L) return `{L:[${(v.L as AttributeValue[]).map(canonical).join(',')}]}`;
  for (const set of ['SS', 'NS'] as const) if (set in v && v[set]) return `{${set}:${JSON.stringify([...(v[set] as string[])].sort())}}`;
  if ('BS' in v && v.BS) return `{BS:${JSON.stringify((v.BS as Uint8Array[]).map((b) => Buffer.from(b).toString('base64')).sort())}}`;
  if ('B' in v && v.B) return `{B:${Buffer.from(v.B as Uint8Array).toString('base64')}}`;
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  if (keys.length === 1 && ['S', 'N', 'BOOL', 'NULL'].includes(keys[0])) return `{${keys[0]}:${JSON.stringify(v[keys[0]])}}`;
  return canonicalMap(value as RawItem);
}

function canonicalMap(map: RawItem): string {
  return `{${Object.keys(map)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(map[k])}`)
    .join(',')}}`;
}

export const sameItem = (a: RawItem | undefined, b: RawItem | undefined) => (a && b ? canonicalMap(a) === canonicalMap(b) : a === b);

/**
 * Two plain values equal as DynamoDB stores them. DynamoDB does not keep a
 * map's key order, so `{ id, name }` read back may be `{ name, id }`: text
 * comparison (JSON.stringify) would call them different.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  const options = { removeUndefinedValues: true, convertClassInstanceToMap: false };
  return canonical(convertToAttr(a, options)) === canonical(convertToAttr(b, options));
}

/** A generous estimate of an item's stored size (DynamoDB counts names and values in UTF-8). */
export const approxSize = (item: RawItem) => Buffer.byteLength(canonicalMap(item));

/**
 * A condition that holds only while the item is as it was read: attributes
 * that writers of this table change (state versions, timestamps, delivery
 * status, subscription status, renamed list or tag names, the engagement
 * band the stream removes from profiles written before band items) must be
 * unchanged.
 */
export function unchangedCondition(item: RawItem, prefix: string): { expression: string; names: Record<string, string>; values: RawItem } {
  const parts = ['attribute_exists(pk)'];
  const names: Record<string, string> = {};
  const values: RawItem = {};
  ['version', 'updatedAt', 'deliveryStatus', 'status', 'name', 'band'].forEach((attribute, i) => {
    const name = `#${prefix}g${i}`;
    names[name] = attribute;
    if (item[attribute] === undefined) parts.push(`attribute_not_exists(${name})`);
    else {
      values[`:${prefix}g${i}`] = item[attribute];
      parts.push(`${name} = :${prefix}g${i}`);
    }
  });
  return { expression: parts.join(' AND '), names, values };
}

/**
 * Raw items packed into one binary value (JSON of the AttributeValues,
 * binary values as base64, gzipped): lossless, and a snapshot chunk of 48
 * items costs a few KB of write capacity instead of tens, and one
 * attribute to store instead of a deep document.
 */
export function pack(value: unknown): Uint8Array {
  const json = JSON.stringify(value, (_key, v) => (v instanceof Uint8Array ? { $b64: Buffer.from(v).toString('base64') } : v));
  return gzipSync(json);
}

export function unpack<T>(bytes: Uint8Array): T {
  return JSON.parse(gunzipSync(bytes).toString('utf8'), (_key, v) =>
    v && typeof v === 'object' && typeof v.$b64 === 'string' && Object.keys(v).length === 1 ? new Uint8Array(Buffer.from(v.$b64, 'base64')) : v,
  ) as T;
}

// ---------- reads (strongly consistent, raw) ----------

export async function getRaw(key: ItemKey): Promise<RawItem | undefined> {
  const out = (await ddb().send(new GetItemCommand({ TableName: tableName(), Key: rawKey(key), ConsistentRead: true }) as never)) as { Item?: RawItem };
  return out.Item;
}

/** Items at `keys` that exist, by `keyId`: BatchGetItem 100 keys a call, unprocessed keys sent again (9 attempts in all). */
export async function getManyRaw(keys: ItemKey[]): Promise<Map<string, RawItem>> {
  const found = new Map<string, RawItem>();
  const unique = [...new Map(keys.map((k) => [keyId(k), k])).values()];
  for (let i = 0; i < unique.length; i += 100) {
    let pending: RawItem[] | undefined = unique.slice(i, i + 100).map(rawKey);
    await withBackoff(
      async () => {
        const out = (await ddb().send(new BatchGetItemCommand({ RequestItems: { [tableName()]: { Keys: pending!, ConsistentRead: true } } }) as never)) as {
          Responses?: Record<string, RawItem[]>;
          UnprocessedKeys?: Record<string, { Keys?: RawItem[] }>;
        };
        for (const item of out.Responses?.[tableName()] ?? []) found.set(keyId(keyOf(item)), item);
        pending = out.UnprocessedKeys?.[tableName()]?.Keys;
        return pending && pending.length > 0 ? RETRY : undefined;
      },
      { attempts: 9, baseMs: 40, maxMs: 5_000, exhausted: () => new Error('BatchGetItem kept returning unprocessed keys') },
    );
  }
  return found;
}

/**
 * Sends the table's page query as a low-level Query: key values go out
 * marshalled and items come back as stored, so they are never unmarshalled
 * on the way (start keys are the raw ones an earlier page handed back).
 */
const sendRaw = (command: QueryCommand): Promise<QueryCommandOutput> => {
  const input = command.input;
  return ddb().send(new RawQueryCommand({ ...input, ExpressionAttributeValues: marshall(input.ExpressionAttributeValues ?? {}) } as never) as never) as Promise<QueryCommandOutput>;
};

/**
 * Up to `limit` items (all when left out) of partition `pk` whose sort key
 * starts with `prefix` (the whole collection when empty), oldest sort key
 * first, strongly consistent, as stored.
 */
export async function queryRaw(pk: string, prefix: string, limit?: number): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let start: Item | undefined;
  do {
    const page = await queryFrom(
      { partition: pk, sortPrefix: prefix || undefined, newestFirst: false, consistent: true, limit: limit ? limit - items.length : PAGE_LIMIT, send: sendRaw },
      start,
    );
    items.push(...(page.items as unknown as RawItem[]));
    start = page.next;
  } while (start && (!limit || items.length < limit));
  return items;
}
