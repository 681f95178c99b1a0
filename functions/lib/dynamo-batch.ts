import { BatchWriteCommand, TransactWriteCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { RETRY, withBackoff } from './backoff.js';
import { ddb, tableName } from './dynamo.js';
import { cancellationCodes, isConditionFailure } from './errors.js';

async function writeBatch(batch: Record<string, unknown>[]): Promise<void> {
  let pending: Record<string, unknown>[] = batch;
  await withBackoff(
    async () => {
      const out = await ddb().send(new BatchWriteCommand({ RequestItems: { [tableName()]: pending as never } }));
      pending = (out.UnprocessedItems?.[tableName()] as Record<string, unknown>[] | undefined) ?? [];
      return pending.length > 0 ? RETRY : undefined;
    },
    { attempts: 14, baseMs: 50, maxMs: 2000, exhausted: () => new Error('batch write kept returning unprocessed items') },
  );
}

/**
 * Streams put/delete requests into BatchWriteItem calls: 25 per call (the
 * API's limit), at most `concurrency` calls in flight, unprocessed items
 * sent again with backoff (DynamoDB returns them under throttling instead
 * of failing). `add` waits while every call is busy, so a producer (the
 * import validating rows) runs alongside the writes instead of before them.
 */
export class BatchWriter {
  private readonly pending: Record<string, unknown>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly concurrency: number) {}

  async add(requests: readonly Record<string, unknown>[]): Promise<void> {
    this.pending.push(...requests);
    await this.pump(false);
  }

  /** Sends what is left and waits for every call; throws the first failure. */
  async flush(): Promise<void> {
    await this.pump(true);
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }

  private async pump(all: boolean): Promise<void> {
    while (this.pending.length >= 25 || (all && this.pending.length > 0)) {
      if (this.failure) throw this.failure;
      if (this.inFlight.size >= this.concurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      const call: Promise<void> = writeBatch(this.pending.splice(0, 25))
        .catch((error) => void (this.failure ??= error))
        .finally(() => this.inFlight.delete(call));
      this.inFlight.add(call);
    }
  }
}

/** Every request through a BatchWriter, then waits for all of them. */
export async function batchWriteAll(requests: readonly Record<string, unknown>[], concurrency = 1): Promise<void> {
  const writer = new BatchWriter(concurrency);
  await writer.add(requests);
  await writer.flush();
}

/**
 * A transaction, sent again when DynamoDB cancels it for a conflict with
 * another transaction on the same item (a job's counter commit racing
 * membership changes of the same list); the SDK does not retry those.
 */
export async function transact(items: NonNullable<TransactWriteCommand['input']['TransactItems']>): Promise<void> {
  await withBackoff(
    async () => {
      await ddb().send(new TransactWriteCommand({ TransactItems: items }));
    },
    { attempts: 7, baseMs: 20, retryable: (error) => cancellationCodes(error).includes('TransactionConflict') },
  );
}

/** A conditional update on the table; false when its condition did not hold (nothing changed). */
export async function tryUpdate(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
  try {
    await ddb().send(new UpdateCommand({ TableName: tableName(), ...input }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
