import { addTagById, addToList } from '../../contacts/memberships.js';
import { getList, getTag } from '../../data/catalog-entity.js';
import { NotFoundError } from '../../lib/errors.js';
import { countSelection, dropSelectionBlob, nextPage, type Selection, type SelectionState } from '../contact-selection.js';
import { inParallel } from '../../lib/concurrency.js';
import { JobFailure, jobTuning, type JobType } from '../job-runner.js';
import type { JobError } from '../../data/job.js';

interface MembershipState {
  started?: boolean;
  sel?: SelectionState;
}

/**
 * Adds every selected contact to a list or a tag. Each addition is the
 * contact service's own membership transaction (idempotent, count bumped
 * once), so a redone step changes nothing twice and needs no plan.
 */
function membershipJob(name: string, kind: 'list' | 'tag'): JobType {
  return {
    name,
    cleanup: dropSelectionBlob,
    async step({ job }) {
      const params = job.params as { selection: Selection; listId?: string; tagId?: string };
      const targetId = kind === 'list' ? params.listId! : params.tagId!;
      const target = kind === 'list' ? await getList(targetId) : await getTag(targetId);
      if (!target) throw new JobFailure(`The ${kind} was deleted while the job ran.`);
      const state = (job.state ?? {}) as MembershipState;
      const total = state.started ? undefined : ((await countSelection(params.selection)) ?? undefined);
      const page = await nextPage(params.selection, state.sel ?? {}, jobTuning.bulkChunk);
      const errors: JobError[] = [];
      await inParallel(page.ids, jobTuning.concurrency, async (contactId) => {
        try {
          if (kind === 'list') await addToList(contactId, targetId);
          else await addTagById(contactId, targetId);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          errors.push({ message: `${contactId}: ${error.message}` });
        }
      });
      const done = page.exhausted;
      const handled = job.processed + job.failed + page.ids.length;
      return {
        state: { started: true, sel: page.state },
        processed: page.ids.length - errors.length,
        failed: errors.length,
        errors,
        total: done ? handled : total,
        done,
      };
    },
  };
}

export const tagContactsJob = membershipJob('tag-contacts', 'tag');
export const addToListJob = membershipJob('add-to-list', 'list');
