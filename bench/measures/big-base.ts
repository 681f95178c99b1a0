import { withStreamHeld, type BenchStack } from '../lib/bench-stack.js';
import { benchContact, deleteRequests, putRequests, rawBaselineItem, rawBatchWrite } from '../lib/contacts.js';
import { benchCsv, runJob } from '../lib/jobs.js';
import { perSecond, round } from '../lib/stats.js';
import { operationOf, type DdbCall } from '../../test/support/ddb-calls.js';
import type { Results } from '../report.js';

/** Side-by-side loops tried for the raw baseline; the best is the baseline (the import job keeps jobTuning.importWriters = 16 calls in flight). */
export const RAW_LOOPS = [4, 8, 16];

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = performance.now();
  const result = await work();
  return { result, ms: performance.now() - t0 };
}

/** The raw loop's best degree of parallelism and its item count, per bench stack, for the re-measurements after each job. */
const rawSetup = new WeakMap<BenchStack, { loops: number; items: number; write: number; remove: number }>();
let rawSerial = 0;

/** Raw items of a contact's shape under fresh serials (no two measurements write the same keys). */
function rawRecords(count: number) {
  const first = rawSerial;
  rawSerial += count;
  return Array.from({ length: count }, (_, i) => rawBaselineItem(benchContact(first + i, 3)));
}

/** A raw write then a raw delete of `count` items, each timed (call it with the stream held). */
async function rawWriteDelete(b: BenchStack, count: number, loops: number) {
  const records = rawRecords(count);
  const write = await timed(() => rawBatchWrite(b.raw, b.stack.tableName, putRequests(records), loops));
  const remove = await timed(() => rawBatchWrite(b.raw, b.stack.tableName, deleteRequests(records), loops));
  return { loops, writePerSecond: perSecond(count, write.ms), deletePerSecond: perSecond(count, remove.ms) };
}

/**
 * The raw BatchWriteItem baseline: items of a contact's exact shape and
 * index fan-out (rawBaselineItem), written and then deleted with the
 * bench's own client in the same table the import job writes to, at a few
 * degrees of parallelism; the fastest is the baseline. An untimed round
 * first: a fresh DynamoDB Local (JIT, SQLite caches) is several times slower
 * for its first few thousand writes, which would flatter the jobs.
 */
export async function measureRawBatchWrite(b: BenchStack, items: number, log: (line: string) => void) {
  const each = Math.round(items / RAW_LOOPS.length);
  const runs = await withStreamHeld(b, async () => {
    await rawWriteDelete(b, Math.max(1000, each), 8);
    const out: Awaited<ReturnType<typeof rawWriteDelete>>[] = [];
    for (const loops of RAW_LOOPS) out.push(await rawWriteDelete(b, each, loops));
    return out;
  });
  const best = runs.reduce((a, r) => (r.writePerSecond > a.writePerSecond ? r : a));
  const bestDelete = runs.reduce((a, r) => (r.deletePerSecond > a.deletePerSecond ? r : a));
  rawSetup.set(b, { loops: best.loops, items: each, write: best.writePerSecond, remove: bestDelete.deletePerSecond });
  log(`  raw BatchWriteItem, ${items} items: ${runs.map((r) => `${r.loops} loops ${r.writePerSecond} written/s, ${r.deletePerSecond} deleted/s`).join('; ')}`);
  return {
    rawBatchWrite: { itemsPerSecond: best.writePerSecond, beforeJobs: best.writePerSecond, loops: best.loops, items, ...Object.fromEntries(runs.map((r) => [`loops${r.loops}`, r.writePerSecond])) },
    rawBatchDelete: { itemsPerSecond: bestDelete.deletePerSecond, beforeJobs: bestDelete.deletePerSecond, loops: bestDelete.loops },
  };
}

/**
 * The raw loop again, right after a job and with the stream still held, at
 * its best parallelism: the machine's load drifts over a long run, so the
 * baseline a job is held to is the faster of the raw figures before and
 * after it.
 */
async function rawAgain(b: BenchStack) {
  const setup = rawSetup.get(b);
  if (!setup) return undefined;
  const again = await rawWriteDelete(b, setup.items, setup.loops);
  setup.write = Math.max(setup.write, again.writePerSecond);
  setup.remove = Math.max(setup.remove, again.deletePerSecond);
  return { ...again, text: `raw again, ${setup.items} items at ${setup.loops} loops: ${again.writePerSecond} written/s, ${again.deletePerSecond} deleted/s (baseline now ${setup.write} written/s, ${setup.remove} deleted/s)` };
}

/** What the product's client sent while a job ran (the stream held, nothing else running but the bench's status polls). */
function jobRequests(calls: readonly DdbCall[]) {
  const byOperation = new Map<string, number>();
  let itemsWritten = 0;
  let itemsDeleted = 0;
  for (const call of calls) {
    const operation = operationOf(call.command);
    byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
    const input = call.input as { RequestItems?: Record<string, { PutRequest?: unknown; DeleteRequest?: unknown }[]>; TransactItems?: { Delete?: unknown }[] };
    for (const requests of Object.values(input.RequestItems ?? {})) {
      if (operation !== 'BatchWrite') continue;
      for (const r of requests) r.DeleteRequest ? itemsDeleted++ : itemsWritten++;
    }
    if (operation === 'Delete') itemsDeleted++;
    for (const t of input.TransactItems ?? []) if (t.Delete) itemsDeleted++;
  }
  const text = [...byOperation].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${n} ${op}`).join(', ');
  return { byOperation, itemsWritten, itemsDeleted, text };
}

/**
 * `POST /v1/jobs` import-contacts of a `rows`-row CSV (spreadsheet headers,
 * default duplicate handling), timed from the POST until the job succeeds.
 * The import writes one item per row here (no list), the raw loop one item
 * per contact: the figures compare like with like. After a raw baseline in
 * the same stack, the raw loop runs again right after the import.
 */
export async function measureImport(b: BenchStack, rows: number, series: number, log: (line: string) => void) {
  const csv = benchCsv(rows, series);
  const { recorded, again } = await withStreamHeld(b, async () => ({
    recorded: await b.meter.record(() => runJob(b, 'operator', { type: 'import-contacts', fileName: `bench-${rows}.csv`, csvGzipBase64: csv.csvGzipBase64 })),
    again: await rawAgain(b),
  }));
  const job = recorded.result;
  const requests = jobRequests(recorded.calls);
  log(`  import of ${rows} rows (${round(csv.bytes / 1024 / 1024, 1)} MB): ${job.status}, ${job.processed} processed, ${job.failed} failed in ${round(job.elapsedMs / 1000, 1)} s`);
  log(`  requests: ${requests.text}; ${requests.itemsWritten} items written (${round(requests.itemsWritten / rows, 2)} a row)`);
  if (job.status !== 'succeeded' || job.failed > 0 || job.processed !== rows) throw new Error(`import ${job.status}: ${job.processed} processed, ${job.failed} failed (${JSON.stringify(job.errors.slice(0, 3))})`);
  const result: Results = {
    import: { rowsPerSecond: perSecond(rows, job.elapsedMs), rows, seconds: round(job.elapsedMs / 1000, 1), itemsPerRow: round(requests.itemsWritten / rows, 2) },
  };
  if (again) {
    log(`  ${again.text}`);
    result.rawBatchWrite = { itemsPerSecond: rawSetup.get(b)!.write, afterImport: again.writePerSecond };
  }
  return result;
}

/**
 * Bulk delete of the whole base as an admin would ("delete all"), with a
 * list and a tag on some contacts: afterwards the base is empty and their
 * counts are exactly zero. A contact is more than its profile item (the
 * analytics consumer keeps one of its own per contact, memberships and
 * history may hang off it) and the job must find them all, so it reads
 * each contact's collection (one Query each) before deleting it: the log
 * gives requests and items next to the raw loop's one item per contact.
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
  const { recorded, again } = await withStreamHeld(b, async () => ({
    recorded: await b.meter.record(() => runJob(b, 'admin', { type: 'delete-contacts', all: true })),
    again: await rawAgain(b),
  }));
  const job = recorded.result;
  const requests = jobRequests(recorded.calls);
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
  log(`  requests: ${requests.text}; ${requests.itemsDeleted} items deleted (${round(requests.itemsDeleted / Math.max(1, job.processed), 2)} a contact)`);
  if (job.status !== 'succeeded') throw new Error(`delete job ${job.status}`);
  const result: Results = {
    bulkDelete: {
      rowsPerSecond: perSecond(job.processed, job.elapsedMs),
      itemsPerSecond: perSecond(requests.itemsDeleted, job.elapsedMs),
      itemsPerContact: round(requests.itemsDeleted / Math.max(1, job.processed), 2),
      rows: job.processed,
      seconds: round(job.elapsedMs / 1000, 1),
      countsExact: exact ? 1 : 0,
    },
  };
  if (again) {
    log(`  ${again.text}`);
    result.rawBatchDelete = { itemsPerSecond: rawSetup.get(b)!.remove, afterBulkDelete: again.deletePerSecond };
  }
  return result;
}
