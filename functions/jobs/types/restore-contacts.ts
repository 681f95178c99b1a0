import { restoreManyFromBin } from '../../contacts/recycle-bin.js';
import { binnedContactsFrom, countBinned } from '../../data/binned-contact.js';
import type { Item } from '../../data/query.js';
import { countSelection, dropSelectionBlob, nextPage, type Selection, type SelectionState } from '../contact-selection.js';
import { jobTuning, type JobType } from '../job-runner.js';

/** The contacts a restore job brings back: the ids named, or every contact in the bin (`all`). */
export type RestoreSelection = Extract<Selection, { kind: 'ids' }> | { kind: 'bin' };

interface RestoreState {
  started?: boolean;
  /** Where the walk of the bin goes on (its listing key), or the id list's offset. */
  from?: Item;
  sel?: SelectionState;
  /** The planned chunk: committed before it is restored, so a redo restores (and counts) exactly these. */
  pending?: string[];
  exhausted?: boolean;
}

/** The next chunk of the selection: ids named, or the bin's next contacts, most recently deleted first. */
async function nextChunk(selection: RestoreSelection, state: RestoreState, size: number): Promise<{ ids: string[]; state: Pick<RestoreState, 'from' | 'sel'>; exhausted: boolean }> {
  if (selection.kind === 'ids') {
    const page = await nextPage(selection, state.sel ?? {}, size);
    return { ids: page.ids, state: { sel: page.state }, exhausted: page.exhausted };
  }
  const page = await binnedContactsFrom(state.from, size, () => true, size);
  return { ids: page.items.map((item) => String(item.id)), state: { from: page.next }, exhausted: page.next === undefined };
}

/**
 * Restores contacts from the recycle bin in chunks, like the delete job
 * (./delete-contacts.ts): each step restores the chunk planned by the step
 * before and plans the next, so a redo restores and counts exactly those;
 * restoring is safe to repeat, and a contact no longer in the bin (restored
 * or purged meanwhile) counts as processed. The bin is walked by its
 * listing, which the restored contacts leave behind the walk's position.
 */
export const restoreContactsJob: JobType = {
  name: 'restore-contacts',
  cleanup: dropSelectionBlob,
  async step({ job }) {
    const selection = (job.params as { selection: RestoreSelection }).selection;
    const state = (job.state ?? {}) as RestoreState;
    const pending = state.pending ?? [];
    const count = state.started ? undefined : selection.kind === 'bin' ? countBinned(Date.now() + 20_000) : countSelection(selection);
    // The next chunk lies past the walk's position, where restoring this one does not move it.
    const [total, page] = await Promise.all([
      count,
      state.exhausted ? undefined : nextChunk(selection, state, jobTuning.deleteChunk),
      restoreManyFromBin(pending, jobTuning.deleteConcurrency),
    ]);
    const processed = pending.length;
    const doneCount = job.processed + processed + job.failed;
    if (!page) return { state: { started: true, exhausted: true }, processed, total: doneCount, done: true };
    const done = page.ids.length === 0 && page.exhausted;
    return {
      state: { started: true, ...page.state, pending: page.ids, exhausted: page.exhausted },
      processed,
      total: done ? doneCount : (total ?? undefined),
      done,
    };
  },
};
