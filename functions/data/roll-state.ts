import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../lib/dynamo.js';
import { rollStateKey } from './keys.js';
import type { Item } from './query.js';

/**
 * Progress of a scheduled roll: `ROLL#<name>` / `#STATE`, one item per roll
 * (the engagement window's last day done, for example). Reconciliation keeps
 * its own, leased, state under the same key shape (./reconcile-run.ts).
 */
export const ROLL_STATE_TYPE = 'rollState';

export { rollStateKey };

/** The roll's saved progress (strongly consistent), if it ever saved any. */
export async function readRollState(name: string): Promise<Item | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: rollStateKey(name), ConsistentRead: true }));
  return Item;
}

/** Replaces the roll's progress with `fields`. */
export async function saveRollState(name: string, fields: Item): Promise<void> {
  await ddb().send(new PutCommand({ TableName: tableName(), Item: { ...rollStateKey(name), type: ROLL_STATE_TYPE, ...fields } }));
}
