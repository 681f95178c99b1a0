import { DRAIN_MS, type BenchStack } from '../lib/bench-stack.js';
import { benchContact, deleteRequests, putRequests, rawBaselineItem, rawBatchWrite } from '../lib/contacts.js';
import { benchCsv, runJob } from '../lib/jobs.js';
import { perSecond, round } from '../lib/stats.js';

/** Side-by-side loops tried for the raw baseline; the best is the baseline (the import job writes with jobTuning.concurrency = 8). */
export const RAW_LOOPS = [4, 8, 16];

/** Runs `work` with the stream held, timed; the backlog is processed afterwards, off the clock. */
async function timedWithStreamPaused<T>(b: BenchStack, work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  await b.stack.drain(DRAIN_MS);
  b.pauseStream();
  const t0 = performance.now();
  try {
    const result = await work();
    return { result, ms: performance.now() - t0 };
  } finally {
    b.resumeStream();
  }
}

/**
 * The raw BatchWriteItem baseline: items of a contact's exact shape and
 * index fan-out (rawBaselineItem), written and then deleted with the
 * bench's own client in the same table the import job writes to, at a few
 * degrees of parallelism; the fastest is the baseline.
 */
export async function measureRawBatchWrite(b: BenchStack, items: number, log: (line: string) => void) {
  const runs: { loops: number; writePerSecond: number; deletePerSecond: number }[] = [];
  for (const [k, loops] of RAW_LOOPS.entries()) {
    const records = Array.from({ length: Math.round(items / RAW_LOOPS.length) }, (_, i) => rawBaselineItem(benchContact(k * items + i, 3)));
    const write = await timedWithStreamPaused(b, () => rawBatchWrite(b.raw, b.stack.tableName, putRequests(records), loops));
    const remove = await timedWithStreamPaused(b, () => rawBatchWrite(b.raw, b.stack.tableName, deleteRequests(records), loops));
    runs.push({ loops, writePerSecond: perSecond(records.length, write.ms), deletePerSecond: perSecond(records.length, remove.ms) });
  }
  const best = runs.reduce((a, r) => (r.writePerSecond > a.writePerSecond ? r : a));
  const result = {
    rawBatchWrite: { itemsPerSecond: best.writePerSecond, loops: best.loops, items, ...Object.fromEntries(runs.map((r) => [`loops${r.loops}`, r.writePerSecond])) },
    rawBatchDelete: { itemsPerSecond: Math.max(...runs.map((r) => r.deletePerSecond)) },
  };
  log(`  raw BatchWriteItem, ${items} items: ${runs.map((r) => `${r.loops} loops ${r.writePerSecond} written/s, ${r.deletePerSecond} deleted/s`).join('; ')}`);
  return result;
}

/**
 * `POST /v1/jobs` import-contacts of a `rows`-row CSV (spreadsheet headers,
 * default duplicate handling), timed from the POST until the job succeeds.
 */
export async function measureImport(b: BenchStack, rows: number, series: number, log: (line: string) => void) {
  const csv = benchCsv(rows, series);
  const { result: job } = await timedWithStreamPaused(b, () => runJob(b, 'operator', { type: 'import-contacts', fileName: `bench-${rows}.csv`, csvGzipBase64: csv.csvGzipBase64 }));
  log(`  import of ${rows} rows (${round(csv.bytes / 1024 / 1024, 1)} MB): ${job.status}, ${job.processed} processed, ${job.failed} failed in ${round(job.elapsedMs / 1000, 1)} s`);
  if (job.status !== 'succeeded' || job.failed > 0 || job.processed !== rows) throw new Error(`import ${job.status}: ${job.processed} processed, ${job.failed} failed (${JSON.stringify(job.errors.slice(0, 3))})`);
  return { import: { rowsPerSecond: perSecond(rows, job.elapsedMs), rows, seconds: round(job.elapsedMs / 1000, 1) } };
}

/**
 * Bulk delete of the whole base as an admin would ("delete all"), with a
 * list and a tag on some contacts: afterwards the base is empty and their
 * counts are exactly zero.
 */
export async function measureBulkDelete(b: BenchStack, expectedRows: number, sampleIds: readonly string[], log: (line: string) => void) {
  const admin = b.api.as('admin', 'bench-admin');
  const list = await admin.post('/v1/lists', { name: `Bench delete ${Date.now()}` });
  if (list.status !== 201) throw new Error(`creating a list answered ${list.status}`);
  let tagId: string | undefined;
  for (const id of sampleIds) {
    await admin.put(`/v1/contacts/${id}/lists/${list.body.id}`);
    tagId = (await admin.post(`/v1/contacts/${id}/tags`, { name: 'Bench delete' })).body?.id;
  }
  const before = await admin.get(`/v1/lists/${list.body.id}`);
  // List and tag counts move in the job's own transactions, so they are checked without waiting for the stream.
  const { result: job } = await timedWithStreamPaused(b, () => runJob(b, 'admin', { type: 'delete-contacts', all: true }));
  const after = await admin.get(`/v1/lists/${list.body.id}`);
  const tag = tagId ? await admin.get(`/v1/tags/${tagId}`) : undefined;
  const remaining = await admin.get('/v1/contacts?limit=1');
  const exact =
    job.status === 'succeeded' &&
    job.processed === expectedRows &&
    before.body?.memberCount === sampleIds.length &&
    after.body?.memberCount === 0 &&
    (tag === undefined || tag.body?.contactCount === 0) &&
    remaining.body?.items?.length === 0;
  log(
    `  delete all: ${job.status}, ${job.processed}/${expectedRows} in ${round(job.elapsedMs / 1000, 1)} s; list count ${before.body?.memberCount} -> ${after.body?.memberCount}, ` +
      `tag count -> ${tag?.body?.contactCount}, contacts left ${remaining.body?.items?.length}`,
  );
  if (job.status !== 'succeeded') throw new Error(`delete job ${job.status}`);
  return { bulkDelete: { rowsPerSecond: perSecond(job.processed, job.elapsedMs), rows: job.processed, seconds: round(job.elapsedMs / 1000, 1), countsExact: exact ? 1 : 0 } };
}
