import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ddb } from '../functions/lib/dynamo.js';
import { createApiKey, planEvents, postEvents } from '../test/support/events.js';
import { DRAIN_MS, startBenchStack, withStreamHeld, type BenchStack } from './lib/bench-stack.js';
import { CapacityMeter, type Units } from './lib/capacity-meter.js';
import { benchCsv, contactIds, runJob } from './lib/jobs.js';
import { round } from './lib/stats.js';
import { BENCH_DIR } from './report.js';

/**
 * `npm run bench:capacity`: the DynamoDB request units each operation of
 * the product consumes, the figures `npm run cost` prices. DynamoDB Local
 * reports consumed capacity as DynamoDB computes it (ReturnConsumedCapacity
 * on every request of the product's client, bench/lib/capacity-meter.ts).
 * Everything an operation causes is counted: its request, and the stream
 * work it sets off (counters, aggregates, suggestions), drained before the
 * meter is read. Writes bench/capacity.json.
 *
 * Events are measured twice: posted in calls of 25, each call read by the
 * stream as a batch of its own (a tenant's steady traffic: even 400,000
 * events a day come in calls seconds apart, further than the event source
 * mapping's 2 s batching window), and as a backlog read in full batches
 * (the cheapest a batch can be: tenant-wide aggregates and a contact's
 * counters are written once per batch, however many events they take).
 */
const CONTACTS = Number(process.env.CAPACITY_CONTACTS ?? 300);
const MESSAGES = Number(process.env.CAPACITY_MESSAGES ?? 500);
const EVENTS_PER_CALL = 25;
const IMPORT_ROWS = Number(process.env.CAPACITY_IMPORT_ROWS ?? 1_000);
const CAPACITY_FILE = join(BENCH_DIR, 'capacity.json');

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const log = (line: string) => console.log(line);
const per = (units: Units, count: number) => ({
  readUnits: round(units.read / count, 3),
  writeUnits: round(units.write / count, 3),
  failedConditionsPerOperation: round(units.failedConditions / count, 3),
});

async function eventsPerEvent(b: BenchStack, meter: CapacityMeter, ids: readonly string[], apiKey: string, series: string, held: boolean) {
  const plan = planEvents(ids, MESSAGES, { series });
  await b.stack.drain(DRAIN_MS);
  b.batches.length = 0;
  let accepted = 0;
  const units = await meter.measure(async () => {
    const post = async (events: typeof plan.events) => {
      const outcome = await postEvents(b.api, apiKey, events, { perCall: EVENTS_PER_CALL, concurrency: 1 });
      if (outcome.failedCalls > 0 || outcome.rejected > 0) throw new Error(`${outcome.failedCalls} calls failed, ${outcome.rejected} events rejected`);
      accepted += outcome.accepted;
    };
    if (held) await withStreamHeld(b, () => post(plan.events));
    else {
      // One call per stream batch: a tenant's calls come seconds apart, further than the 2 s batching window.
      for (let i = 0; i < plan.events.length; i += EVENTS_PER_CALL) {
        await post(plan.events.slice(i, i + EVENTS_PER_CALL));
        await b.stack.drain(DRAIN_MS);
      }
    }
    await b.stack.drain(DRAIN_MS);
  });
  const batches = b.batches.filter((batch) => batch.records > 0);
  const recordsPerBatch = round(batches.reduce((sum, batch) => sum + batch.records, 0) / Math.max(1, batches.length), 1);
  log(`  ${held ? 'backlog' : 'live'}: ${accepted} events, ${batches.length} stream batches of ${recordsPerBatch} records: ${units.write} write units (${units.failedConditions} refused conditions) and ${units.read} read units`);
  return { ...per(units, accepted), events: accepted, recordsPerBatch };
}

async function main() {
  const t0 = performance.now();
  const b = await startBenchStack(`capacity-${Date.now().toString(36)}`);
  const meter = new CapacityMeter();
  meter.attach(ddb());
  try {
    const operator = b.api.as('operator', 'bench-operator');
    const agent = b.api.as('agent', 'bench-agent');

    log(`> ${CONTACTS} contacts created through the API`);
    const created: string[] = [];
    const create = await meter.measure(async () => {
      for (let i = 0; i < CONTACTS; i++) {
        const r = await operator.post('/v1/contacts', { firstName: `Cap${i}`, lastName: 'Bench', phone: `+55119${String(60_000_000 + i).padStart(8, '0')}`, email: `cap${i}@bench.example` });
        if (r.status !== 201) throw new Error(`POST /v1/contacts answered ${r.status}`);
        created.push(r.body.id);
      }
      await b.stack.drain(DRAIN_MS);
    });

    const apiKey = await createApiKey(b.api);
    if (!apiKey) throw new Error('no API key');
    log(`> events (${MESSAGES} messages with their statuses and conversations)`);
    const live = await eventsPerEvent(b, meter, created, apiKey, `cap-live-${Date.now()}`, false);
    const backlog = await eventsPerEvent(b, meter, created, apiKey, `cap-backlog-${Date.now()}`, true);

    log('> reads');
    const sample = created.slice(0, 100);
    const profile = await meter.measure(async () => {
      for (const id of sample) if ((await agent.get(`/v1/contacts/${id}`)).status !== 200) throw new Error('profile read failed');
    });
    const pages = 20;
    const page = await meter.measure(async () => {
      for (let i = 0; i < pages; i++) if ((await agent.get('/v1/contacts?limit=50')).status !== 200) throw new Error('page read failed');
    });
    const panel = await meter.measure(async () => {
      for (let i = 0; i < pages; i++) if ((await operator.get('/v1/analytics/contacts')).status !== 200) throw new Error('panel read failed');
    });

    log(`> import of ${IMPORT_ROWS} rows, then their bulk delete`);
    const csv = benchCsv(IMPORT_ROWS, 3);
    const imported = await meter.measure(async () => {
      const job = await runJob(b, 'operator', { type: 'import-contacts', fileName: 'capacity.csv', csvGzipBase64: csv.csvGzipBase64 });
      if (job.status !== 'succeeded' || job.processed !== IMPORT_ROWS) throw new Error(`import: ${JSON.stringify(job).slice(0, 500)}`);
      await b.stack.drain(DRAIN_MS);
    });
    const doomed = (await contactIds(b, CONTACTS + IMPORT_ROWS)).filter((id) => !created.includes(id)).slice(0, IMPORT_ROWS);
    const deleted = await meter.measure(async () => {
      const job = await runJob(b, 'operator', { type: 'delete-contacts', contactIds: doomed });
      if (job.status !== 'succeeded') throw new Error(`delete ${job.status}`);
      await b.stack.drain(DRAIN_MS);
    });

    const figures = {
      date: new Date().toISOString(),
      note: 'DynamoDB request units per operation, measured on DynamoDB Local by `npm run bench:capacity`; each includes the stream work the operation sets off',
      contactCreate: per(create, CONTACTS),
      event: { live, backlog },
      profileRead: per(profile, sample.length),
      contactPage: per(page, pages),
      analyticsPanel: per(panel, pages),
      importRow: per(imported, IMPORT_ROWS),
      deletedContact: per(deleted, doomed.length),
      failedConditionsByCommand: meter.failedByCommand,
      seconds: round((performance.now() - t0) / 1000, 1),
    };
    writeFileSync(CAPACITY_FILE, `${JSON.stringify(figures, null, 2)}\n`);
    log(JSON.stringify(figures, null, 2));
    log(`wrote ${CAPACITY_FILE}`);
  } finally {
    await b.stop();
  }
}

await main();
