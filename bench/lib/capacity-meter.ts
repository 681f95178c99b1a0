import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Request units consumed, as DynamoDB bills them on demand. */
export interface Units {
  read: number;
  write: number;
  /** Writes refused by their condition (counted in `write` at 1 unit each). */
  failedConditions: number;
}

const READS = /^(GetItem|Get|Query|Scan|BatchGetItem|BatchGet|TransactGetItems|TransactGet)Command$/;
const WRITES = /^(PutItem|Put|UpdateItem|Update|DeleteItem|Delete|BatchWriteItem|BatchWrite|TransactWriteItems|TransactWrite)Command$/;

type Consumed = { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
const unitsOf = (consumed: Consumed) => (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);

/**
 * Asks DynamoDB Local for the capacity every request of the product's
 * client consumes (ReturnConsumedCapacity TOTAL: the table and its indexes)
 * and adds it up. DynamoDB Local computes units as DynamoDB does: a write 1
 * unit per KB (2 in a transaction), a read 1 per 4 KB strongly consistent
 * (half that eventually consistent, 2 in a transaction), an index update
 * its own write. A write whose condition fails answers with an error that
 * carries no figure; DynamoDB bills it 1 write unit (for items up to 1 KB),
 * which is what it is counted as.
 */
export class CapacityMeter {
  units: Units = { read: 0, write: 0, failedConditions: 0 };
  /** Refused conditions by command, to see where they come from. */
  readonly failedByCommand: Record<string, number> = {};

  attach(client: DynamoDBDocumentClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName ?? '');
        const kind = READS.test(command) ? 'read' : WRITES.test(command) ? 'write' : undefined;
        if (!kind) return next(args);
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        try {
          const result = await next(args);
          this.units[kind] += unitsOf((result.output as { ConsumedCapacity?: Consumed }).ConsumedCapacity);
          return result;
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            this.units.failedConditions++;
            this.units.write += 1;
            this.failedByCommand[command] = (this.failedByCommand[command] ?? 0) + 1;
          }
          throw error;
        }
      },
      { step: 'initialize', name: 'benchCapacityMeter', override: true },
    );
  }

  /** The units `work` consumed; nothing else may run meanwhile. */
  async measure(work: () => Promise<unknown>): Promise<Units> {
    const before = { ...this.units };
    await work();
    return { read: this.units.read - before.read, write: this.units.write - before.write, failedConditions: this.units.failedConditions - before.failedConditions };
  }
}
