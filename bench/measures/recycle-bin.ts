import { withStreamHeld, type BenchStack } from '../lib/bench-stack.js';
import { contactIds, runJob } from '../lib/jobs.js';
import { perSecond, round } from '../lib/stats.js';
import type { Results } from '../report.js';

/**
 * Issue 17: restoring 10,000 contacts from the recycle bin runs at least half
 * as fast as deleting them. An admin deletes the whole base ("delete all",
 * which moves every contact to the bin), then restores the whole bin with
 * one restore-contacts job (`all: true`), each with the stream held so the
 * job has the machine; a list and a tag on some contacts must drop to 0 and
 * come back exactly, and the base must be whole again.
 */
export async function measureDeleteRestore(b: BenchStack, rows: number, sampleIds: readonly string[], log: (line: string) => void): Promise<Results> {
  const admin = b.api.as('admin', 'bench-admin');
  const list = await admin.post('/v1/lists', { name: `Bench bin ${Date.now()}` });
  if (list.status !== 201) throw new Error(`creating a list answered ${list.status}`);
  let tagId: string | undefined;
  for (const id of sampleIds) {
    await admin.put(`/v1/contacts/${id}/lists/${list.body.id}`);
    tagId = (await admin.post(`/v1/contacts/${id}/tags`, { name: 'Bench bin' })).body?.id;
  }
  const counts = async () => [(await admin.get(`/v1/lists/${list.body.id}`)).body?.memberCount, tagId ? (await admin.get(`/v1/tags/${tagId}`)).body?.contactCount : undefined];

  const deleted = await withStreamHeld(b, () => runJob(b, 'admin', { type: 'delete-contacts', all: true }));
  const afterDelete = await counts();
  const leftAfterDelete = (await contactIds(b, 1)).length;
  log(`  delete all: ${deleted.status}, ${deleted.processed}/${rows} to the bin in ${round(deleted.elapsedMs / 1000, 1)} s; list/tag counts ${afterDelete.join('/')}, contacts left ${leftAfterDelete}`);
  if (deleted.status !== 'succeeded') throw new Error(`delete job ${deleted.status}`);

  const restored = await withStreamHeld(b, () => runJob(b, 'admin', { type: 'restore-contacts', all: true }));
  const afterRestore = await counts();
  const back = (await contactIds(b, rows + 1)).length;
  const inBin = (await admin.get('/v1/recycle-bin?limit=1')).body?.items?.length;
  log(`  restore all: ${restored.status}, ${restored.processed}/${rows} in ${round(restored.elapsedMs / 1000, 1)} s; list/tag counts ${afterRestore.join('/')}, contacts ${back}, left in the bin ${inBin}`);
  if (restored.status !== 'succeeded') throw new Error(`restore job ${restored.status}`);

  const exact =
    deleted.processed === rows &&
    restored.processed === rows &&
    afterDelete.every((c) => c === undefined || c === 0) &&
    leftAfterDelete === 0 &&
    afterRestore.every((c) => c === undefined || c === sampleIds.length) &&
    back === rows &&
    inBin === 0;
  const deleteRate = perSecond(deleted.processed, deleted.elapsedMs);
  const restoreRate = perSecond(restored.processed, restored.elapsedMs);
  log(`  restore/delete: ${round(restoreRate / Math.max(deleteRate, 1), 2)} (goal >= 0.5); counts exact: ${exact}`);
  return {
    delete: { rowsPerSecond: deleteRate, rows: deleted.processed, seconds: round(deleted.elapsedMs / 1000, 1) },
    restore: {
      rowsPerSecond: restoreRate,
      rows: restored.processed,
      seconds: round(restored.elapsedMs / 1000, 1),
      ratioToDelete: round(restoreRate / Math.max(deleteRate, 1), 2),
      countsExact: exact ? 1 : 0,
    },
  };
}
