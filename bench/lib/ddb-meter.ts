import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DdbCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

type Scope = { calls: DdbCall[] };

/**
 * Counts the DynamoDB requests the product makes, with a middleware on the
 * module-scope client (functions/lib/dynamo.ts `ddb()`), so a figure such as
 * "requests per profile read" is observed rather than assumed. `scoped`
 * attributes calls to an async context (one stream batch, say) while other
 * work runs beside it.
 */
export class DdbMeter {
  private readonly attached = new WeakSet<object>();
  private readonly scopes = new AsyncLocalStorage<Scope>();
  private recording: DdbCall[] | undefined;
  total = 0;

  attach(client: DynamoDBDocumentClient): void {
    if (this.attached.has(client)) return;
    this.attached.add(client);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const call = { command: String(context.commandName ?? 'unknown'), input: (args.input ?? {}) as Record<string, unknown> };
        this.total++;
        this.recording?.push(call);
        this.scopes.getStore()?.calls.push(call);
        return next(args);
      },
      { step: 'initialize', name: 'benchDdbMeter', override: true },
    );
  }

  /** Every call made by anyone while `work` runs: use it when nothing else is running. */
  async record<T>(work: () => Promise<T>): Promise<{ result: T; calls: DdbCall[] }> {
    const calls: DdbCall[] = [];
    this.recording = calls;
    try {
      return { result: await work(), calls };
    } finally {
      this.recording = undefined;
    }
  }

  /** The calls made by `work` and what it awaits, even with other traffic running. */
  async scoped<T>(work: () => Promise<T>): Promise<{ result: T; calls: DdbCall[] }> {
    const scope: Scope = { calls: [] };
    const result = await this.scopes.run(scope, work);
    return { result, calls: scope.calls };
  }
}

const plain = (value: unknown): string => {
  if (value && typeof value === 'object' && 'S' in value) return String((value as { S: unknown }).S);
  return String(value);
};
const keyOf = (item: Record<string, unknown> | undefined): string | undefined => (item ? `${plain(item.pk)}|${plain(item.sk)}` : undefined);

/** The item keys a call writes, one entry per item write (a transaction's ConditionCheck writes nothing). */
export function writtenKeys(call: DdbCall): string[] {
  const input = call.input as Record<string, any>;
  const name = call.command.replace(/Command$/, '');
  const keys: (string | undefined)[] = [];
  if (name === 'Put' || name === 'PutItem') keys.push(keyOf(input.Item));
  else if (name === 'Update' || name === 'UpdateItem' || name === 'Delete' || name === 'DeleteItem') keys.push(keyOf(input.Key));
  else if (name === 'BatchWrite' || name === 'BatchWriteItem') {
    for (const requests of Object.values(input.RequestItems ?? {}) as any[][]) {
      for (const r of requests) keys.push(keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key));
    }
  } else if (name === 'TransactWrite' || name === 'TransactWriteItems') {
    for (const t of input.TransactItems ?? []) keys.push(keyOf(t.Put?.Item ?? t.Update?.Key ?? t.Delete?.Key));
  }
  return keys.filter((k): k is string => k !== undefined);
}

export const isRead = (call: DdbCall): boolean => /^(Get|GetItem|BatchGet|BatchGetItem|Query|Scan|TransactGet|TransactGetItems)Command$/.test(call.command);
