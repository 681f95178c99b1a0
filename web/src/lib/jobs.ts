/** Background work: polling a job until it ends, and running many small requests with a bounded fan-out. */
import { api } from './api';
import type { Job } from './types';

export const isFinished = (job: Job | null | undefined): boolean => job?.status === 'succeeded' || job?.status === 'failed';

export interface JobWatch {
  stop(): void;
  done: Promise<Job>;
}

/** Polls `GET /v1/jobs/{id}` until the job succeeds or fails; `onUpdate` sees every answer. */
export function watchJob(id: string, onUpdate: (job: Job) => void, intervalMs = 1000): JobWatch {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<Job>((resolve, reject) => {
    let failures = 0;
    const tick = async () => {
      if (stopped) return;
      try {
        const job = await api.jobs.get(id);
        failures = 0;
        if (stopped) return;
        onUpdate(job);
        if (isFinished(job)) return resolve(job);
      } catch (err) {
        // Tolerate a few blips (throttling, a redeploy) before giving up.
        if (++failures >= 5) return reject(err);
      }
      timer = setTimeout(tick, intervalMs);
    };
    void tick();
  });
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    done,
  };
}

export function jobProgress(job: Job | null | undefined): number | null {
  if (!job) return null;
  if (job.status === 'succeeded') return 1;
  const total = job.total ?? 0;
  if (!total) return null;
  return Math.min(1, (job.processed ?? 0) / total);
}

export interface BatchResult {
  done: number;
  failed: number;
  errors: unknown[];
}

/** Runs `work` over `items`, at most `concurrency` at a time, reporting progress after each. */
export async function runBatch<T>(
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
  onProgress: (done: number, total: number) => void,
  concurrency = 6,
): Promise<BatchResult> {
  let index = 0;
  const result: BatchResult = { done: 0, failed: 0, errors: [] };
  const worker = async () => {
    while (index < items.length) {
      const item = items[index++]!;
      try {
        await work(item);
      } catch (err) {
        result.failed++;
        result.errors.push(err);
      }
      result.done++;
      onProgress(result.done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return result;
}
