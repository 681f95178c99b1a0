/** Background work: polling a job until it ends, and reading its progress. */
import { api, ApiError } from './api';
import type { Job } from './types';

export const isFinished = (job: Job | null | undefined): boolean => job?.status === 'succeeded' || job?.status === 'failed' || job?.status === 'cancelled';

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
        // A job that is gone or not ours will not come back; a few blips (throttling, a redeploy) are tolerated.
        const final = err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429;
        if (final || ++failures >= 5) return reject(err);
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

/** Items the job has been through, with or without error. */
export const jobHandled = (job: Job): number => (job.processed ?? 0) + (job.failed ?? 0);

/** 0..1 for the progress bar; null (indeterminate) while the total is unknown. A finished job is full. */
export function jobProgress(job: Job | null | undefined): number | null {
  if (!job) return null;
  if (job.status === 'succeeded' || job.status === 'failed') return 1;
  const total = job.total ?? 0;
  if (!total) return null;
  return Math.min(1, jobHandled(job) / total);
}

/** The name an export is saved under (the API names its file the same way). */
export const exportFileName = (job: Job): string => `contacts-${job.createdAt?.slice(0, 10) ?? job.id}.csv`;
