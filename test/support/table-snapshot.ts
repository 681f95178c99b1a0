import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { rawClient } from './raw-client.js';

/** JSON with object keys sorted, so two reads of an unchanged item compare equal. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Set)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  if (value instanceof Set) return `Set${stableJson([...value].sort())}`;
  return JSON.stringify(value) ?? 'undefined';
}

export type TableSnapshot = Map<string, string>;

/**
 * Every item of a test table, keyed by pk|sk, read with a client of the
 * test's own (consistent Scan): "a rejected request writes nothing" is
 * checked by comparing two of these.
 */
export function tableSnapshots(stack: { dynamoEndpoint: string; tableName: string }) {
  const client = rawClient(stack.dynamoEndpoint);
  const take = async (): Promise<TableSnapshot> => {
    const items: TableSnapshot = new Map();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) items.set(`${item.pk}|${item.sk}`, stableJson(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
  return { take, close: () => client.destroy() };
}

/** What changed between two snapshots, for an assertion message (empty when nothing did). */
export function snapshotDiff(before: TableSnapshot, after: TableSnapshot): string[] {
  const changes: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) changes.push(`added ${key}`);
    else if (before.get(key) !== value) changes.push(`changed ${key}: ${before.get(key)} -> ${value}`);
  }
  for (const key of before.keys()) if (!after.has(key)) changes.push(`removed ${key}`);
  return changes;
}
