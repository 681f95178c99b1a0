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

const AV_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);
const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Bytes of one attribute value as DynamoDB sizes it (document or attribute-value form). */
function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).replace(/^-|\.|e.*$/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueBytes(v), 0);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && AV_TYPES.has(entries[0][0])) {
      const [type, inner] = entries[0];
      if (type === 'N') return valueBytes(Number(inner));
      if (type === 'M') return 3 + Object.entries(inner as Record<string, unknown>).reduce((sum, [k, v]) => sum + 1 + utf8(k) + valueBytes(v), 0);
      if (type === 'L') return 3 + (inner as unknown[]).reduce((sum: number, v) => sum + 1 + valueBytes(v), 0);
      return valueBytes(inner);
    }
    return 3 + entries.reduce((sum, [k, v]) => sum + 1 + utf8(k) + valueBytes(v), 0);
  }
  return 0;
}

/** An item's size: its attribute names and values. */
export const itemBytes = (item: Record<string, unknown>) => Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueBytes(value), 0);

/**
 * Write units of a transaction as DynamoDB bills it: 2 per KB of every
 * item, each rounded up on its own (a Put by its new item; an update,
 * delete or condition check by at least 1 KB). DynamoDB Local adds the
 * items' sizes up and doubles the sum, which undercounts a transaction of
 * many small items (100 items of 200 bytes: 40 units instead of 200).
 */
export function transactionWriteUnits(input: { TransactItems?: Record<string, { Item?: Record<string, unknown> }>[] }): number {
  return (input.TransactItems ?? []).reduce((sum, entry) => {
    const item = entry.Put?.Item;
    return sum + 2 * Math.max(1, Math.ceil((item ? itemBytes(item) : 1) / 1024));
  }, 0);
}

/**
 * Asks DynamoDB Local for the capacity every request of the product's
 * client consumes (ReturnConsumedCapacity TOTAL: the table and its indexes)
 * and adds it up. DynamoDB Local computes units as DynamoDB does: a write 1
 * unit per KB (2 in a transaction, which it sizes as a whole where DynamoDB
 * sizes each item: counted here per item, transactionWriteUnits), a read 1 per 4 KB strongly consistent
 * (half that eventually consistent, 2 in a transaction), an index update
 * its own write. A write whose condition fails answers with an error that
 * carries no figure; DynamoDB bills it 1 write unit (for items up to 1 KB),
 * which is what it is counted as.
 */
export class CapacityMeter {
  units: Units = { read: 0, write: 0, failedConditions: 0 };
  /** Units by operation and item kind (`UpdateItem engagement day`...), when `kindOf` is given. */
  readonly byKind: Record<string, Units> = {};

  constructor(private readonly kindOf?: (command: string, input: Record<string, unknown>) => string) {}

  private add(command: string, input: Record<string, unknown>, kind: 'read' | 'write', units: number, failed = false): void {
    this.units[kind] += units;
    if (failed) this.units.failedConditions++;
    if (!this.kindOf) return;
    const entry = (this.byKind[this.kindOf(command, input)] ??= { read: 0, write: 0, failedConditions: 0 });
    entry[kind] += units;
    if (failed) entry.failedConditions++;
  }

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
          const reported = unitsOf((result.output as { ConsumedCapacity?: Consumed }).ConsumedCapacity);
          const transaction = /^TransactWrite(Items)?Command$/.test(command);
          this.add(command, args.input as Record<string, unknown>, kind, transaction ? Math.max(reported, transactionWriteUnits(args.input as never)) : reported);
          return result;
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            this.add(command, args.input as Record<string, unknown>, 'write', 1, true);
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
