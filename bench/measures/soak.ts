import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ApiResponse } from '../../test/support/local-stack.js';
import { DRAIN_MS, type BenchStack } from '../lib/bench-stack.js';
import { sleep } from '../lib/load.js';
import { round, summarize } from '../lib/stats.js';

const TICK_MS = 100;
const EVENTS_PER_TICK = 10;
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
/** A full collection before the last heap reading, so what is left after the soak is live data, not garbage not yet collected. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const gc = exposeGc();

/**
 * Steady mixed traffic for `durationMs`: every 100 ms two profile reads, a
 * contact base page, every other tick a contact write (create or edit),
 * and, when the engagement pipeline exists, a call of 25 events. Requests
 * are fired on the clock whether or not earlier ones answered (open loop),
 * so a slowdown shows as latency and in-flight growth, not as less load.
 */
export async function soak(b: BenchStack, apiKey: string | undefined, durationMs: number, log: (line: string) => void) {
  const agent = b.api.as('agent', 'bench-agent');
  const operator = b.api.as('operator', 'bench-operator');
  const contacts: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await operator.post('/v1/contacts', { firstName: `Soak${i}`, phone: `+55 21 9${String(70000000 + i)}`, channels: { whatsapp: 'subscribed' } });
    if (r.status !== 201) throw new Error(`soak setup answered ${r.status}`);
    contacts.push(r.body.id);
  }
  await b.stack.drain(DRAIN_MS);

  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let requests = 0;
  let errors = 0;
  let eventsSent = 0;
  let maxInFlight = 0;
  const errorSamples: string[] = [];
  /** Fires a call without waiting; an answer other than `expected` (or failing `check`) is an error, sampled with its status and code. */
  const fire = (label: string, expected: number, call: () => Promise<ApiResponse>, check: (r: ApiResponse) => boolean = () => true) => {
    requests++;
    const t0 = performance.now();
    const p = call()
      .then((r) => (r.status === expected && check(r) ? undefined : `${label} ${r.status} ${r.body?.error?.code ?? ''}`.trim()))
      .catch((error: Error) => `${label}: ${error.message}`)
      .then((problem) => {
        latencies.push(performance.now() - t0);
        if (problem === undefined) return;
        errors++;
        if (errorSamples.length < 5) errorSamples.push(problem);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
  };
  const pick = (tick: number, k: number) => contacts[(tick * 7 + k * 13) % contacts.length];

  gc();
  const memory: { atMs: number; rss: number; heap: number }[] = [];
  const started = performance.now();
  let tick = 0;
  while (performance.now() - started < durationMs) {
    const t = tick++;
    fire('profile', 200, () => agent.get(`/v1/contacts/${pick(t, 1)}`));
    fire('profile', 200, () => agent.get(`/v1/contacts/${pick(t, 2)}`));
    fire('page', 200, () => agent.get('/v1/contacts?limit=20'));
    if (t % 2 === 0) {
      if (t % 4 === 0) fire('create', 201, () => operator.post('/v1/contacts', { firstName: `Soak new ${t}`, email: `soak.${t}.${Date.now()}@bench.example` }));
      // Edits go round all soak contacts, so two edits of one contact are seconds apart, as from people at screens.
      else fire('edit', 200, () => operator.patch(`/v1/contacts/${contacts[Math.floor(t / 4) % contacts.length]}`, { customFields: { soakTick: t } }));
    }
    if (apiKey) {
      const events = Array.from({ length: EVENTS_PER_TICK }, (_, k) => {
        const contactId = pick(t, k + 4);
        const messageId = `soak-${t}-${k}`;
        return { id: `soak-evt-${t}-${k}`, type: 'message.status', contactId, messageId, channel: 'whatsapp', status: 'sent', broadcast: true, at: new Date().toISOString() };
      });
      eventsSent += events.length;
      fire('events', 202, () => b.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } }), (r) => r.body.accepted === events.length);
    }
    if (t % 50 === 0 || performance.now() - started + TICK_MS >= durationMs) {
      const usage = process.memoryUsage();
      memory.push({ atMs: performance.now() - started, rss: usage.rss, heap: usage.heapUsed });
    }
    const nextAt = started + tick * TICK_MS;
    await sleep(Math.max(0, nextAt - performance.now()));
  }
  const end = memory.at(-1)!;
  await Promise.all([...inFlight]);
  await b.stack.drain(DRAIN_MS);
  gc();
  const afterGc = process.memoryUsage();
  // The first sample is taken after warm-up (JIT, connection pools), the baseline for "stable".
  const start = memory.find((m) => m.atMs >= 5_000) ?? memory[0];
  const eventsCounted = apiKey ? await shownDispatched(b, contacts) : undefined;
  const s = summarize(latencies);
  log(
    `  soak: ${requests} requests in ${round((performance.now() - started) / 1000, 1)} s, ${errors} errors${errorSamples.length ? ` (${errorSamples.join('; ')})` : ''}, ` +
      `median ${s.medianMs} ms, p99 ${s.p99Ms} ms, at most ${maxInFlight} in flight; RSS ${mb(start.rss)} -> ${mb(end.rss)} MB, heap ${mb(start.heap)} -> ${mb(end.heap)} MB (${mb(afterGc.heapUsed)} MB after GC)` +
      (eventsCounted === undefined ? '; events n/a (feature missing)' : `; events sent ${eventsSent}, counted ${eventsCounted}`),
  );
  return {
    soak: {
      seconds: round(durationMs / 1000),
      requests,
      errors,
      p99Ms: s.p99Ms,
      medianMs: s.medianMs,
      maxInFlight,
      rssStartMb: mb(start.rss),
      rssEndMb: mb(end.rss),
      heapStartMb: mb(start.heap),
      heapEndMb: mb(end.heap),
      heapAfterGcMb: mb(afterGc.heapUsed),
      ...(eventsCounted === undefined ? {} : { eventsSent, eventsCounted }),
    },
  };
}

/** The messages the soak contacts' profiles show: equal to the events sent when every one was counted once. */
async function shownDispatched(b: BenchStack, contactIds: readonly string[]): Promise<number> {
  let total = 0;
  for (const id of contactIds) {
    const r = await b.api.as('agent', 'bench-agent').get(`/v1/contacts/${id}`);
    total += r.body?.engagement?.dispatched?.total ?? 0;
  }
  return total;
}
