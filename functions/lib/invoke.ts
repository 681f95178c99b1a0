import type { LambdaClient } from '@aws-sdk/client-lambda';
import { config } from './config.js';

type LocalInvoker = (payload: unknown) => void;

let lambda: LambdaClient | undefined;
let localInvoker: LocalInvoker | undefined;

/**
 * Starts the job worker asynchronously: an `Event` invocation in AWS (the
 * worker chunks its work and re-invokes itself before its time runs out);
 * locally the host registers an in-process invoker.
 */
export async function invokeJobWorker(payload: { jobId: string }): Promise<void> {
  const { jobWorkerFunction, region } = config();
  if (jobWorkerFunction) {
    // Loaded on first use: most cold starts of the functions that bundle this never start a job.
    const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
    lambda ??= new LambdaClient({ region });
    await lambda.send(new InvokeCommand({ FunctionName: jobWorkerFunction, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    return;
  }
  localInvoker?.(payload);
}

export function setLocalJobInvoker(invoker: LocalInvoker | undefined): void {
  localInvoker = invoker;
}
