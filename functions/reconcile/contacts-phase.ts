import { activityFromItem, type ContactActivity } from '../analytics/contact-activity.js';
import { readContactCollection, scanContactsToReconcile, type ContactCollection } from '../data/contact-collection.js';
import { analyticsStateKey } from '../data/keys.js';
import { refreshBandSnapshot } from '../engagement/band-snapshot.js';
import { sleep } from '../lib/backoff.js';
import { inParallel } from '../lib/concurrency.js';
import { config } from '../lib/config.js';
import { applyStateRepair, planStateRepair, type StatePlan } from './activity-states.js';
import { addState, saveChunkTotals, type Totals } from './aggregates.js';
import { applyCounterRepair, planCounterRepairs, type CounterRepair } from './engagement-counters.js';
import type { RunState } from './run-state.js';
import { describe, example, stable, type RunningSummary } from './summary.js';

/**
 * Phase 1, one chunk: a page of every Scan segment names the contacts to
 * look at; each one's collection is read, its counters and activity state
 * recomputed and what a second read agrees on repaired; then its state's
 * share of the tenant aggregates goes into the chunk's saved totals.
 */
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
  plan.repair ? stable({ version: plan.repair.version, next: plan.repair.next, away: plan.repair.away, binned: plan.repair.binned, tombstone: plan.repair.expiresAt !== undefined }) : undefined;

/** The next page of every segment not done yet: the contacts met, each once, and the cursors moved on. */
async function nextContacts(run: RunState): Promise<string[]> {
  const contactIds: string[] = [];
  await Promise.all(
    run.segments.map(async (cursor, segment) => {
      if (cursor.done) return;
      const page = await scanContactsToReconcile(segment, run.segments.length, cursor.start, run.pageLimit, run.scanStartMs);
      for (const id of page.contactIds) {
        if (id === cursor.last) continue;
        cursor.last = id;
        contactIds.push(id);
      }
      cursor.start = page.next;
      cursor.done = !page.next;
    }),
  );
  return contactIds;
}

export async function contactsChunk(run: RunState, opts: { settleMs: number; concurrency: number }, now: Date): Promise<void> {
  const contactIds = await nextContacts(run);
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
    if (!c.profile && !c.binned && !c.alias && c.history.length > 0) summary.details.orphanHistory++;
    const state = repairedStates.get(c.contactId) ?? (c.state ? activityFromItem(c.state) : undefined);
    if (state) addState(totals, state, timezone);
  }
  await saveChunkTotals(run.runId, run.chunk, totals, Math.floor(now.getTime() / 1000) + 7 * 86_400);
}

/** Repairs what two reads `settleMs` apart agree on; counts the rest as unsettled. Returns the state written, if one was. */
async function repairContact(before: Analysis, after: Analysis, summary: RunningSummary, now: Date): Promise<ContactActivity | undefined> {
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
  const where = `${analyticsStateKey(contactId).pk}|${analyticsStateKey(contactId).sk}`;
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
