import { QueryCommand, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { INDEXES, PARTITION_KEY, SORT_KEY, type IndexName } from './table-schema.js';

/**
 * The only module that sends a Query. Entity modules (./*.ts) name their
 * access patterns and page through `queryIndexPage`; whole partitions come
 * back from `queryAll`. Code outside functions/data never builds a key or
 * a QueryCommand (test/unit/data-boundary.test.ts holds that line).
 */
export type Item = Record<string, unknown>;

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface PageQuery {
  /** The index to read; the table itself when left out. */
  readonly index?: IndexName;
  /** Value of the partition key (of the index, or `pk`). */
  readonly partition: string;
  /** `begins_with` on the sort key. */
  readonly sortPrefix?: string;
  /** Sort key within [from, to] (inclusive), instead of a prefix. */
  readonly sortBetween?: readonly [string, string];
  readonly limit: number;
  /** An opaque cursor from an earlier page of the same query. */
  readonly cursor?: string;
  /** Descending sort key (ULIDs: newest first). @default true */
  readonly newestFirst?: boolean;
  readonly filter?: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;
  readonly projection?: string;
  readonly consistent?: boolean;
  /** Further check of a decoded cursor's key (for example the partition's prefix). */
  readonly cursorCheck?: (state: Record<string, string>) => boolean;
  /** Another sender (the analytics panel's request meter). */
  readonly send?: (command: QueryCommand) => Promise<QueryCommandOutput>;
}

function keyAttributes(index: IndexName | undefined): { partitionKey: string; sortKey: string; cursorKeys: string[] } {
  if (!index) return { partitionKey: PARTITION_KEY, sortKey: SORT_KEY, cursorKeys: [PARTITION_KEY, SORT_KEY] };
  const { partitionKey, sortKey } = INDEXES[index];
  return { partitionKey, sortKey, cursorKeys: [PARTITION_KEY, SORT_KEY, partitionKey, sortKey] };
}

/** The QueryCommand input of a page query, its start key decoded (and checked) from the cursor. */
function queryInput(query: PageQuery, startKey: Item | undefined): QueryCommandInput {
  const { partitionKey, sortKey } = keyAttributes(query.index);
  const names: Record<string, string> = { '#qp': partitionKey, ...(query.filter?.ExpressionAttributeNames ?? {}) };
  const values: Item = { ':qp': query.partition, ...(query.filter?.ExpressionAttributeValues ?? {}) };
  let condition = '#qp = :qp';
  if (query.sortPrefix !== undefined) {
    names['#qs'] = sortKey;
    values[':qs'] = query.sortPrefix;
    condition += ' AND begins_with(#qs, :qs)';
  } else if (query.sortBetween) {
    names['#qs'] = sortKey;
    values[':qa'] = query.sortBetween[0];
    values[':qb'] = query.sortBetween[1];
    condition += ' AND #qs BETWEEN :qa AND :qb';
  }
  return {
    TableName: tableName(),
    IndexName: query.index ? INDEXES[query.index].name : undefined,
    KeyConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    FilterExpression: query.filter?.FilterExpression,
    ProjectionExpression: query.projection,
    ConsistentRead: query.consistent,
    ScanIndexForward: query.newestFirst === false,
    Limit: query.limit,
    ExclusiveStartKey: startKey,
  };
}

/**
 * One page of a partition, newest first by default. The cursor is signed
 * and must hold exactly the key attributes of this index, in this
 * partition: a cursor from another query is a field-level 400.
 */
export async function queryIndexPage(query: PageQuery): Promise<Page<Item>> {
  const { partitionKey, cursorKeys } = keyAttributes(query.index);
  const start = decodeCursor(query.cursor, cursorKeys, (s) => s[partitionKey] === query.partition && (query.cursorCheck?.(s) ?? true));
  const send = query.send ?? ((command: QueryCommand) => ddb().send(command));
  const page = await send(new QueryCommand(queryInput(query, start)));
  return { items: page.Items ?? [], cursor: encodeCursor(page.LastEvaluatedKey) };
}

/** Every item of a page query's partition (range, filter), page after page. `limit` is the page size. */
export async function queryAll(query: Omit<PageQuery, 'cursor' | 'limit'> & { limit?: number }): Promise<Item[]> {
  const items: Item[] = [];
  const send = query.send ?? ((command: QueryCommand) => ddb().send(command));
  let startKey: Item | undefined;
  do {
    const page = await send(new QueryCommand(queryInput({ ...query, limit: query.limit ?? PAGE_LIMIT }, startKey)));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * Page size for reading a whole partition. DynamoDB caps a page at 1 MB
 * anyway; DynamoDB Local, without a Limit, reads the rest of the partition
 * for every page, which makes paging 60,000 contacts take 30 s instead of 2.5.
 */
export const PAGE_LIMIT = 2000;

/** Raw page access for callers that keep their own resumable position (jobs walking an index in chunks). */
export async function queryFrom(query: Omit<PageQuery, 'cursor'>, startKey: Item | undefined): Promise<{ items: Item[]; next: Item | undefined }> {
  const send = query.send ?? ((command: QueryCommand) => ddb().send(command));
  const page = await send(new QueryCommand(queryInput(query, startKey)));
  return { items: page.Items ?? [], next: page.LastEvaluatedKey };
}

/** How many items a page query's partition (range, filter) holds, a page of COUNTs at a time; null once `deadline` (epoch ms) has passed. */
export async function queryCount(query: Omit<PageQuery, 'cursor' | 'limit' | 'projection'> & { deadline?: number }): Promise<number | null> {
  const send = query.send ?? ((command: QueryCommand) => ddb().send(command));
  let count = 0;
  let startKey: Item | undefined;
  do {
    if (query.deadline !== undefined && Date.now() > query.deadline) return null;
    const page = await send(new QueryCommand({ ...queryInput({ ...query, limit: PAGE_LIMIT }, startKey), Select: 'COUNT' }));
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}
