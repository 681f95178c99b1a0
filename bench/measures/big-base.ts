import { DRAIN_MS, type BenchStack } from '../lib/bench-stack.js';
import { benchContact, deleteRequests, putRequests, rawBaselineItem, rawBatchWrite } from '../lib/contacts.js';
import { benchCsv, runJob } from '../lib/jobs.js';
import { perSecond, round } from '../lib/stats.js';

/** Side-by-side loops of the raw baseline: about what DynamoDB Local on this machine takes before it saturates. */
export const RAW_LOOPS = 4;

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
 * bench's own client in the same table the import job writes to.
 */
export async function measureRawBatchWrite(b: BenchStack, items: number, log: (line: string) => void) {
  const records = Array.from({ length: items }, (_, i) => rawBaselineItem(benchContact(i, 3)));
  const write = await timedWithStreamPaused(b, () => rawBatchWrite(b.raw, b.stack.tableName, putRequests(records), RAW_LOOPS));
  const remove = await timedWithStreamPaused(b, () => rawBatchWrite(b.raw, b.stack.tableName, deleteRequests(records), RAW_LOOPS));
  const [writeMs, deleteMs] = [write.ms, remove.ms];
  const result = {
    rawBatchWrite: { itemsPerSecond: perSecond(items, writeMs), items, loops: RAW_LOOPS },
    rawBatchDelete: { itemsPerSecond: perSecond(items, deleteMs), items },
  };
  log(`  raw BatchWriteItem (${RAW_LOOPS} loops): ${result.rawBatchWrite.itemsPerSecond} items/s written, ${result.rawBatchDelete.itemsPerSecond} items/s deleted (${items} items)`);
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
