import { binContacts, type DeletedBy } from '../../contacts/recycle-bin.js';
import { countSelection, dropSelectionBlob, nextPage, type Selection, type SelectionState } from '../contact-selection.js';
import { jobTuning, type JobType } from '../job-runner.js';

interface DeleteState {
  started?: boolean;
  sel?: SelectionState;
  /** The planned chunk: committed before it is deleted, so a redo deletes (and counts) exactly these. */
  pending?: string[];
  exhausted?: boolean;
}

/**
 * Deletes contacts in chunks: each goes to the recycle bin (functions/contacts/recycle-bin.ts),
 * restorable until it is purged. Each step bins the chunk planned by the
 * step before and plans the next one, so the set counted as processed never
 * depends on what a crashed attempt managed to bin: binning is safe to
 * repeat, and list/tag counts drop once per membership (each in a
 * transaction conditioned on the membership still being counted). A contact
 * already gone counts as processed: the end state the job promises holds.
 */
export const deleteContactsJob: JobType = {
  name: 'delete-contacts',
  cleanup: dropSelectionBlob,
  async step({ job }) {
    const { selection, deletedBy } = job.params as { selection: Selection; deletedBy?: DeletedBy };
    const by = deletedBy ?? { sub: job.createdBy ?? '', name: job.createdBy ?? '' };
    const state = (job.state ?? {}) as DeleteState;
    const pending = state.pending ?? [];
    // The next chunk is read while this one is deleted: it lies past the selection's cursor (or
    // offset), where these deletes cannot move it, and the two share the step's time.
    const [count, page, binned] = await Promise.all([
      state.started ? undefined : countSelection(selection),
      state.exhausted ? undefined : nextPage(selection, state.sel ?? {}, jobTuning.deleteChunk),
      binContacts(pending, by, jobTuning.deleteConcurrency),
    ]);
    const total = count ?? undefined;
    // A contact a running merge held stays in the base: reported, not deleted (delete it again once the merge is done).
    const failed = binned.locked.length;
    const errors = binned.locked.map((id) => ({ message: `${id}: part of a merge or undo that was still running; not deleted` }));
    const processed = pending.length - failed;
    const doneCount = job.processed + processed + job.failed + failed;
    if (!page) return { state: { started: true, exhausted: true }, processed, failed, errors, total: doneCount, done: true };
    const done = page.ids.length === 0 && page.exhausted;
    return {
      state: { started: true, sel: page.state, pending: page.ids, exhausted: page.exhausted },
      processed,
      failed,
      errors,
      total: done ? doneCount : total,
      done,
    };
  },
};
