import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { operationOf, touchedKeys, type DdbCall } from './ddb-calls.js';

/**
 * What DynamoDB Local never does but DynamoDB does:
 * - `throttle`: ProvisionedThroughputExceededException, nothing applied;
 * - `timeout`: the request never arrives (TimeoutError), nothing applied;
 * - `lost-answer`: the request is applied, then the answer is lost (TimeoutError);
 * - `conflict`: a transaction cancelled by a concurrent one (TransactionCanceledException
 *   with TransactionConflict), or TransactionConflictException for a single-item write;
 * - `crash`: the process dies at this call (an error nothing retries), nothing applied.
 */
export type Fault = 'throttle' | 'timeout' | 'lost-answer' | 'conflict' | 'crash';

export interface FaultRule {
  fault: Fault;
  /** Operation, as in `TransactWrite`, `Update`, `Query` (document and base client names alike). */
  operation: string;
  /** Only calls touching a key that matches (`pk|sk`). */
  key?: RegExp;
  /** Matching calls to let through before breaking any. @default 0 */
  after?: number;
  /** How many matching calls (attempts) to break; then they pass. @default 1 */
  times?: number;
  /**
   * `attempt` (default): inside the SDK's retry loop, so its retry strategy
   * sees the fault on each attempt; `final`: after the SDK gave up, as the
   * caller sees an error its retries did not cure.
   */
  where?: 'attempt' | 'final';
}

export interface InjectedFault {
  fault: Fault;
  operation: string;
  at: number;
}

function errorFor(fault: Fault, call: DdbCall): Error {
  const $metadata = {};
  if (fault === 'throttle') return new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded (injected).', $metadata });
  if (fault === 'conflict') {
    const items = (call.input.TransactItems as unknown[] | undefined) ?? [];
    if (items.length === 0) return new TransactionConflictException({ message: 'Transaction is ongoing for the item (injected).', $metadata });
    return new TransactionCanceledException({
      message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict] (injected)',
      $metadata,
      CancellationReasons: items.map((_, i) => (i === 0 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' })),
    });
  }
  if (fault === 'crash') return new Error('the worker was killed (injected)');
  return Object.assign(new Error('Request timed out (injected)'), { name: 'TimeoutError' });
}

/**
 * Fault injection on a DynamoDB client (the product's `ddb()`): rules
 * break chosen calls, everything else reaches DynamoDB Local untouched.
 * Every injected fault is logged, so a test can prove it ran.
 */
export function faultInjector(client: DynamoDBDocumentClient) {
  const rules: (FaultRule & { skip: number; left: number })[] = [];
  const injected: InjectedFault[] = [];
  const take = (where: 'attempt' | 'final', call: DdbCall) => {
    const operation = operationOf(call.command);
    const rule = rules.find(
      (r) => r.left > 0 && (r.where ?? 'attempt') === where && r.operation === operation && (!r.key || touchedKeys(call).some((k) => r.key!.test(k))),
    );
    if (!rule) return undefined;
    if (rule.skip > 0) {
      rule.skip--;
      return undefined;
    }
    rule.left--;
    injected.push({ fault: rule.fault, operation, at: performance.now() });
    return rule.fault;
  };
  const middleware =
    (where: 'attempt' | 'final') =>
    (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown> }) => {
      const call = { command: context.commandName ?? '', input: args.input };
      const fault = take(where, call);
      if (!fault) return next(args);
      if (fault === 'lost-answer') {
        await next(args);
      }
      throw errorFor(fault, call);
    };
  // Inside the retry loop: after the retry middleware (finalizeRequest, high), before the request is sent.
  client.middlewareStack.add(middleware('attempt') as never, { step: 'finalizeRequest', priority: 'low', name: 'injectFaultPerAttempt', override: true });
  // Outside it: what the caller gets once the SDK has given up.
  client.middlewareStack.add(middleware('final') as never, { step: 'initialize', priority: 'high', name: 'injectFaultFinal', override: true });
  return {
    add(rule: FaultRule) {
      rules.push({ ...rule, skip: rule.after ?? 0, left: rule.times ?? 1 });
    },
    /** Faults injected so far (and forgets them). */
    drainLog(): InjectedFault[] {
      return injected.splice(0);
    },
    /** Rules still armed: a test that expected its faults to fire checks this is empty. */
    pending(): FaultRule[] {
      return rules.filter((r) => r.left > 0);
    },
    clear() {
      rules.length = 0;
      injected.length = 0;
    },
  };
}
export type FaultInjector = ReturnType<typeof faultInjector>;
