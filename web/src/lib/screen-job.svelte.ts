/**
 * A background job a screen starts for its selection (delete, tag, restore…)
 * and shows in a progress row until it ends: one job at a time per screen.
 */
import { t } from './i18n.svelte';
import { isFinished, watchJob, type JobWatch } from './jobs';
import { toasts } from './toasts.svelte';
import type { Job } from './types';

export interface ShownJob<K extends string> {
  kind: K;
  label: string;
  job: Job;
}

export class ScreenJob<K extends string> {
  current = $state<ShownJob<K> | null>(null);
  starting = $state(false);
  #watch: JobWatch | null = null;

  /** A job is being started or is still running: bulk buttons wait. */
  get busy(): boolean {
    return this.starting || (this.current !== null && !isFinished(this.current.job));
  }

  /**
   * Starts the job `request` creates and follows it; resolves once it is
   * created (true) or refused (false, toasted). A failed job toasts;
   * `onDone` sees a job that did not fail. The row then hides itself after
   * a moment, unless `keep` (an export waits for its download).
   */
  async start(kind: K, label: string, request: () => Promise<Job>, onDone?: (finished: Job) => unknown, keep = false): Promise<boolean> {
    this.starting = true;
    let created: Job;
    try {
      created = await request();
    } catch (err) {
      toasts.error(err);
      return false;
    } finally {
      this.starting = false;
    }
    void this.#follow(kind, label, created, onDone, keep);
    return true;
  }

  async #follow(kind: K, label: string, created: Job, onDone: ((finished: Job) => unknown) | undefined, keep: boolean): Promise<void> {
    this.#watch?.stop();
    this.current = { kind, label, job: created };
    const watch = watchJob(created.id, (job) => (this.current = { kind, label, job }));
    this.#watch = watch;
    try {
      const finished = await watch.done;
      if (finished.status === 'failed') {
        toasts.error(finished.message ? `${t('job.failedToast')} ${finished.message}` : t('job.failedToast'));
        return;
      }
      await onDone?.(finished);
      if (!keep) {
        setTimeout(() => {
          if (this.#watch === watch) this.current = null;
        }, 4000);
      }
    } catch (err) {
      toasts.error(err);
    }
  }

  dismiss(): void {
    this.current = null;
  }

  stop(): void {
    this.#watch?.stop();
  }
}
