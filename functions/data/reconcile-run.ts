import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, tryUpdate } from '../lib/dynamo-batch.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { reconcileRunKey, reconcileStateKey, reconcileSumKey, reconcileSumPrefix } from './keys.js';
import { queryAll, type Item } from './query.js';

/**
 * Scheduled reconciliation's own items (functions/reconcile/; key shapes in
 * keys.ts):
 *   the run state      `ROLL#reconcile` / `#STATE`: phase, scan cursors, counts, lease
 *   a run's summary    `RUN#<runId>` beside it, kept 400 days
 *   a chunk's totals   `SUM#<runId>#<chunk>#<part>`: its share of the tenant aggregates (TTL)
 */
export const RECONCILE_STATE_TYPE = 'reconcileState';
export const RECONCILE_RUN_TYPE = 'reconcileRun';
export const RECONCILE_SUM_TYPE = 'reconcileSum';
/** How long a finished run's summary is kept. */
const RUN_KEPT_SECONDS = 400 * 86_400;

export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** The run state (strongly consistent), if a run ever started. */
export async function readReconcileState(): Promise<Item | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: reconcileStateKey(), ConsistentRead: true }));
  return Item;
}

/** Replaces the run state when `condition` holds; false when it did not. */
export async function putReconcileState(state: Item, condition: Condition): Promise<boolean> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...state, ...reconcileStateKey(), type: RECONCILE_STATE_TYPE },
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Removes the lease `token` holds from the run state, leaving the progress as saved; false when another holds it. */
export const releaseReconcileLease = (token: string): Promise<boolean> =>
  tryUpdate({
    Key: reconcileStateKey(),
    UpdateExpression: 'REMOVE #lease',
    ConditionExpression: '#lease.#token = :t',
    ExpressionAttributeNames: { '#lease': 'lease', '#token': 'token' },
    ExpressionAttributeValues: { ':t': token },
  });

/** Keeps a finished run's summary. */
export async function putReconcileRun(summary: Item & { runId: string }, now: Date): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...reconcileRunKey(summary.runId), type: RECONCILE_RUN_TYPE, ...summary, expiresAt: Math.floor(now.getTime() / 1000) + RUN_KEPT_SECONDS },
    }),
  );
}

/** Saves one part of a chunk's totals (overwriting the same part of an earlier attempt). */
export async function putReconcileSum(runId: string, chunk: number, part: number, fields: Item): Promise<void> {
  await ddb().send(new PutCommand({ TableName: tableName(), Item: { ...reconcileSumKey(runId, chunk, part), type: RECONCILE_SUM_TYPE, runId, chunk, part, ...fields } }));
}

/** Every part of every chunk's totals saved for a run (strongly consistent). */
export const reconcileSums = (runId: string): Promise<Item[]> =>
  queryAll({ partition: reconcileStateKey().pk, sortPrefix: reconcileSumPrefix(runId), consistent: true, newestFirst: false });

/** Deletes a run's saved totals (they also expire). */
export async function deleteReconcileSums(runId: string): Promise<void> {
  const items = await queryAll({ partition: reconcileStateKey().pk, sortPrefix: reconcileSumPrefix(runId), projection: 'pk, sk', newestFirst: false });
  await batchWriteAll(items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })));
}
