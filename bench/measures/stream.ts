import { DRAIN_MS, withStreamHeld, type BenchStack } from '../lib/bench-stack.js';
import { planEvents, postEvents } from '../../test/support/events.js';
import { inParallel as pool } from '../../functions/lib/concurrency.js';
import { waitFor } from '../lib/load.js';
import { perSecond, round, summarize } from '../lib/stats.js';
import { itemKindOf, mixOf, type Mix } from '../lib/ceiling.js';
import { operationOf } from '../../test/support/ddb-calls.js';
import { figures as ceilingFigures, measureCeiling } from './ddb-ceiling.js';
import { ddb } from '../../functions/lib/dynamo.js';
import { CapacityMeter, type Units } from '../lib/capacity-meter.js';
import type { DdbCall } from '../../test/support/ddb-calls.js';
import { cpuSince, cpuSnapshot } from '../lib/cpu.js';
import { leanPipeline } from './lean-pipeline.js';

/**
 * Request units as DynamoDB bills them (ReturnConsumedCapacity on every
 * request of the product's client while the stream phase runs; a
 * transaction's items at 2 units per KB, a refused condition 1 unit):
 * attached for the stream measurement only.
 */
let capacity: CapacityMeter | undefined;
function capacityMeter(): CapacityMeter {
  if (!capacity) {
    capacity = new CapacityMeter((command, input) => `${operationOf(command)} ${itemKindOf({ command, input })}`);
    capacity.attach(ddb());
  }
  return capacity;
}
function detachCapacityMeter(): void {
  ddb().middlewareStack.remove('benchCapacityMeter');
  capacity = undefined;
}
const addUnits = (into: Units, more: Units) => {
  into.read += more.read;
  into.write += more.write;
  into.failedConditions += more.failedConditions;
};
const noUnits = (): Units => ({ read: 0, write: 0, failedConditions: 0 });
/** `Update engagement day` -> `UpdateEngagementDay` (a results key). */
const camel = (text: string) => text.replace(/(^|[^a-zA-Z]+)([a-zA-Z])/g, (_, _sep: string, c: string) => c.toUpperCase());
/** Events per POST /v1/events call (a trial on an overloaded machine may cut it with BENCH_EVENTS_PER_CALL to stay inside the 29 s API timeout). */
const PER_CALL = Number(process.env.BENCH_EVENTS_PER_CALL ?? 500);

const dispatchedOf = async (b: BenchStack, contactId: string): Promise<number | undefined> => {
  const r = await b.api.as('agent', 'bench-agent').get(`/v1/contacts/${contactId}`);
  return r.status === 200 ? r.body?.engagement?.dispatched?.total : undefined;
};

/** What the profiles of `ids` show as dispatched now (the baseline of a later check). */
async function dispatchedNow(b: BenchStack, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await pool(ids, 8, async (id) => void out.set(id, (await dispatchedOf(b, id)) ?? 0));
  return out;
}

/** Contacts whose profile does not show the messages sent to them on top of `baseline` (every event counted means zero). */
async function countMismatches(b: BenchStack, expected: Map<string, number>, baseline: Map<string, number>): Promise<{ checked: number; mismatches: number }> {
  let mismatches = 0;
  await pool([...baseline.keys()], 8, async (id) => {
    if ((await dispatchedOf(b, id)) !== baseline.get(id)! + (expected.get(id) ?? 0)) mismatches++;
  });
  return { checked: baseline.size, mismatches };
}

/** A rate only counts when every call landed and every event was accepted. */
function allAccepted(posted: { failedCalls: number; rejected: number }): void {
  if (posted.failedCalls > 0 || posted.rejected > 0) throw new Error(`${posted.failedCalls} calls failed and ${posted.rejected} events were rejected`);
}

interface CpuTotals {
  wallMs: number;
  nodeMs: number;
  dynamoMs: number;
  events: number;
}
const noCpu = (): CpuTotals => ({ wallMs: 0, nodeMs: 0, dynamoMs: 0, events: 0 });
const addCpu = (into: CpuTotals, more: CpuTotals) => {
  into.wallMs += more.wallMs;
  into.nodeMs += more.nodeMs;
  into.dynamoMs += more.dynamoMs;
  into.events += more.events;
};
/** CPU ms per event of each process, and the cores both kept busy on average (2 is all this machine has). */
const cpuPerEvent = (c: CpuTotals, events: number) => ({
  node: round(c.nodeMs / Math.max(1, events), 3),
  dynamoLocal: round(c.dynamoMs / Math.max(1, events), 3),
  wall: round(c.wallMs / Math.max(1, events), 3),
  coresBusy: round((c.nodeMs + c.dynamoMs) / Math.max(1, c.wallMs), 2),
});

/**
 * The lean design of the ceiling built end to end (lean-pipeline.ts) on the
 * same messages' shape: what share of its own ceiling any design reaches
 * here once HTTP, JSON, the stream's reads and Node share the two cores.
 */
async function measureLean(contactIds: readonly string[], messages: number, rounds: number, log: (line: string) => void) {
  const lean = await leanPipeline();
  const rates: number[] = [];
  const cpu = noCpu();
  try {
    // Untimed: its DynamoDB Local starts cold, where the product's has been warmed by the seeding and the
    // ceilings are timed warm (rawItemCosts keeps each operation's second, warm pass). Cold rounds ran at half speed.
    await lean.run(contactIds, messages, 'warm-up');
    for (let r = 1; r <= rounds; r++) {
      const cpu0 = cpuSnapshot(lean.dynamoPid);
      const once = await lean.run(contactIds, messages, `${r}`);
      addCpu(cpu, { ...cpuSince(cpu0, lean.dynamoPid), events: once.events });
      rates.push(once.eventsPerSecond);
      log(`  lean design end to end, round ${r}: ${once.events} events at ${once.eventsPerSecond} events/s`);
    }
    const ceiling = await lean.ceiling();
    const eventsPerSecond = median(rates);
    log(`  the lean design's own ceiling on its DynamoDB Local: ${round(ceiling.eventsPerSecond, 1)} events/s; end to end it reached ${eventsPerSecond} = ${round(eventsPerSecond / ceiling.eventsPerSecond, 2)} of it`);
    return {
      eventsPerSecond,
      eventsPerSecondMin: Math.min(...rates),
      eventsPerSecondMax: Math.max(...rates),
      ceiling: ceilingFigures(ceiling),
      ratioToOwnCeiling: round(eventsPerSecond / ceiling.eventsPerSecond, 3),
      cpuMsPerEvent: cpuPerEvent(cpu, cpu.events),
    };
  } finally {
    await lean.stop();
  }
}

/** Median of a few rates (the middle one; the lower middle for an even count). */
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/**
 * Events from `POST /v1/events` to counters: the clock runs from the first
 * call until the stream poller has processed everything, and each stream
 * batch's item writes are compared with its distinct keys. Then the two
 * halves apart (measureSplit). Each is timed `rounds` times on fresh
 * messages and the median is reported: on two shared cores one round
 * varies by 20% or more.
 */
export async function measureStream(b: BenchStack, apiKey: string, contactIds: readonly string[], messages: number, log: (line: string) => void, rounds = 3) {
  const endToEnd: number[] = [];
  const ingestAlone: number[] = [];
  const processorAlone: number[] = [];
  let first: Awaited<ReturnType<typeof measureEndToEnd>>['figures'] | undefined;
  // Every round's requests, for the ceiling they allow on this machine (measureCeiling).
  const mix: Mix = {};
  // The split rounds' requests by hop: ingestion (stream held) and the stream processors on its backlog.
  const hops: Record<string, { mix: Mix; events: number }> = { ingestion: { mix: {}, events: 0 }, stream: { mix: {}, events: 0 } };
  const meter = capacityMeter();
  // Write units per event of the end-to-end rounds by operation and item kind (`UpdateContact`: the band snapshot).
  const writeUnitsByKind: Record<string, number> = {};
  // Units by operation and item kind of the end-to-end rounds.
  const byKind: Record<string, Units> = {};
  const units = noUnits();
  const hopUnits = { ingestion: noUnits(), stream: noUnits() };
  let events = 0;
  let splitEvents = 0;
  let counterItems = 0;
  // CPU time (ms) of this Node process and of DynamoDB Local: end to end, and each hop apart.
  const cpu = { endToEnd: noCpu(), ingestion: noCpu(), stream: noCpu() };
  try {
    for (let r = 1; r <= rounds; r++) {
      const before = structuredClone(meter.byKind);
      const { figures: once, requests, counterItems: roundCounterItems, units: roundUnits, cpu: roundCpu } = await measureEndToEnd(b, apiKey, contactIds, messages, `${r}`);
      addCpu(cpu.endToEnd, roundCpu);
      for (const [kind, u] of Object.entries(meter.byKind)) {
        const was = before[kind] ?? noUnits();
        addUnits((byKind[kind] ??= noUnits()), { read: u.read - was.read, write: u.write - was.write, failedConditions: u.failedConditions - was.failedConditions });
      }
      first ??= once;
      mixOf(requests, mix);
      addUnits(units, roundUnits);
      events += once.events;
      counterItems += roundCounterItems;
      endToEnd.push(once.eventsPerSecond);
      log(`  round ${r}: ${once.line}`);
      const split = await measureSplit(b, apiKey, contactIds, messages, `${r}`);
      ingestAlone.push(split.ingestAloneEventsPerSecond);
      processorAlone.push(split.processorAloneEventsPerSecond);
      splitEvents += split.events;
      addCpu(cpu.ingestion, split.cpu.ingestion);
      addCpu(cpu.stream, split.cpu.stream);
      for (const hop of ['ingestion', 'stream'] as const) {
        mixOf(split.calls[hop], hops[hop].mix, true);
        hops[hop].events += split.events;
        addUnits(hopUnits[hop], split.units[hop]);
      }
      log(`  round ${r} apart: ingestion alone (stream held) ${split.ingestAloneEventsPerSecond} events/s, then the stream processor alone drained them at ${split.processorAloneEventsPerSecond} events/s`);
    }
    // Where the end-to-end rounds' units went, largest first.
    const kinds = Object.entries(byKind)
      .filter(([, u]) => u.write + u.read > 0)
      .sort(([, x], [, y]) => y.write - x.write || y.read - x.read);
    log(`  end to end, request units per event by operation and item kind: ${kinds.map(([kind, u]) => `${kind} ${round(u.write / events, 3)} w / ${round(u.read / events, 3)} r`).join('; ')}`);
    for (const [kind, u] of kinds) if (u.write > 0) writeUnitsByKind[camel(kind)] = round(u.write / events, 3);
  } finally {
    detachCapacityMeter();
  }
  const range = (values: number[]) => `${median(values)} (${Math.min(...values)}-${Math.max(...values)})`;
  log(`  medians of ${rounds}: end to end ${range(endToEnd)}, ingestion alone ${range(ingestAlone)}, stream processor alone ${range(processorAlone)} events/s`);
  const perEvent = (value: number, count: number) => round(value / Math.max(1, count), 3);
  log(
    `  request units per event (end to end): ${perEvent(units.write, events)} write, ${perEvent(units.read, events)} read (${units.failedConditions} refused conditions); ` +
      `ingestion ${perEvent(hopUnits.ingestion.write, splitEvents)} write / ${perEvent(hopUnits.ingestion.read, splitEvents)} read, ` +
      `stream ${perEvent(hopUnits.stream.write, splitEvents)} write / ${perEvent(hopUnits.stream.read, splitEvents)} read`,
  );
  const cpuMsPerEvent = {
    endToEnd: cpuPerEvent(cpu.endToEnd, events),
    ingestion: cpuPerEvent(cpu.ingestion, splitEvents),
    stream: cpuPerEvent(cpu.stream, splitEvents),
  };
  log(
    `  CPU per event (ms of this Node process / of DynamoDB Local; cores kept busy of 2): ` +
      Object.entries(cpuMsPerEvent).map(([part, c]) => `${part} ${c.node} / ${c.dynamoLocal} (${c.coresBusy})`).join('; '),
  );
  const lean = await measureLean(contactIds, messages, rounds, log);
  const { line: _line, ...figures } = first!;
  const { ceiling } = await measureCeiling(b, mix, events, counterItems, log, hops);
  log(
    `  end to end / lean ceiling: the pipeline ${median(endToEnd)} / ${ceiling.minimal.eventsPerSecond} = ${round(median(endToEnd) / ceiling.minimal.eventsPerSecond, 2)}; ` +
      `the lean design built end to end ${lean.eventsPerSecond} / ${lean.ceiling.eventsPerSecond} (its own DynamoDB Local) = ${lean.ratioToOwnCeiling}`,
  );
  return {
    stream: {
      ...figures,
      ceiling,
      ratioToMinimal: round(median(endToEnd) / ceiling.minimal.eventsPerSecond, 3),
      cpuMsPerEvent,
      lean,
      writeUnitsPerEvent: perEvent(units.write, events),
      writeUnitsPerEventBy: writeUnitsByKind,
      readUnitsPerEvent: perEvent(units.read, events),
      ingestWriteUnitsPerEvent: perEvent(hopUnits.ingestion.write, splitEvents),
      ingestReadUnitsPerEvent: perEvent(hopUnits.ingestion.read, splitEvents),
      processorWriteUnitsPerEvent: perEvent(hopUnits.stream.write, splitEvents),
      processorReadUnitsPerEvent: perEvent(hopUnits.stream.read, splitEvents),
      rounds,
      eventsPerSecond: median(endToEnd),
      eventsPerSecondMin: Math.min(...endToEnd),
      eventsPerSecondMax: Math.max(...endToEnd),
      ingestAloneEventsPerSecond: median(ingestAlone),
      processorAloneEventsPerSecond: median(processorAlone),
      processorAloneEventsPerSecondMin: Math.min(...processorAlone),
      processorAloneEventsPerSecondMax: Math.max(...processorAlone),
    },
  };
}

/** One end-to-end round; its batch figures are the first round's in the results. */
async function measureEndToEnd(b: BenchStack, apiKey: string, contactIds: readonly string[], messages: number, label: string) {
  const plan = planEvents(contactIds, messages, { series: `stream-${Date.now()}-${label}` });
  await b.stack.drain(DRAIN_MS);
  // Earlier rounds sent these contacts messages too: the check counts this round's on top.
  const baseline = await dispatchedNow(b, [...plan.messagesByContact.keys()].slice(0, 200));
  b.batches.length = 0;
  const cpu0 = cpuSnapshot(b.dynamoPid);
  const t0 = performance.now();
  let postedMs = 0;
  let posted!: Awaited<ReturnType<typeof postEvents>>;
  let requests: DdbCall[] = [];
  const units = await capacityMeter().measure(async () => {
    ({ result: posted, calls: requests } = await b.meter.record(async () => {
      const out = await postEvents(b.api, apiKey, plan.events, { concurrency: 2, perCall: PER_CALL });
      postedMs = performance.now() - t0;
      await b.stack.drain(DRAIN_MS);
      return out;
    }));
  });
  const elapsedMs = performance.now() - t0;
  const cpu = cpuSince(cpu0, b.dynamoPid);
  allAccepted(posted);

  const batches = b.batches.filter((s) => s.records > 0);
  const sum = (pick: (s: (typeof batches)[number]) => number) => batches.reduce((total, s) => total + pick(s), 0);
  const perBatch = (pick: (s: (typeof batches)[number]) => number) => round(sum(pick) / Math.max(1, batches.length), 1);
  const maxExcess = Math.max(0, ...batches.map((s) => s.counterWrites - s.counterKeys));
  const repeated = [...new Set(batches.flatMap((s) => s.repeatedCounterKeys))];
  const check = await countMismatches(b, plan.messagesByContact, baseline);
  const calls = summarize(posted.latencies);
  const eventsPerSecond = perSecond(posted.accepted, elapsedMs);
  const figures = {
    line:
      `${posted.accepted} events accepted in ${round(postedMs / 1000, 1)} s (call p99 ${calls.p99Ms} ms), counted after ${round(elapsedMs / 1000, 1)} s = ${eventsPerSecond} events/s; ` +
      `${batches.length} stream batches, ${sum((s) => s.counterWrites)} counter writes for ${sum((s) => s.counterKeys)} distinct counter items ` +
      `(${sum((s) => s.writes)} writes of any item for ${sum((s) => s.distinctKeys)} distinct items)` +
      `${repeated.length ? `; counter items written twice in a batch: ${repeated.slice(0, 5).join(', ')}` : ''}; ${check.mismatches}/${check.checked} profiles off`,
    events: posted.accepted,
    eventsPerSecond,
    ingestEventsPerSecond: perSecond(posted.accepted, postedMs),
    callP99Ms: calls.p99Ms,
    batches: batches.length,
    writesPerBatch: perBatch((s) => s.counterWrites),
    distinctKeysPerBatch: perBatch((s) => s.counterKeys),
    maxExcessWrites: maxExcess,
    allWritesPerBatch: perBatch((s) => s.writes),
    allDistinctKeysPerBatch: perBatch((s) => s.distinctKeys),
    profilesChecked: check.checked,
    profilesMismatched: check.mismatches,
  };
  return { figures, requests, units, counterItems: sum((s) => s.counterKeys), cpu: { ...cpu, events: posted.accepted } };
}

/**
 * The two halves apart, on a fresh set of messages: ingestion with the
 * stream held (in AWS the stream function runs on compute of its own), then
 * the stream processor alone on the backlog. Both share two cores with
 * DynamoDB Local when they run together, which the end-to-end figure shows.
 */
async function measureSplit(b: BenchStack, apiKey: string, contactIds: readonly string[], messages: number, label: string) {
  const plan = planEvents(contactIds, messages, { series: `stream-split-${Date.now()}-${label}` });
  // Timed inside: withStreamHeld drains the earlier backlog before it starts.
  let ingestMs = 0;
  const calls: Record<'ingestion' | 'stream', DdbCall[]> = { ingestion: [], stream: [] };
  const units = { ingestion: noUnits(), stream: noUnits() };
  const cpu = { ingestion: noCpu(), stream: noCpu() };
  const posted = await withStreamHeld(b, async () => {
    let out!: Awaited<ReturnType<typeof postEvents>>;
    units.ingestion = await capacityMeter().measure(async () => {
      const cpu0 = cpuSnapshot(b.dynamoPid);
      const t0 = performance.now();
      ({ result: out, calls: calls.ingestion } = await b.meter.record(() => postEvents(b.api, apiKey, plan.events, { concurrency: 2, perCall: PER_CALL })));
      ingestMs = performance.now() - t0;
      cpu.ingestion = { ...cpuSince(cpu0, b.dynamoPid), events: out.accepted };
    });
    return out;
  });
  const cpu1 = cpuSnapshot(b.dynamoPid);
  const t1 = performance.now();
  units.stream = await capacityMeter().measure(async () => {
    ({ calls: calls.stream } = await b.meter.record(() => b.stack.drain(DRAIN_MS)));
  });
  const drainMs = performance.now() - t1;
  cpu.stream = { ...cpuSince(cpu1, b.dynamoPid), events: posted.accepted };
  allAccepted(posted);
  return {
    events: posted.accepted,
    calls,
    units,
    cpu,
    ingestAloneEventsPerSecond: perSecond(posted.accepted, ingestMs),
    processorAloneEventsPerSecond: perSecond(posted.accepted, drainMs),
  };
}

/** Time from posting one event until the profile shows it, sampled one at a time. */
export async function measureEventVisibility(b: BenchStack, apiKey: string, contactIds: readonly string[], samples: number, log: (line: string) => void) {
  await b.stack.drain(DRAIN_MS);
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const contactId = contactIds[i % contactIds.length];
    const before = (await dispatchedOf(b, contactId)) ?? 0;
    const t0 = performance.now();
    const event = { id: `visible-${Date.now()}-${i}`, type: 'message.status', contactId, messageId: `visible-msg-${Date.now()}-${i}`, channel: 'whatsapp', status: 'sent', broadcast: false, at: new Date().toISOString() };
    const posted = await postEvents(b.api, apiKey, [event]);
    if (posted.accepted !== 1) throw new Error('the visibility probe event was not accepted');
    await waitFor(async () => ((await dispatchedOf(b, contactId)) === before + 1 ? true : undefined), { timeoutMs: 30_000, everyMs: 25, what: 'the event on the profile' });
    latencies.push(performance.now() - t0);
  }
  const s = summarize(latencies);
  log(`  event visible on the profile: median ${s.medianMs} ms, p95 ${s.p95Ms} ms (${samples} samples)`);
  return { eventVisible: { medianMs: s.medianMs, p95Ms: s.p95Ms, maxMs: s.maxMs, samples } };
}
