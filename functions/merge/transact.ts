import { TransactWriteItemsCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { keyId, rawKey, type ItemKey, type RawItem } from '../data/raw-item.js';
import { RETRY, withBackoff } from '../lib/backoff.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { cancellationCodes } from '../lib/errors.js';

/**
 * The writes of one merge step, executed as one transaction. Counter
 * changes on the same item (two duplicates in one list) are summed first:
 * a transaction may touch each item once. DynamoDB allows 100 actions and
 * 4 MB per transaction; planners stay under both (./merge-plan.ts, ./undo-plan.ts).
 */
export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: RawItem;
}

export type Op =
  | { kind: 'put'; item: RawItem; condition?: Condition }
  | { kind: 'delete'; key: ItemKey; condition?: Condition }
  | { kind: 'check'; key: ItemKey; condition: Condition }
  | { kind: 'add'; key: ItemKey; attribute: string; by: number }
  | { kind: 'update'; key: ItemKey; expression: string; condition?: Condition; names?: Record<string, string>; values?: RawItem };

export const MAX_ACTIONS = 100;

export const notExists: Condition = { expression: 'attribute_not_exists(pk)' };
export const exists: Condition = { expression: 'attribute_exists(pk)' };
/** The item is a contact's profile (not deleted, not merged away). */
export const isContact: Condition = { expression: '#t = :contact', names: { '#t': 'type' }, values: { ':contact': { S: 'contact' } } };

/** Sums `add` ops per item and drops the ones that net to zero. */
export function compact(ops: Op[]): Op[] {
  const adds = new Map<string, Extract<Op, { kind: 'add' }>>();
  const out: Op[] = [];
  for (const op of ops) {
    if (op.kind !== 'add') {
      out.push(op);
      continue;
    }
    const id = `${keyId(op.key)}\u0000${op.attribute}`;
    const seen = adds.get(id);
    if (seen) seen.by += op.by;
    else adds.set(id, { ...op });
  }
  return [...out, ...[...adds.values()].filter((op) => op.by !== 0)];
}

function toAction(op: Op): TransactWriteItem {
  const TableName = tableName();
  const cond = (c?: Condition) =>
    c
      ? {
          ConditionExpression: c.expression,
          ...(c.names && Object.keys(c.names).length ? { ExpressionAttributeNames: c.names } : {}),
          ...(c.values && Object.keys(c.values).length ? { ExpressionAttributeValues: c.values } : {}),
        }
      : {};
  switch (op.kind) {
    case 'put':
      return { Put: { TableName, Item: op.item, ...cond(op.condition) } };
    case 'delete':
      return { Delete: { TableName, Key: rawKey(op.key), ...cond(op.condition) } };
    case 'check':
      return { ConditionCheck: { TableName, Key: rawKey(op.key), ...cond(op.condition) } as never };
    case 'add':
      // The list or tag must still exist: a count is never recreated on a deleted parent.
      return {
        Update: {
          TableName,
          Key: rawKey(op.key),
          UpdateExpression: 'ADD #c :by',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#c': op.attribute },
          ExpressionAttributeValues: { ':by': { N: String(op.by) } },
        },
      };
    case 'update': {
      const names = { ...(op.names ?? {}), ...(op.condition?.names ?? {}) };
      const values = { ...(op.values ?? {}), ...(op.condition?.values ?? {}) };
      return {
        Update: {
          TableName,
          Key: rawKey(op.key),
          UpdateExpression: op.expression,
          ...(op.condition ? { ConditionExpression: op.condition.expression } : {}),
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        },
      };
    }
  }
}

export type TransactOutcome = { ok: true } | { ok: false; codes: (string | undefined)[] };

/**
 * Runs the ops as one transaction. A cancelled transaction (a condition
 * failed, or a concurrent transaction touched an item) is an outcome, not an
 * error: the caller re-reads and plans again.
 */
export async function transact(ops: Op[]): Promise<TransactOutcome> {
  const actions = compact(ops).map(toAction);
  if (actions.length > MAX_ACTIONS) throw new Error(`a merge step planned ${actions.length} actions; the limit is ${MAX_ACTIONS}`);
  try {
    await ddb().send(new TransactWriteItemsCommand({ TransactItems: actions }) as never);
    return { ok: true };
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes.length > 0 || (error as Error).name === 'TransactionConflictException') return { ok: false, codes };
    throw error;
  }
}

/** Actions an op list takes once compacted (planners measure before adding). */
export const actionCount = (ops: Op[]) => compact(ops).length;

type Codes = (string | undefined)[];

/**
 * Plans and commits until a plan commits, through the shared backoff:
 * `plan` reads afresh on every attempt and returns the ops, or `{ done }`
 * to stop without writing. A cancelled transaction is planned again,
 * unless `cancelled` settles it; after `attempts` cancellations the run
 * gives up with `exhausted`'s error.
 */
export async function commitWithRetry<T>(
  plan: (attempt: number) => Promise<Op[] | { done: T }>,
  options: { committed: T; attempts: number; baseMs: number; cancelled?: (codes: Codes) => { done: T } | undefined; exhausted: (codes: Codes) => Error },
): Promise<T> {
  let codes: Codes = [];
  return withBackoff(
    async (attempt) => {
      const ops = await plan(attempt);
      if (!Array.isArray(ops)) return ops.done;
      const outcome = await transact(ops);
      if (outcome.ok) return options.committed;
      codes = outcome.codes;
      const settled = options.cancelled?.(codes);
      return settled ? settled.done : RETRY;
    },
    { attempts: options.attempts, baseMs: options.baseMs, exhausted: () => options.exhausted(codes) },
  );
}
