import { toasts } from './toasts.svelte';

/**
 * One action at a time on a card or page: controls bind `disabled={busy.on}`
 * while `busy.run(action)` runs; a failure becomes an error toast.
 */
export class Busy {
  on = $state(false);

  async run(action: () => Promise<unknown>): Promise<void> {
    this.on = true;
    try {
      await action();
    } catch (err) {
      toasts.error(err);
    } finally {
      this.on = false;
    }
  }
}
