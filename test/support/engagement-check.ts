import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { contactPk } from '../../functions/data/keys.js';
import { contributionOf } from '../../functions/engagement/contributions.js';
import { rawClient } from './raw-client.js';

type Item = Record<string, any>;
type Counters = Record<string, Record<string, number>>;

const COUNTER = /^(\w+_(sent|delivered|read|clicked|replied|failed|engaged)|bt_\d+_\d+|cv_(all|contact)|sn_\w+|tk_(open|resolved))$/;

/**
 * Reads a contact's engagement counters as stored, and recomputes them from
 * the message and conversation state items stored beside them
 * (functions/engagement/items.ts): the stream must have applied every state
 * change exactly once for the two to agree.
 */
export function engagementCheck(stack: { dynamoEndpoint: string; tableName: string }, timezone: string) {
  const raw = rawClient(stack.dynamoEndpoint);

  async function collection(contactId: string, prefix: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await raw.send(
        new QueryCommand({
          TableName: stack.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': contactPk(contactId), ':p': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Counter item sort key -> field -> value, zeros left out, stored and recomputed. */
  async function counters(contactId: string, skip: (item: Item) => boolean = () => false): Promise<{ stored: Counters; expected: Counters }> {
    const stored: Counters = {};
    for (const item of await collection(contactId, 'P#ENG')) {
      for (const [field, value] of Object.entries(item)) {
        if (COUNTER.test(field) && typeof value === 'number' && value !== 0) (stored[item.sk] ??= {})[field] = value;
      }
    }
    const expected: Counters = {};
    const state = [...(await collection(contactId, 'H#MSG#')), ...(await collection(contactId, 'H#CONV#'))].filter((item) => !skip(item));
    for (const item of state) {
      for (const c of contributionOf(item, timezone)) {
        const fields = (expected[c.key.sk] ??= {});
        for (const [field, amount] of Object.entries(c.add)) fields[field] = (fields[field] ?? 0) + amount;
      }
    }
    for (const [key, fields] of Object.entries(expected)) {
      for (const f of Object.keys(fields)) if (fields[f] === 0) delete fields[f];
      if (Object.keys(fields).length === 0) delete expected[key];
    }
    return { stored, expected };
  }

  return { collection, counters, close: () => raw.destroy() };
}
