import type { Context } from 'aws-lambda';
import { FileBlobStore } from '../../functions/lib/blob-store.js';
import type { JobWorkerPayload } from '../../functions/lib/invoke.js';
import type { OutboundDispatch } from '../../functions/lib/outbound.js';
import { installedLocalRuntime, useLocalRuntime, type LocalRuntime } from '../../functions/lib/runtime.js';
import type { UserDirectory } from '../../functions/lib/user-directory.js';

type WorkerHandler = (event: JobWorkerPayload, context: Context) => Promise<unknown>;

export interface LocalRuntimeOptions {
  /** The job worker's handler (functions/jobs/run-job-worker.ts), run in this process. */
  readonly worker: WorkerHandler;
  /** A Lambda context for one worker invocation. */
  readonly workerContext: () => Context;
  /** Where imports and exports are kept. */
  readonly blobDir: string;
  /** Sink for queued dispatches (the channel simulator); without one, dispatches are queued and go nowhere. */
  readonly outbound?: (dispatch: OutboundDispatch) => Promise<void>;
  /** The users the host signs in. */
  readonly users: UserDirectory;
  readonly log: (line: string) => void;
}

export interface LocalComposition {
  readonly runtime: LocalRuntime;
  /** Waits for the job worker invocations started so far (and those they start). */
  idleJobs(): Promise<void>;
  /** Uninstalls the composition, once the jobs are idle. */
  close(): Promise<void>;
}

/**
 * The local composition of the runtime's ports (functions/lib/runtime.ts),
 * the counterpart of what the CDK wires in AWS: the job worker runs in this
 * process, one invocation per hand-over like an asynchronous Lambda invoke;
 * blobs are files; dispatches go to the host's sink; staff names are the
 * host's users. Installed for the handlers of this process (RUNTIME=local).
 */
export function composeLocalRuntime(options: LocalRuntimeOptions): LocalComposition {
  const running = new Set<Promise<unknown>>();
  const runtime: LocalRuntime = {
    jobWorker: {
      start(payload) {
        const run = options
          .worker(payload, options.workerContext())
          .catch((error) => options.log(`job worker: ${(error as Error).message}`))
          .finally(() => running.delete(run));
        running.add(run);
      },
    },
    dispatches: { publish: options.outbound ?? (async () => undefined) },
    blobs: new FileBlobStore(options.blobDir),
    userDirectory: options.users,
  };
  const idleJobs = async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };
  useLocalRuntime(runtime);
  return {
    runtime,
    idleJobs,
    close: async () => {
      await idleJobs();
      if (installedLocalRuntime() === runtime) useLocalRuntime(undefined);
    },
  };
}
