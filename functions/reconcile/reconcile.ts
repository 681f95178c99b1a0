import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { localDay } from '../../shared/analytics.js';
import { activityFromItem, type ContactActivity } from '../analytics/contact-activity.js';
import {
  contactActivityKey,
  contactIdFromPk,
  contactKey,
  contactPk,
  ENGAGEMENT_COUNTER_PREFIX,
  reconcileRunKey,
  reconcileStateKey,
} from '../data/keys.js';
import { refreshBandSnapshot } from '../engagement/band-snapshot.js';
import { inParallel } from '../lib/concurrency.js';
import { config } from '../lib/config.js';
import { PAGE_LIMIT } from '../lib/dynamo-batch.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';
import { addState, applyAggregateRepair, deleteRunTotals, diffAggregates, loadRunTotals, readStoredAggregates, recentBaseFrom, saveChunkTotals, settledSince, type Totals } from './aggregates.js';
import { applyStateRepair, planStateRepair, type StatePlan } from './activity-states.js';
import { readContactCollection, type ContactCollection } from './contact-collection.js';
import { applyCounterRepair, planCounterRepairs, type CounterRepair } from './engagement-counters.js';

/**
 * Scheduled reconciliation (issue 15): recomputes every derived number the
 * stream keeps from the table, compares it with what is stored, repairs
 * each difference and records what it repaired.
 *
 * A run has two phases, resumable like a job:
 * 1. contacts: a parallel Scan (one page per segment per chunk) finds every
 *    contact with a profile, an activity state or engagement counters; each
 *    one's collection is read in one consistent Query, its counters and
 *    state recomputed (engagement-counters.ts, activity-states.ts) and
 *    repaired, and its state's share of the tenant aggregates added to the
 *    chunk's totals, saved beside the progress (a contact's items are
 *    contiguous in a Scan, so each is met once).
 * 2. aggregates: the saved totals are compared with every stored aggregate
 *    item (aggregates.ts) and the differences repaired.
 * After each chunk the progress (scan cursors, counts, examples) is saved in
 * `ROLL#reconcile / #STATE` under a lease; a crash loses at most one chunk,
 * and redoing a chunk is harmless (repairs are conditional, totals
 * overwritten). A finished run leaves its summary at `RUN#<runId>` and in
 * one structured log line.
 *
 * Races with the stream: a record in flight when the table is read has
 * already changed the history but not yet the numbers derived from it;
 * "repairing" that would count it twice once the stream applies it. So a
 * difference is repaired only when a second read, `settleMs` later, finds
 * exactly the same difference with the item's watermarks (counters,
 * aggregates) or version (states) unchanged, and the write is conditioned on
 * them. An aggregate is also left alone when the stream applied anything to
 * it since the run started (its watermark times say so), since the states
 * summed were read at different moments. What is left alone is counted as
 * unsettled; the next run looks again. A stream stalled for longer than
 * `settleMs` defeats the second read: replay failed records first.
 */

export interface ReconcileOptions {
  now?: () => Date;
  /** Parallel Scan segments. @default 4 */
  segments?: number;
  /** Items a Scan page evaluates (a chunk is one page per segment). @default PAGE_LIMIT */
  pageLimit?: number;
  /** Time between the two reads of a difference. @default 15 s */
  settleMs?: number;
  /** Clock difference allowed between this function and the stream's. @default 2 s */
  clockSkewMs?: number;
  /** Contacts read and repaired at once. @default 8 */
  concurrency?: number;
  /** Epoch ms by which this invocation must be done; it pauses (saving its progress) before. @default none */
  deadline?: number;
  /** Stop after this many steps (a chunk, or the aggregates phase) in this call, paused (tests). */
  maxChunks?: number;
  /** How long a claim on the run lasts without a committed chunk: longer than a Lambda invocation can live. @default 16 min */
  leaseMs?: number;
  /** Start a new run when none is in progress. @default true (false: only continue one) */
  start?: boolean;
  /** Take over a run whose lease is still live (its worker is known to be gone). */
  takeOver?: boolean;
  /** Who started the run (schedule, command). */
  trigger?: string;
}

type Kind = 'engagementCounters' | 'activityStates' | 'aggregates';
const KINDS: Kind[] = ['engagementCounters', 'activityStates', 'aggregates'];
const EXAMPLES = 5;

export interface ReconcileSummary {
  runId: string;
  trigger: string;
  startedAt: string;
  finishedAt: string;
  chunks: number;
  /** What was compared. */
  checked: { contacts: number; counterItems: number; states: number; aggregateItems: number };
  /** Items rewritten because their numbers differed (created ones included). */
  repaired: Record<Kind, number>;
  details: {
    counterFields: number;
    counterItemsCreated: number;
    statesCreated: number;
    aggregateAttributes: number;
    aggregateItemsCreated: number;
    /** Zeroed counter items and states marked to expire (no number changed). */
    tombstonesMarked: number;
    /** Band snapshots moved after counters were repaired. */
    bandsMoved: number;
    /** Contacts without a profile that still hold history (counted as a fold of it; a late event after a purge, or a merge under way). */
    orphanHistory: number;
  };
  /** Differences left alone because the stream was changing them (see above); the next run looks again. */
  unsettled: Record<Kind, number>;
  /** A few keys of each kind, with what changed. */
  examples: Record<Kind | 'unsettled', string[]>;
  /** The run before this one. */
  previousRunId?: string;
}

export type ReconcileResult =
  | { status: 'finished'; summary: ReconcileSummary }
  | { status: 'paused'; runId: string; phase: Phase; chunks: number }
  | { status: 'busy'; runId: string; leaseUntil: number }
  | { status: 'idle' };

type Phase = 'contacts' | 'aggregates' | 'done';

interface SegmentCursor {
  start?: Record<string, unknown>;
  /** Last contact met in this segment: a contact straddling two pages is not read twice. */
  last?: string;
  done: boolean;
}

interface RunState {
  runId: string;
  phase: Phase;
  trigger: string;
  startedAt: string;
  /** Epoch ms the scan started: aggregates the stream touched since are left alone. */
  scanStartMs: number;
  segments: SegmentCursor[];
  pageLimit: number;
  chunk: number;
  summary: Omit<ReconcileSummary, 'finishedAt' | 'chunks'>;
  lease?: { token: string; until: number };
  previousRunId?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** JSON with keys sorted: two reads of the same difference compare equal. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function emptySummary(runId: string, trigger: string, startedAt: string, previousRunId?: string): RunState['summary'] {
  const perKind = () => ({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
  return {
    runId,
    trigger,
    startedAt,
    checked: { contacts: 0, counterItems: 0, states: 0, aggregateItems: 0 },
    repaired: perKind(),
    details: { counterFields: 0, counterItemsCreated: 0, statesCreated: 0, aggregateAttributes: 0, aggregateItemsCreated: 0, tombstonesMarked: 0, bandsMoved: 0, orphanHistory: 0 },
    unsettled: perKind(),
    examples: { engagementCounters: [], activityStates: [], aggregates: [], unsettled: [] },
    ...(previousRunId ? { previousRunId } : {}),
  };
}

function example(summary: RunState['summary'], kind: Kind | 'unsettled', text: string): void {
  if (summary.examples[kind].length < EXAMPLES) summary.examples[kind].push(text);
}

const describe = (add: Record<string, number>) =>
  Object.entries(add)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 4)
    .map(([field, n]) => `${field}${n > 0 ? '+' : ''}${n}`)
    .join(' ') + (Object.keys(add).length > 4 ? ' ...' : '');

// ---------------------------------------------------------------- run, lease, progress

async function readRun(): Promise<(RunState & { pk: string }) | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: reconcileStateKey(), ConsistentRead: true }));
  return Item as (RunState & { pk: string }) | undefined;
}

async function putRun(item: Record<string, unknown>, condition: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> }): Promise<boolean> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...item, ...reconcileStateKey(), type: 'reconcileState' },
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Saves progress (or the finished run): only while this worker holds the lease and the step is the one it read. */
async function commit(item: RunState | Record<string, unknown>, token: string, chunkRead: number): Promise<void> {
  const ok = await putRun(item as Record<string, unknown>, {
    expression: '#lease.#token = :t AND #chunk = :c',
    names: { '#lease': 'lease', '#token': 'token', '#chunk': 'chunk' },
    values: { ':t': token, ':c': chunkRead },
  });
  if (!ok) throw new Error('reconcile: the run was taken over by another worker; this one stops');
}

type Claim = { run: RunState; token: string } | Exclude<ReconcileResult, { status: 'finished' | 'paused' }>;

async function claim(options: Required<Pick<ReconcileOptions, 'segments' | 'pageLimit' | 'leaseMs'>> & ReconcileOptions, now: Date): Promise<Claim> {
  const existing = await readRun();
  const token = randomUUID();
  const lease = { token, until: now.getTime() + options.leaseMs };
  if (!existing || existing.phase === 'done') {
    if (options.start === false) return { status: 'idle' };
    const runId = ulid(now.getTime());
    const startedAt = now.toISOString();
    const trigger = options.trigger ?? 'schedule';
    const run: RunState = {
      runId,
      phase: 'contacts',
      trigger,
      startedAt,
      scanStartMs: now.getTime(),
      segments: Array.from({ length: options.segments }, () => ({ done: false })),
      pageLimit: options.pageLimit,
      chunk: 0,
      summary: emptySummary(runId, trigger, startedAt, existing?.runId),
      lease,
      ...(existing?.runId ? { previousRunId: existing.runId } : {}),
    };
    const ok = await putRun(
      run as unknown as Record<string, unknown>,
      existing ? { expression: '#r = :r AND #p = :done', names: { '#r': 'runId', '#p': 'phase' }, values: { ':r': existing.runId, ':done': 'done' } } : { expression: 'attribute_not_exists(pk)' },
    );
    if (ok) return { run, token };
    const now2 = await readRun();
    return { status: 'busy', runId: String(now2?.runId), leaseUntil: Number(now2?.lease?.until ?? 0) };
  }
  if (existing.lease && existing.lease.until > now.getTime() && !options.takeOver) {
    return { status: 'busy', runId: existing.runId, leaseUntil: existing.lease.until };
  }
  const run: RunState = { ...existing, lease };
  const ok = await putRun(run as unknown as Record<string, unknown>, {
    expression: '#r = :r AND #chunk = :c AND ' + (existing.lease ? '#lease.#token = :old' : 'attribute_not_exists(#lease)'),
    names: { '#r': 'runId', '#chunk': 'chunk', '#lease': 'lease', ...(existing.lease ? { '#token': 'token' } : {}) },
    values: { ':r': existing.runId, ':c': existing.chunk, ...(existing.lease ? { ':old': existing.lease.token } : {}) },
  });
  if (!ok) return { status: 'busy', runId: existing.runId, leaseUntil: existing.lease?.until ?? 0 };
  return { run, token };
}

// ---------------------------------------------------------------- the run

export async function runReconcile(options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const opts = {
    segments: 4,
    pageLimit: PAGE_LIMIT,
    settleMs: 15_000,
    clockSkewMs: 2_000,
    concurrency: 8,
    leaseMs: 16 * 60_000,
    ...options,
  };
  const now = () => opts.now?.() ?? new Date();
  const claimed = await claim(opts, now());
  if (!('run' in claimed)) return claimed;
  const { run, token } = claimed;
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  // A chunk takes a page per segment, two reads of what differs and the repairs; the aggregates phase reads them all twice.
  const chunkBudget = 60_000 + opts.settleMs;
  const aggregatesBudget = 3 * 60_000 + opts.settleMs;
  let steps = 0;
  // Repairs count in a business metric (an alarm goes off on the first), per step as they happen.
  const repairs = () => KINDS.reduce((sum, kind) => sum + run.summary.repaired[kind], 0);
  let counted = repairs();
  const emitRepairs = () => {
    emitMetrics({ [METRIC.reconcileRepairs]: repairs() - counted });
    counted = repairs();
  };
  const pause = async (): Promise<ReconcileResult> => {
    const chunkRead = run.chunk;
    const paused: RunState = { ...run };
    delete paused.lease;
    await commit(paused, token, chunkRead);
    logger.info('reconcile paused; the next tick continues', { runId: run.runId, phase: run.phase, chunks: run.chunk });
    return { status: 'paused', runId: run.runId, phase: run.phase, chunks: run.chunk };
  };
  const work = async (): Promise<ReconcileResult> => {
    for (;;) {
      if (opts.maxChunks !== undefined && steps >= opts.maxChunks) return pause();
      if (run.phase === 'contacts') {
        if (run.segments.every((s) => s.done)) {
          const chunkRead = run.chunk;
          run.phase = 'aggregates';
          await commit(run, token, chunkRead);
          continue;
        }
        if (Date.now() + chunkBudget > deadline) return pause();
        const chunkRead = run.chunk;
        await contactsChunk(run, opts, now());
        run.chunk++;
        run.lease = { token, until: Date.now() + opts.leaseMs };
        await commit(run, token, chunkRead);
        emitRepairs();
        steps++;
        continue;
      }
      if (Date.now() + aggregatesBudget > deadline) return pause();
      await aggregatesPhase(run, opts, now());
      const summary = await finish(run, token, now());
      emitRepairs();
      return { status: 'finished', summary };
    }
  };
  try {
    return await work();
  } catch (error) {
    // The step under way is lost (its progress was not saved); let the next call redo it without waiting for the lease.
    await releaseLease(token).catch(() => undefined);
    throw error;
  }
}

/** Gives the lease up without touching the saved progress. */
async function releaseLease(token: string): Promise<void> {
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: reconcileStateKey(),
      UpdateExpression: 'REMOVE #lease',
      ConditionExpression: '#lease.#token = :t',
      ExpressionAttributeNames: { '#lease': 'lease', '#token': 'token' },
      ExpressionAttributeValues: { ':t': token },
    }),
  );
}

async function finish(run: RunState, token: string, now: Date): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { ...run.summary, finishedAt: now.toISOString(), chunks: run.chunk };
  await ddb().send(
    new PutCommand({ TableName: tableName(), Item: { ...reconcileRunKey(run.runId), type: 'reconcileRun', ...summary, expiresAt: Math.floor(now.getTime() / 1000) + 400 * 86_400 } }),
  );
  await commit({ runId: run.runId, phase: 'done', chunk: run.chunk, finishedAt: summary.finishedAt, lastSummary: summary }, token, run.chunk);
  await deleteRunTotals(run.runId).catch((error) => logger.warn('reconcile: saved totals not deleted (they expire)', { error: error as Error }));
  logger.info('reconcile finished', {
    runId: summary.runId,
    repaired: summary.repaired,
    unsettled: summary.unsettled,
    details: summary.details,
    checked: summary.checked,
    examples: summary.examples,
  });
  return summary;
}

/** The latest finished run's summary, if any. */
export async function lastReconcileSummary(): Promise<ReconcileSummary | undefined> {
  const run = await readRun();
  return (run as unknown as { lastSummary?: ReconcileSummary })?.lastSummary;
}

// ---------------------------------------------------------------- phase 1: contacts

async function scanPage(segment: number, total: number, start: Record<string, unknown> | undefined, limit: number): Promise<ScanCommandOutput> {
  return ddb().send(
    new ScanCommand({
      TableName: tableName(),
      Segment: segment,
      TotalSegments: total,
      Limit: limit,
      ExclusiveStartKey: start,
      FilterExpression: 'begins_with(pk, :c) AND (sk = :p OR sk = :s OR begins_with(sk, :e))',
      ProjectionExpression: 'pk',
      ExpressionAttributeValues: { ':c': contactPk(''), ':p': contactKey('').sk, ':s': contactActivityKey('').sk, ':e': ENGAGEMENT_COUNTER_PREFIX },
    }),
  );
}

interface Analysis {
  collection: ContactCollection;
  counters: CounterRepair[];
  state: StatePlan;
}

function analyse(collection: ContactCollection, now: Date): Analysis {
  const timezone = config().timezone;
  return { collection, counters: planCounterRepairs(collection, timezone, now), state: planStateRepair(collection, timezone, now) };
}

const counterSignature = (r: CounterRepair) => stable({ sk: r.key.sk, exists: r.exists, wm: r.wm, add: r.add, expiry: r.expiry });
const stateSignature = (plan: StatePlan) =>
  plan.repair ? stable({ version: plan.repair.version, next: plan.repair.next, away: plan.repair.away, tombstone: plan.repair.expiresAt !== undefined }) : undefined;

async function contactsChunk(run: RunState, opts: Required<Pick<ReconcileOptions, 'settleMs' | 'concurrency'>>, now: Date): Promise<void> {
  const total = run.segments.length;
  const contactIds: string[] = [];
  await Promise.all(
    run.segments.map(async (cursor, segment) => {
      if (cursor.done) return;
      const page = await scanPage(segment, total, cursor.start, run.pageLimit);
      for (const item of page.Items ?? []) {
        const id = contactIdFromPk(String(item.pk));
        if (id === cursor.last) continue;
        cursor.last = id;
        contactIds.push(id);
      }
      cursor.start = page.LastEvaluatedKey;
      cursor.done = !page.LastEvaluatedKey;
    }),
  );
  const summary = run.summary;
  const first = new Map<string, Analysis>();
  await inParallel(contactIds, opts.concurrency, async (id) => {
    first.set(id, analyse(await readContactCollection(id), now));
  });
  const suspects = [...first.values()].filter((a) => a.counters.length > 0 || a.state.repair);
  const final = new Map<string, Analysis>(first);
  const repairedStates = new Map<string, ContactActivity>();
  if (suspects.length > 0) {
    await sleep(Math.min(...suspects.map((a) => a.collection.readAt)) + opts.settleMs - Date.now());
    await inParallel(suspects, opts.concurrency, async (before) => {
      const after = analyse(await readContactCollection(before.collection.contactId), now);
      final.set(before.collection.contactId, after);
      const state = await repairContact(before, after, summary, now);
      if (state) repairedStates.set(before.collection.contactId, state);
    });
  }
  const totals: Totals = new Map();
  const timezone = config().timezone;
  for (const analysis of final.values()) {
    const c = analysis.collection;
    summary.checked.contacts++;
    summary.checked.counterItems += c.counters.length;
    if (c.state) summary.checked.states++;
    if (!c.profile && !c.alias && c.history.length > 0) summary.details.orphanHistory++;
    const state = repairedStates.get(c.contactId) ?? (c.state ? activityFromItem(c.state) : undefined);
    if (state) addState(totals, state, timezone);
  }
  await saveChunkTotals(run.runId, run.chunk, totals, Math.floor(now.getTime() / 1000) + 7 * 86_400);
}

/** Repairs what two reads `settleMs` apart agree on; counts the rest as unsettled. Returns the state written, if one was. */
async function repairContact(before: Analysis, after: Analysis, summary: RunState['summary'], now: Date): Promise<ContactActivity | undefined> {
  const { contactId } = after.collection;
  const seen = new Set(before.counters.map(counterSignature));
  let countersMoved = false;
  for (const repair of after.counters) {
    const where = `${repair.key.pk}|${repair.key.sk}`;
    if (!seen.has(counterSignature(repair)) || !(await applyCounterRepair(repair, now))) {
      summary.unsettled.engagementCounters++;
      example(summary, 'unsettled', `${where} ${describe(repair.add)}`.trim());
      continue;
    }
    const changesNumbers = Object.keys(repair.add).length > 0 || repair.expiry === 'clear' || !repair.exists;
    if (!changesNumbers) {
      summary.details.tombstonesMarked++;
      continue;
    }
    countersMoved = true;
    summary.repaired.engagementCounters++;
    summary.details.counterFields += Object.keys(repair.add).length;
    if (!repair.exists) summary.details.counterItemsCreated++;
    example(summary, 'engagementCounters', `${where} ${repair.exists ? '' : '(created) '}${describe(repair.add)}${repair.expiry === 'clear' ? ' (unmarked from expiry)' : ''}`.trim());
  }
  // Counters repaired for a contact: its band snapshot (contact base filter) may move with them.
  if (countersMoved && after.collection.profile && (await refreshBandSnapshot(contactId, now)) === 'updated') summary.details.bandsMoved++;

  const repair = after.state.repair;
  if (!repair) return undefined;
  const where = `${contactActivityKey(contactId).pk}|${contactActivityKey(contactId).sk}`;
  if (stateSignature(before.state) !== stateSignature(after.state) || !(await applyStateRepair(repair))) {
    summary.unsettled.activityStates++;
    example(summary, 'unsettled', where);
    return undefined;
  }
  if (repair.markOnly) {
    summary.details.tombstonesMarked++;
    return repair.next;
  }
  summary.repaired.activityStates++;
  if (!repair.stored) summary.details.statesCreated++;
  example(summary, 'activityStates', `${where}${repair.stored ? '' : ' (created)'}${repair.stored && repair.stored.inBase !== repair.next.inBase ? ` inBase ${repair.next.inBase}` : ''}`);
  return repair.next;
}

// ---------------------------------------------------------------- phase 2: aggregates

async function aggregatesPhase(run: RunState, opts: Required<Pick<ReconcileOptions, 'settleMs' | 'clockSkewMs'>>, now: Date): Promise<void> {
  const timezone = config().timezone;
  const totals = await loadRunTotals(run.runId);
  const today = localDay(now, timezone);
  const recentFrom = recentBaseFrom(now, timezone);
  const pass = async () => {
    const readAt = Date.now();
    const stored = await readStoredAggregates(totals, today);
    return { readAt, count: stored.size, diffs: diffAggregates(totals, stored, recentFrom, today) };
  };
  const first = await pass();
  run.summary.checked.aggregateItems = first.count;
  if (first.diffs.length === 0) return;
  await sleep(first.readAt + opts.settleMs - Date.now());
  const second = await pass();
  const seen = new Map(first.diffs.map((d) => [d.id, stable(d)]));
  for (const diff of second.diffs) {
    const settled = seen.get(diff.id) === stable(diff) && settledSince(diff, run.scanStartMs, opts.clockSkewMs);
    if (!settled || !(await applyAggregateRepair(diff))) {
      run.summary.unsettled.aggregates++;
      example(run.summary, 'unsettled', `${diff.id} ${describe(diff.add)}`);
      continue;
    }
    run.summary.repaired.aggregates++;
    run.summary.details.aggregateAttributes += Object.keys(diff.add).length;
    if (!diff.exists) run.summary.details.aggregateItemsCreated++;
    example(run.summary, 'aggregates', `${diff.id} ${describe(diff.add)}`);
  }
}
