import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';

/**
 * A counter item written through the counter store
 * (functions/engagement/counter-store.ts): a contact's engagement day or
 * summary (`CONTACT#<id>` / `P#ENGD#<day>`, `P#ENG#SUMMARY`) or a tenant-wide
 * analytics aggregate (`ANNODE#…`, `ANDAY`, `ANMONTH`, `ANGEO`). Besides its
 * numeric counters it keeps `wm`, the watermarks of the stream lanes that
 * fed it: source -> last applied sequence number and when it moved.
 */
export interface CounterKey {
  pk: string;
  sk: string;
}

export type Watermarks = Record<string, { s: string; t: number }>;

/** What the counter store needs of an item: whether it exists, and its watermarks. */
export interface CounterState {
  exists: boolean;
  wm?: Watermarks;
}

/** The id of a counter key in maps (`pk` and `sk` joined by a NUL). */
export const counterKeyId = (key: CounterKey) => `${key.pk}\u0000${key.sk}`;

const WATERMARKS = { projection: 'pk, sk, #wm', names: { '#wm': 'wm' } };

/** Watermarks of many items (BatchGet, strongly consistent), by counterKeyId; a missing item reads `{ exists: false }`. */
export async function counterStates(keys: readonly CounterKey[]): Promise<Map<string, CounterState>> {
  const states = new Map<string, CounterState>(keys.map((key) => [counterKeyId(key), { exists: false }]));
  const items = await batchGetItems(
    keys.map((k) => ({ pk: k.pk, sk: k.sk })),
    { consistent: true, ...WATERMARKS },
  );
  for (const item of items) states.set(counterKeyId(item as unknown as CounterKey), { exists: true, wm: item.wm as Watermarks | undefined });
  return states;
}

/** One item's watermarks, strongly consistent. */
export async function counterState(key: CounterKey): Promise<CounterState> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true, ProjectionExpression: WATERMARKS.projection, ExpressionAttributeNames: WATERMARKS.names }),
  );
  return Item ? { exists: true, wm: Item.wm as Watermarks | undefined } : { exists: false };
}
