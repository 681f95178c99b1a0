import type { LambdaClient } from '@aws-sdk/client-lambda';
import { config } from './config.js';
import { definePort } from './runtime.js';

export interface JobWorkerPayload {
  readonly jobId: string;
  /** The lease token the starter left for the invocation. */
  readonly token?: string;
}

/** Starts the job worker asynchronously: it does not wait for the job. */
export interface JobWorker {
  start(payload: JobWorkerPayload): Promise<void> | void;
}

/** An `Event` invocation of the worker function (which chunks its work and re-invokes itself before its time runs out). */
function lambdaJobWorker(functionName: string): JobWorker {
  let lambda: LambdaClient | undefined;
  return {
    async start(payload) {
      // Loaded on first use: most cold starts of the functions that bundle this never start a job.
      const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
      lambda ??= new LambdaClient({ region: config().region });
      await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    },
  };
}

const jobWorker = definePort('jobWorker', (env) => lambdaJobWorker(env.JOB_WORKER_FUNCTION));

/** Hands a job to the job worker: the worker function in AWS, the local host's in-process worker locally. */
export async function invokeJobWorker(payload: JobWorkerPayload): Promise<void> {
  await jobWorker().start(payload);
}
