import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DdbCall } from '../../test/support/ddb-calls.js';

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
