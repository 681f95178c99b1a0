import { writeFileSync } from 'node:fs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { inParallel } from '../../functions/lib/concurrency.js';
import { mergeTiming } from '../../functions/merge/merge-record.js';
import { processBatch } from '../../functions/streams/process-table-stream.js';
import { prng } from '../../infra/local/seed.js';
import { addDays, localDay } from '../../shared/analytics.js';
import { BANDS } from '../../shared/engagement.js';
import { engagementCheck } from '../support/engagement-check.js';
import { createApiKey, postEvents, type PlannedEvent } from '../support/events.js';
import { startLocalStack, type ApiResponse } from '../support/local-stack.js';
import { rawClient } from '../support/raw-client.js';
import {
  differences,
  expectedBands,
  expectedMemberships,
  expectedPanel,
  expectedSuggestions,
  panelFacts,
  readTable,
  binnedLeaks,
  sortGeography,
  survivingCounters,
} from '../support/recompute.js';
import { describeRecord, StreamRecorder, type FeedReport, type StreamHandler } from '../support/stream-recorder.js';

/**
 * Issue 15: every derived number equals a recomputation from the stored
 * contacts and events, whatever the stream does.
 *
 * Random sequences of ordinary operations go through the HTTP API (create,
 * create-then-delete before the stream saw the creation, edits, blocks,
 * lists and tags, deletes and bulk deletes (to the recycle bin), restores
 * from the bin (one, or a restore job) and purges, merges and undos, CSV imports,
 * erasures (most of their suppressions lifted again),
 * message and conversation events) while nothing processes the stream
 * (the local stack's poller is stopped for the whole file). Then the
 * recorded stream is fed to the real stream handler through the real filter
 * criteria, in random batch cuts, with duplicate deliveries and replays of
 * suffixes, until the processors' own writes stop producing records. Then
 * every derived number is compared with an independent recomputation from
 * the table (test/support/recompute.ts).
 *
 * Each run continues on the same table (contacts accumulate, as in a real
 * tenant). CHURN_SEED and CHURN_RUNS override fast-check's seed and the
 * number of runs; a failure prints the seed, the run's operations and every
 * difference found; CHURN_DUMP=<file> also writes the table and the recorded
 * stream there, CHURN_VERBOSE=1 prints what each run built and
 * CHURN_TRACE=<pk or contact alias such as c47>|<sk> follows one item through the feed; CHURN_NOW=<ISO
 * time> plans event times as if the run started then (a failure tied to the clock repeats).
 */

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let recorder: StreamRecorder;
let raw: ReturnType<typeof rawClient>;
let apiKey: string;
let firstDay: string;
const TIMEZONE = 'America/Sao_Paulo';

const admin = () => stack.api.as('admin', 'churn-admin');
const operator = () => stack.api.as('operator', 'churn-operator');

// ------------------------------------------------------------ the model the operations pick from

interface Known {
  phone: string | null;
  email: string | null;
  blocked: boolean;
}
/** Contacts the API lists, by id (refreshed from GET /v1/contacts after operations that change many). */
const live = new Map<string, Known>();
/** Ids of contacts deleted or merged away: events still name them now and then. */
const gone: string[] = [];
/** Ids of deleted contacts in the recycle bin (restorable, purgeable). */
const binned: string[] = [];
const merges: { id: string; primaryId: string; duplicateIds: string[]; undone: boolean }[] = [];
const lists: { id: string; name: string }[] = [];
const tags: { id: string; name: string }[] = [];
const aliases = new Map<string, string>();
/** A short name for a contact id in the journal and the problems (the failure message ends with the ids it names). */
const alias = (id: string) => {
  if (!aliases.has(id)) aliases.set(id, `c${aliases.size + 1}`);
  return aliases.get(id)!;
};
/** `cN=<id>` for every contact `text` names, by alias or by id. */
function namedContacts(text: string): string {
  const named = [...aliases].filter(([id, a]) => new RegExp(`\\b${a}\\b`).test(text) || text.includes(id));
  return named.map(([id, a]) => `${a}=${id}`).join(' ');
}

/** Phones and emails several contacts share (duplicates), and fresh ones. */
const PHONES = ['+5511987650001', '(21) 98765-0002', '+55 31 98765-0003', '61987650004', '+5520987650005', '+12124567890', '+351912345678', '+5491123456789'];
const EMAILS = ['ana@churn.example', 'BIA@churn.example', 'caio@churn.example', 'dora@churn.example'];
const DDDS = ['11', '21', '31', '41', '51', '61', '71', '85', '20', '92'];
let serial = 0;
const freshPhone = (r: ReturnType<typeof prng>) => `+55${r.pick(DDDS)}9${String(81_000_000 + serial++).padStart(8, '0')}`;
const freshEmail = () => `p${serial++}@fresh.example`;
const NAMES = ['Ana', 'Bruno', 'Camila', 'Diego', 'Érica', 'Fábio', 'Júlia', 'Lucía', 'Otávio', 'Sofia'];

async function allPages<T = any>(path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: ApiResponse = await admin().get(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}: ${JSON.stringify(page.body)}`);
    out.push(...page.body.items);
    cursor = page.body.cursor;
  } while (cursor);
  return out;
}

async function refresh(): Promise<void> {
  const listed = await allPages('/v1/contacts');
  const before = new Set(live.keys());
  live.clear();
  for (const c of listed) live.set(c.id, { phone: c.phone, email: c.email, blocked: c.blocked === true });
  for (const id of before) if (!live.has(id) && !gone.includes(id)) gone.push(id);
}

// ------------------------------------------------------------ operations

type Rng = ReturnType<typeof prng>;
type Journal = string[];

const OP_KINDS = ['create', 'createThenDelete', 'edit', 'events', 'send', 'delete', 'bulkDelete', 'restore', 'purge', 'merge', 'undo', 'import', 'erase'] as const;
type OpKind = (typeof OP_KINDS)[number];
interface Op {
  kind: OpKind;
  seed: number;
}

const pickLive = (r: Rng, filter: (id: string, k: Known) => boolean = () => true): string | undefined => {
  const ids = [...live.entries()].filter(([id, k]) => filter(id, k)).map(([id]) => id);
  return ids.length ? r.pick(ids) : undefined;
};

function contactBody(r: Rng): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (r.chance(0.8)) body.firstName = r.pick(NAMES);
  if (r.chance(0.4)) body.lastName = r.pick(['Silva', 'Souza', 'Lima', 'García']);
  if (r.chance(0.65)) body.phone = r.chance(0.6) ? r.pick(PHONES) : freshPhone(r);
  if (r.chance(0.45)) body.email = r.chance(0.6) ? r.pick(EMAILS) : freshEmail();
  if (!body.firstName && !body.phone && !body.email) body.firstName = r.pick(NAMES);
  return body;
}

async function create(r: Rng, journal: Journal, options: { extras?: boolean } = {}): Promise<string | undefined> {
  const body = contactBody(r);
  const created = await operator().post('/v1/contacts', body);
  if (created.status !== 201) {
    journal.push(`  create ${JSON.stringify(body)} -> ${created.status} ${JSON.stringify(created.body)}`);
    return undefined;
  }
  const id = created.body.id as string;
  live.set(id, { phone: created.body.phone, email: created.body.email, blocked: false });
  const extras: string[] = [];
  if (options.extras !== false) {
    if (r.chance(0.2)) {
      const blocked = await operator().post(`/v1/contacts/${id}/block`);
      extras.push(`block->${blocked.status}`);
      if (blocked.status === 200) live.get(id)!.blocked = true;
    }
    for (const list of lists) {
      if (r.chance(0.3)) extras.push(`list ${list.name}->${(await operator().put(`/v1/contacts/${id}/lists/${list.id}`)).status}`);
    }
    for (const tag of tags) {
      if (r.chance(0.25)) extras.push(`tag ${tag.name}->${(await operator().post(`/v1/contacts/${id}/tags`, { name: tag.name })).status}`);
    }
  }
  journal.push(`  create ${alias(id)} ${JSON.stringify(body)}${extras.length ? ` [${extras.join(', ')}]` : ''}`);
  return id;
}

async function deleteOne(id: string, journal: Journal): Promise<void> {
  const response = await operator().delete(`/v1/contacts/${id}`);
  journal.push(`  delete ${alias(id)} -> ${response.status}`);
  if (response.status === 204) {
    live.delete(id);
    gone.push(id);
    binned.push(id);
  }
}

async function waitForJob(id: string): Promise<Record<string, any>> {
  for (let attempt = 0; ; attempt++) {
    await stack.idleJobs();
    const job = (await operator().get(`/v1/jobs/${id}`)).body;
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (attempt >= 20) throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
    await stack.runSchedule('resume-jobs');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function bulkDelete(ids: string[], journal: Journal): Promise<void> {
  const started = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: ids });
  if (started.status !== 202) {
    journal.push(`  bulk delete [${ids.map(alias).join(' ')}] -> ${started.status} ${JSON.stringify(started.body)}`);
    return;
  }
  const job = await waitForJob(started.body.id);
  journal.push(`  bulk delete [${ids.map(alias).join(' ')}] -> job ${job.status} processed ${job.processed} failed ${job.failed}`);
  for (const id of ids) {
    // A contact the job did not find (merged away meanwhile, say) is not in the bin: the checks compare the bin with the table.
    if (live.delete(id)) binned.push(id);
    gone.push(id);
  }
}

const forget = (list: string[], id: string) => {
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1);
};

/** Restores binned contacts one by one (the route) or as a restore-contacts job; they are listed again. */
async function restore(r: Rng, journal: Journal): Promise<void> {
  if (binned.length === 0) return void journal.push('  (nothing in the bin: skipped)');
  if (r.chance(0.3)) {
    const ids = [...new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(binned)))];
    const started = await admin().post('/v1/jobs', { type: 'restore-contacts', contactIds: ids });
    const job = started.status === 202 ? await waitForJob(started.body.id) : undefined;
    journal.push(`  restore job [${ids.map(alias).join(' ')}] -> ${started.status} ${job ? `job ${job.status} processed ${job.processed}` : JSON.stringify(started.body)}`);
  } else {
    const id = r.pick(binned);
    const response = await admin().post(`/v1/recycle-bin/${id}/restore`);
    journal.push(`  restore ${alias(id)} -> ${response.status}`);
  }
  await refresh();
  for (const id of [...binned]) {
    if (!live.has(id)) continue;
    forget(binned, id);
    forget(gone, id);
  }
}

async function purge(r: Rng, journal: Journal): Promise<void> {
  if (binned.length === 0) return void journal.push('  (nothing in the bin: skipped)');
  const id = r.pick(binned);
  const response = await admin().delete(`/v1/recycle-bin/${id}`);
  journal.push(`  purge ${alias(id)} from the bin -> ${response.status}`);
  if (response.status === 204) forget(binned, id);
}

async function settleMerge(id: string, want: string[]): Promise<Record<string, any>> {
  for (let attempt = 0; ; attempt++) {
    const record = (await admin().get(`/v1/merges/${id}`)).body;
    if (want.includes(record.status) || record.status === 'failed' || attempt >= 20) return record;
    await stack.runSchedule('resume-merges');
  }
}

async function merge(primaryId: string, duplicateIds: string[], journal: Journal): Promise<void> {
  const response = await admin().post('/v1/merges', { primaryId, duplicateIds });
  let status = response.body?.status;
  if (response.status === 201 && status !== 'completed') status = (await settleMerge(response.body.id, ['completed'])).status;
  journal.push(`  merge ${duplicateIds.map(alias).join(' ')} into ${alias(primaryId)} -> ${response.status} ${status ?? JSON.stringify(response.body)}`);
  if (response.status === 201) merges.push({ id: response.body.id, primaryId, duplicateIds, undone: false });
  await refresh();
}

async function undo(m: (typeof merges)[number], journal: Journal): Promise<void> {
  const response = await admin().post(`/v1/merges/${m.id}/undo`);
  let status = response.body?.status;
  if (response.status === 200 && status !== 'undone') status = (await settleMerge(m.id, ['undone'])).status;
  journal.push(`  undo merge of ${m.duplicateIds.map(alias).join(' ')} into ${alias(m.primaryId)} -> ${response.status} ${status ?? JSON.stringify(response.body?.error?.message)}`);
  if (response.status === 200) m.undone = true;
  await refresh();
}

async function importCsv(r: Rng, journal: Journal): Promise<string[]> {
  const rows = ['firstName,last_name,Phone,E-mail'];
  for (let i = r.int(1, 4); i > 0; i--) {
    const phone = r.chance(0.15) ? 'not a phone' : r.chance(0.5) ? r.pick(PHONES) : r.chance(0.8) ? freshPhone(r) : '';
    const email = r.chance(0.4) ? (r.chance(0.5) ? r.pick(EMAILS) : freshEmail()) : '';
    rows.push(`${r.pick(NAMES)},${r.pick(['', 'Dias'])},${phone},${email}`);
  }
  const onDuplicate = r.pick(['update', 'update', 'skip', 'create'] as const);
  const list = r.chance(0.4) ? r.pick(lists) : undefined;
  const before = new Set(live.keys());
  const started = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'churn.csv', csv: rows.join('\n'), onDuplicate, ...(list ? { listId: list.id } : {}) });
  if (started.status !== 202) {
    journal.push(`  import -> ${started.status} ${JSON.stringify(started.body)}`);
    return [];
  }
  const job = await waitForJob(started.body.id);
  await refresh();
  const created = [...live.keys()].filter((id) => !before.has(id));
  journal.push(
    `  import ${JSON.stringify(rows.slice(1))} onDuplicate=${onDuplicate}${list ? ` list ${list.name}` : ''} -> job ${job.status} ${JSON.stringify(job.summary ?? {})} errors ${job.errors?.length ?? 0}; new ${created.map(alias).join(' ') || 'none'}`,
  );
  return created;
}

// ------------------------------------------------------------ integration events

const MINUTE = 60_000;
const CHANNELS = ['sms', 'whatsapp', 'rcs', 'email', 'webchat'] as const;

/** How an event names its contact: mostly by id, sometimes by a phone or email it has, now and then a contact that is gone. */
function targetFor(r: Rng, id: string): Record<string, string> {
  const known = live.get(id);
  if (known?.phone && r.chance(0.15)) return { phone: known.phone };
  if (known?.email && r.chance(0.1)) return { email: known.email };
  if (gone.length && r.chance(0.06)) return { contactId: r.pick(gone) };
  return { contactId: id };
}

/** A moment of the last ~6 months, whole minutes (most within 90 days, many within the last week). */
function momentAgo(r: Rng, now: number): number {
  const days = r.pick([0, 0, 1, 3, 6, 12, 29, 45, 89, 120, 170]);
  return Math.floor(now / MINUTE) * MINUTE - days * 86_400_000 - r.int(5, 20 * 60) * MINUTE;
}

const CLOCK_SHIFT = process.env.CHURN_NOW ? Date.now() - Date.parse(process.env.CHURN_NOW) : 0;

function planTraffic(r: Rng, id: string, series: string, options: { messageId?: string } = {}): { events: PlannedEvent[]; summary: string } {
  const now = Date.now() - CLOCK_SHIFT;
  const clamp = (t: number) => new Date(Math.min(t, Math.floor(now / MINUTE) * MINUTE - MINUTE)).toISOString();
  const events: PlannedEvent[] = [];
  const parts: string[] = [];
  let n = 0;
  const eid = () => `${series}-e${n++}`;
  let lastBroadcast: number | undefined;
  const messages = options.messageId ? 1 : r.int(1, 4);
  for (let m = 0; m < messages; m++) {
    const target = targetFor(r, id);
    const channel = r.pick(CHANNELS);
    const broadcast = options.messageId ? false : r.chance(0.6);
    const t0 = momentAgo(r, now);
    const messageId = options.messageId ?? `${series}-m${m}`;
    const statuses: [string, number][] = [];
    if (r.chance(0.85)) statuses.push(['sent', 0]);
    if (r.chance(0.7)) statuses.push(['delivered', 1]);
    if (r.chance(0.35)) statuses.push(['read', r.int(2, 300)]);
    if (r.chance(0.15)) statuses.push(['clicked', r.int(3, 400)]);
    if (r.chance(0.15)) statuses.push(['replied', r.int(3, 500)]);
    if (r.chance(0.12) || statuses.length === 0) statuses.push(['failed', 1]);
    for (const [status, minutes] of statuses) {
      const event = { id: eid(), type: 'message.status', ...target, messageId, channel, broadcast, status, at: clamp(t0 + minutes * MINUTE) };
      events.push(event);
      // A platform retrying a call: the same event again is a duplicate and changes nothing.
      if (r.chance(0.1)) events.push({ ...event });
    }
    if (broadcast) lastBroadcast = t0;
    parts.push(`${broadcast ? 'broadcast' : 'message'} ${channel} ${statuses.map(([s]) => s).join('+')} ${new Date(t0).toISOString().slice(0, 16)}${'contactId' in target && target.contactId !== id ? ` to ${alias(target.contactId)}` : 'contactId' in target ? '' : ` by ${Object.keys(target)[0]}`}`);
  }
  const conversations = options.messageId ? 0 : r.int(0, 2);
  for (let c = 0; c < conversations; c++) {
    const target = targetFor(r, id);
    const kind = r.pick(['sales', 'support'] as const);
    // Sales conversations often follow a broadcast within days (the journey funnel), sometimes just too late.
    const after = lastBroadcast !== undefined && kind === 'sales' && r.chance(0.6) ? lastBroadcast + r.int(0, 8 * 24 * 60) * MINUTE : undefined;
    const t0 = after !== undefined && after < now - 3 * 60 * MINUTE ? after : momentAgo(r, now);
    const conversationId = `${series}-c${c}`;
    const shape = r.pick(['open', 'open', 'open', 'messagesOnly', 'resolvedOnly'] as const);
    const base = { ...target, conversationId };
    if (shape === 'open') events.push({ ...base, id: eid(), type: 'conversation.status', kind, status: 'open', at: clamp(t0) });
    if (shape === 'resolvedOnly' || (shape === 'open' && r.chance(0.4))) {
      events.push({ ...base, id: eid(), type: 'conversation.status', kind, status: 'resolved', at: clamp(t0 + r.int(30, 3000) * MINUTE) });
    }
    const said = r.int(shape === 'messagesOnly' ? 1 : 0, 3);
    for (let s = 0; s < said; s++) {
      const from = r.pick(['contact', 'agent'] as const);
      const text = from === 'agent' ? 'Olá! Como posso ajudar?' : r.pick(['Obrigado, adorei!', 'Não recebi meu pedido, péssimo', 'Quando chega?', 'Great service']);
      events.push({ ...base, id: eid(), type: 'conversation.message', from, text, at: clamp(t0 + r.int(1, 180) * MINUTE) });
    }
    parts.push(`${kind} conversation ${shape} +${said} messages ${new Date(t0).toISOString().slice(0, 16)}`);
  }
  // Arrival order is the platform's, not the events' order.
  for (let i = events.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [events[i], events[j]] = [events[j], events[i]];
  }
  return { events, summary: parts.join('; ') || 'nothing' };
}

async function traffic(r: Rng, id: string, series: string, journal: Journal, options: { messageId?: string } = {}): Promise<void> {
  const { events, summary } = planTraffic(r, id, series, options);
  if (events.length === 0) return;
  const outcome = await postEvents(stack.api, apiKey, events, { concurrency: 1 });
  journal.push(`  events for ${alias(id)}: ${summary} -> accepted ${outcome.accepted} duplicates ${outcome.duplicates} rejected ${outcome.rejected}${outcome.failedCalls ? ` FAILED CALLS ${outcome.failedCalls}` : ''}`);
}

// ------------------------------------------------------------ one operation

async function run(op: Op, index: number, journal: Journal): Promise<void> {
  const r = prng(op.seed);
  const series = `r${runNumber}o${index}s${op.seed >>> 0}`;
  journal.push(`${index + 1}. ${op.kind}`);
  switch (op.kind) {
    case 'create': {
      const id = await create(r, journal);
      if (id && r.chance(0.6)) await traffic(r, id, series, journal);
      return;
    }
    case 'createThenDelete': {
      // The known bug: the contact is gone before the stream processes its creation.
      const variant = r.pick(['plain', 'events', 'edited', 'bulk', 'mergedAway', 'mergedAndUndone', 'imported'] as const);
      journal.push(`  (${variant})`);
      if (variant === 'imported') {
        const created = await importCsv(r, journal);
        if (created.length) await bulkDelete(created, journal);
        return;
      }
      const ids: string[] = [];
      for (let i = variant === 'bulk' ? r.int(1, 3) : 1; i > 0; i--) {
        const id = await create(r, journal, { extras: variant !== 'plain' });
        if (id) ids.push(id);
      }
      if (ids.length === 0) return;
      const [id] = ids;
      if (variant === 'events' || variant === 'mergedAway' || variant === 'mergedAndUndone') await traffic(r, id, series, journal);
      if (variant === 'edited') {
        const patch = contactBody(r);
        journal.push(`  patch ${alias(id)} ${JSON.stringify(patch)} -> ${(await operator().patch(`/v1/contacts/${id}`, patch)).status}`);
      }
      if (variant === 'bulk') {
        const other = r.chance(0.3) ? pickLive(r, (x) => !ids.includes(x)) : undefined;
        await bulkDelete(other ? [...ids, other] : ids, journal);
      } else if (variant === 'mergedAway' || variant === 'mergedAndUndone') {
        const primary = pickLive(r, (x) => x !== id);
        if (!primary) return deleteOne(id, journal);
        await merge(primary, [id], journal);
        if (variant === 'mergedAndUndone' && merges.length && merges[merges.length - 1].duplicateIds[0] === id) await undo(merges[merges.length - 1], journal);
      } else await deleteOne(id, journal);
      return;
    }
    case 'edit': {
      const id = pickLive(r);
      if (!id) return void journal.push('  (no contact: skipped)');
      const what = r.pick(['name', 'phone', 'email', 'clear', 'block', 'unblock', 'tag', 'untag', 'list', 'unlist'] as const);
      let response: ApiResponse;
      let detail: unknown = '';
      switch (what) {
        case 'name':
          response = await operator().patch(`/v1/contacts/${id}`, (detail = { firstName: r.pick(NAMES) }));
          break;
        case 'phone':
          response = await operator().patch(`/v1/contacts/${id}`, (detail = { phone: r.chance(0.7) ? r.pick(PHONES) : freshPhone(r) }));
          break;
        case 'email':
          response = await operator().patch(`/v1/contacts/${id}`, (detail = { email: r.chance(0.7) ? r.pick(EMAILS) : freshEmail() }));
          break;
        case 'clear':
          response = await operator().patch(`/v1/contacts/${id}`, (detail = { [r.pick(['phone', 'email'])]: null, firstName: r.pick(NAMES) }));
          break;
        case 'block':
          response = await operator().post(`/v1/contacts/${id}/block`);
          break;
        case 'unblock':
          response = await admin().post(`/v1/contacts/${id}/unblock`);
          break;
        case 'tag': {
          const tag = r.pick(tags);
          response = await operator().post(`/v1/contacts/${id}/tags`, { name: tag.name });
          detail = tag.name;
          break;
        }
        case 'untag': {
          const tag = r.pick(tags);
          response = await admin().delete(`/v1/contacts/${id}/tags/${tag.id}`);
          detail = tag.name;
          break;
        }
        case 'list': {
          const list = r.pick(lists);
          response = await operator().put(`/v1/contacts/${id}/lists/${list.id}`);
          detail = list.name;
          break;
        }
        case 'unlist': {
          const list = r.pick(lists);
          response = await operator().delete(`/v1/contacts/${id}/lists/${list.id}`);
          detail = list.name;
          break;
        }
      }
      journal.push(`  ${what} ${alias(id)} ${detail ? JSON.stringify(detail) : ''} -> ${response.status}`);
      if (response.status === 200 && response.body && typeof response.body === 'object' && 'blocked' in response.body) {
        live.set(id, { phone: response.body.phone, email: response.body.email, blocked: response.body.blocked === true });
      }
      return;
    }
    case 'events': {
      const id = pickLive(r);
      if (!id) return void journal.push('  (no contact: skipped)');
      await traffic(r, id, series, journal);
      return;
    }
    case 'send': {
      const id = pickLive(r);
      if (!id) return void journal.push('  (no contact: skipped)');
      const channel = r.pick(['sms', 'whatsapp', 'email'] as const);
      const sent = await operator().post(`/v1/contacts/${id}/messages`, { channel, text: 'Oferta da semana' });
      journal.push(`  send ${channel} to ${alias(id)} -> ${sent.status} ${sent.body?.status ?? ''}${sent.body?.reason ? ` (${sent.body.reason})` : ''}`);
      if (sent.status === 202 && sent.body.status === 'queued') await traffic(r, id, series, journal, { messageId: sent.body.id });
      return;
    }
    case 'delete': {
      const id = pickLive(r);
      if (!id) return void journal.push('  (no contact: skipped)');
      await deleteOne(id, journal);
      return;
    }
    case 'bulkDelete': {
      const ids = [...new Set(Array.from({ length: r.int(1, 3) }, () => pickLive(r)).filter((x): x is string => !!x))];
      if (ids.length === 0) return void journal.push('  (no contact: skipped)');
      await bulkDelete(ids, journal);
      return;
    }
    case 'restore': {
      await restore(r, journal);
      return;
    }
    case 'purge': {
      await purge(r, journal);
      return;
    }
    case 'merge': {
      // Duplicates by a shared phone or email when there are some, else any two contacts.
      const groups = new Map<string, string[]>();
      for (const [id, k] of live) {
        for (const key of [k.phone && `p:${k.phone}`, k.email && `e:${k.email.toLowerCase()}`]) if (key) groups.set(key, [...(groups.get(key) ?? []), id]);
      }
      const shared = [...groups.values()].filter((g) => g.length >= 2);
      let members: string[];
      if (shared.length && r.chance(0.8)) members = r.pick(shared);
      else members = [...live.keys()];
      if (members.length < 2) return void journal.push('  (no two contacts: skipped)');
      const shuffled = [...members].sort(() => r.next() - 0.5);
      await merge(shuffled[0], shuffled.slice(1, 1 + r.int(1, Math.min(2, shuffled.length - 1))), journal);
      return;
    }
    case 'undo': {
      const open = merges.filter((m) => !m.undone);
      if (open.length === 0) return void journal.push('  (no merge to undo: skipped)');
      await undo(r.chance(0.7) ? open[open.length - 1] : r.pick(open), journal);
      return;
    }
    case 'import': {
      await importCsv(r, journal);
      return;
    }
    case 'erase': {
      // A live contact (a merge primary: its duplicates are erased with it) or one in the recycle bin, erased by an admin.
      const id = binned.length && r.chance(0.3) ? r.pick(binned) : pickLive(r);
      if (!id) return void journal.push('  (no contact: skipped)');
      const erased = await admin().post(`/v1/contacts/${id}/erase`);
      if (erased.status === 200 && binned.includes(id)) {
        forget(binned, id);
        gone.push(id);
      }
      // Most suppressions are lifted again, so the shared phones and emails keep making duplicates.
      const lifted: number[] = [];
      if (erased.status === 200) for (const s of erased.body.suppressions) if (r.chance(0.7)) lifted.push((await admin().delete(`/v1/suppressions/${s.id}`)).status);
      journal.push(`  erase ${alias(id)} -> ${erased.status} ${erased.status === 200 ? `${erased.body.suppressions.length} suppressed, lifted ${lifted.join(' ') || 'none'}` : JSON.stringify(erased.body)}`);
      await refresh();
      return;
    }
  }
}

// ------------------------------------------------------------ checks

const PERIODS = (today: string) => [
  { label: 'today', from: today, to: today },
  { label: 'last 7 days', from: addDays(today, -6), to: today },
  { label: 'last 30 days', from: addDays(today, -29), to: today },
  { label: 'last 90 days', from: addDays(today, -89), to: today },
  { label: 'custom 200 days', from: addDays(today, -199), to: today },
  { label: 'custom in the past', from: addDays(today, -150), to: addDays(today, -45) },
];

async function check(report: FeedReport): Promise<string[]> {
  const problems: string[] = [];
  for (const f of report.failures.slice(0, 8)) {
    problems.push(`batch item failures (${f.kind}, pass ${f.pass}, ${f.batch.length} records): failed ${f.failed.slice(0, 6).join(' | ')}${f.failed.length > 6 ? ` (+${f.failed.length - 6})` : ''}${f.error ? `; threw ${f.error.split('\n')[0]}` : ''}`);
  }
  if (report.failures.length > 8) problems.push(`... ${report.failures.length - 8} more invocations reported failures`);
  if (report.givenUp.length) problems.push(`records given up after retries: ${report.givenUp.slice(0, 6).join(' | ')}${report.givenUp.length > 6 ? ` (+${report.givenUp.length - 6})` : ''}`);
  if (!report.settled) problems.push(`the stream did not settle after ${report.passes} passes`);

  const state = await readTable(raw, stack.tableName);
  const today = localDay(Date.now(), TIMEZONE);
  if (process.env.CHURN_VERBOSE) {
    console.log(
      `run ${runNumber}: ${state.profiles.size} contacts, ${state.messages.length} messages, ${state.conversations.length} conversations, ${state.items.length} items; ` +
        `feed: ${report.records} records, ${report.invocations} invocations, ${report.passes} passes, ${report.failures.length} with failures`,
    );
  }

  // Contact base: the listing, the profiles and the panel of every period ending today agree.
  const listed = await allPages('/v1/contacts');
  const listedIds = new Set(listed.map((c) => c.id as string));
  if (listedIds.size !== state.profiles.size || [...listedIds].some((id) => !state.profiles.has(id))) {
    problems.push(`GET /v1/contacts lists ${listedIds.size} contacts, the table holds ${state.profiles.size} profiles`);
  }

  const facts = panelFacts(state, TIMEZONE);
  for (const period of PERIODS(today)) {
    const response = await operator().get(`/v1/analytics/contacts?from=${period.from}&to=${period.to}`);
    if (response.status !== 200) {
      problems.push(`panel ${period.label}: ${response.status} ${JSON.stringify(response.body)}`);
      continue;
    }
    const expected = expectedPanel(state, facts, period, { today, firstDay });
    const actual = { ...response.body, geography: sortGeography(response.body.geography ?? []) };
    for (const d of differences(expected, actual)) problems.push(`panel ${period.label} (${period.from}..${period.to}) ${d}`);
    if (period.to === today && response.body.interactions?.contactBase?.value !== listedIds.size) {
      problems.push(`panel ${period.label}: contactBase.value ${response.body.interactions?.contactBase?.value} but GET /v1/contacts lists ${listedIds.size}`);
    }
  }
  const byDefault = await operator().get('/v1/analytics/contacts');
  const last30 = PERIODS(today)[2];
  for (const d of differences(expectedPanel(state, facts, last30, { today, firstDay }), { ...byDefault.body, geography: sortGeography(byDefault.body?.geography ?? []) })) {
    problems.push(`panel by default (last 30 days) ${d}`);
  }

  // Engagement counters of every contact, stored vs recomputed from its messages and conversations.
  const engagement = engagementCheck(stack, TIMEZONE);
  try {
    await inParallel([...state.profiles.keys()], 6, async (id) => {
      const { stored, expected } = await engagement.counters(id);
      for (const d of differences(expected, stored)) problems.push(`engagement counters of ${alias(id)} ${d}`);
      for (const sk of Object.keys(stored)) if (!(sk in expected)) problems.push(`engagement counters of ${alias(id)} ${sk}: expected none, got ${JSON.stringify(stored[sk])}`);
    });
  } finally {
    engagement.close();
  }

  // Engagement bands on the contact base (?band=): snapshots taken when counters change, so only
  // while no day has left the 90-day window since the file began (schedules, which roll it, are off here).
  const bands = expectedBands(state, TIMEZONE, today);
  for (const band of today === firstDay ? BANDS : []) {
    const got = new Set((await allPages(`/v1/contacts?band=${band}`)).map((c) => c.id as string));
    const want = new Set([...bands].filter(([, b]) => b === band).map(([id]) => id));
    const missing = [...want].filter((id) => !got.has(id));
    const extra = [...got].filter((id) => !want.has(id));
    if (missing.length || extra.length) problems.push(`band ${band}: missing ${missing.map(alias).join(' ') || 'none'}; listed but not in the band ${extra.map((id) => `${alias(id)} (band ${bands.get(id) ?? 'gone'})`).join(' ') || 'none'}`);
  }

  // List and tag counts.
  const members = expectedMemberships(state);
  for (const list of await allPages('/v1/lists')) {
    const want = members.lists.get(list.id) ?? 0;
    if (list.memberCount !== want) problems.push(`list ${list.name}: memberCount ${list.memberCount}, members ${want}`);
  }
  for (const tag of await allPages('/v1/tags')) {
    const want = members.tags.get(tag.id) ?? 0;
    if (tag.contactCount !== want) problems.push(`tag ${tag.name}: contactCount ${tag.contactCount}, members ${want}`);
  }

  // Duplicate suggestions.
  const suggested = new Map((await allPages('/v1/merge-suggestions')).map((s) => [s.key as string, (s.contacts as { id: string }[]).map((c) => c.id).sort()]));
  const groups = expectedSuggestions(state);
  for (const [key, ids] of groups) {
    const got = suggested.get(key);
    if (!got || got.join() !== ids.join()) problems.push(`merge suggestion ${key}: expected ${ids.map(alias).join(' ')}, got ${got ? got.map(alias).join(' ') : 'none'}`);
  }
  for (const [key, ids] of suggested) if (!groups.has(key)) problems.push(`merge suggestion ${key}: expected none, got ${ids.map(alias).join(' ')}`);

  // No counter item of a contact that does not exist, unless an expiring zeroed tombstone.
  for (const line of survivingCounters(state)) problems.push(`counter item of a contact without a profile: ${line}`);

  // The recycle bin lists exactly the binned profiles, which are out of every contact index and count.
  for (const line of binnedLeaks(state)) problems.push(`recycle bin: ${line}`);
  const inBin = new Set((await allPages('/v1/recycle-bin')).map((c) => c.id as string));
  const wantInBin = new Set([...state.binned].filter(([, profile]) => profile.purging === undefined).map(([id]) => id));
  const binMissing = [...wantInBin].filter((id) => !inBin.has(id));
  const binExtra = [...inBin].filter((id) => !wantInBin.has(id));
  if (binMissing.length || binExtra.length) problems.push(`recycle bin listing: missing ${binMissing.map(alias).join(' ') || 'none'}; extra ${binExtra.map(alias).join(' ') || 'none'}`);
  // Their engagement counters stay what their history gives, for a restore.
  const binnedCheck = engagementCheck(stack, TIMEZONE);
  try {
    await inParallel([...state.binned.keys()], 6, async (id) => {
      const { stored, expected } = await binnedCheck.counters(id);
      for (const d of differences(expected, stored)) problems.push(`engagement counters of ${alias(id)} (in the bin) ${d}`);
    });
  } finally {
    binnedCheck.close();
  }
  return problems;
}

/**
 * CHURN_TRACE=<pk>|<sk> prints that item after every invocation that changed it, with the
 * invocation's records: to find which batch of the feed moved a number the wrong way.
 */
function traced(handler: StreamHandler): StreamHandler {
  const [named, sk] = process.env.CHURN_TRACE?.split('|') ?? [];
  if (!named || !sk) return handler;
  let last: string | undefined;
  return async (event) => {
    // A contact's alias in the journal (c47) stands for its id.
    const byAlias = [...aliases].find(([, a]) => a === named)?.[0];
    const pk = byAlias ? `CONTACT#${byAlias}` : named;
    const out = await handler(event);
    const item = (await raw.send(new GetCommand({ TableName: stack.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;
    const now = JSON.stringify(item ?? null);
    if (now !== last || event.Records.some((r) => r.dynamodb?.Keys?.pk?.S === pk)) console.log(`TRACE run ${runNumber}: after [${event.Records.map(describeRecord).join(', ')}]\n  ${pk}|${sk} = ${now}`);
    last = now;
    return out;
  };
}

// ------------------------------------------------------------ the property

let runNumber = 0;

beforeAll(async () => {
  stack = await startLocalStack({ timezone: TIMEZONE });
  // Nothing but the test's own feed processes the stream.
  await stack.poller.stop();
  firstDay = localDay(Date.now(), TIMEZONE);
  // A loaded machine can stretch a merge past the request's inline budget; the property is about the numbers.
  mergeTiming.inlineBudgetMs = 600_000;
  recorder = await StreamRecorder.open(stack.dynamoEndpoint, stack.tableName);
  raw = rawClient(stack.dynamoEndpoint);
  apiKey = (await createApiKey(stack.api))!;
  if (!apiKey) throw new Error('could not create an API key');
  for (const name of ['Newsletter', 'Leads', 'Clientes']) {
    const list = await operator().post('/v1/lists', { name });
    if (list.status !== 201) throw new Error(`POST /v1/lists: ${list.status}`);
    lists.push({ id: list.body.id, name });
  }
  for (const name of ['VIP', 'Churn risk', 'Promo']) {
    const tag = await operator().post('/v1/tags', { name });
    if (tag.status !== 201) throw new Error(`POST /v1/tags: ${tag.status}`);
    tags.push({ id: tag.body.id, name });
  }
}, 180_000);

afterAll(async () => {
  recorder?.close();
  raw?.destroy();
  await stack?.stop();
});

/** CHURN_OPS=create,events,... limits the operations (to look into one kind of trouble); all of them by default. */
const onlyOps = process.env.CHURN_OPS?.split(',').map((s) => s.trim()) as OpKind[] | undefined;
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.oneof(
    { arbitrary: fc.constant<OpKind>('create'), weight: 7 },
    { arbitrary: fc.constant<OpKind>('createThenDelete'), weight: 5 },
    { arbitrary: fc.constant<OpKind>('edit'), weight: 4 },
    { arbitrary: fc.constant<OpKind>('events'), weight: 6 },
    { arbitrary: fc.constant<OpKind>('send'), weight: 1 },
    { arbitrary: fc.constant<OpKind>('delete'), weight: 2 },
    { arbitrary: fc.constant<OpKind>('bulkDelete'), weight: 1 },
    { arbitrary: fc.constant<OpKind>('restore'), weight: 2 },
    { arbitrary: fc.constant<OpKind>('purge'), weight: 1 },
    { arbitrary: fc.constant<OpKind>('merge'), weight: 2 },
    { arbitrary: fc.constant<OpKind>('undo'), weight: 1 },
    { arbitrary: fc.constant<OpKind>('import'), weight: 1 },
    { arbitrary: fc.constant<OpKind>('erase'), weight: 1 },
  ).filter((kind) => !onlyOps || onlyOps.includes(kind)),
  seed: fc.integer(),
});

describe('derived numbers under churn (issue 15, property)', () => {
  it('equal a recomputation from the table after any operations and any cut, duplicate or replay of the stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 28 }), fc.integer(), async (ops, feedSeed) => {
        runNumber++;
        const journal: Journal = [];
        for (const [i, op] of ops.entries()) await run(op, i, journal);
        await stack.idleJobs();
        const report = await recorder.feed(traced(processBatch), { seed: feedSeed });
        const problems = await check(report);
        if (process.env.CHURN_VERBOSE) for (const line of journal.filter((l) => /^\s+(restore|purge)/.test(l))) console.log(`run ${runNumber} bin:${line}`);
        if (problems.length > 0) {
          if (process.env.CHURN_DUMP) {
            // Everything needed to look into a failure afterwards: the table, the recorded stream and the aliases.
            const state = await readTable(raw, stack.tableName);
            const stream = recorder.orderedShards().map((s) => ({ shardId: s.shardId, records: s.records }));
            writeFileSync(process.env.CHURN_DUMP, JSON.stringify({ run: runNumber, problems, journal, aliases: Object.fromEntries(aliases), items: state.items, stream }, null, 1));
          }
          const text = [
            `run ${runNumber}: ${problems.length} difference(s) after these operations (stream fed in ${report.invocations} invocations over ${report.passes} passes, feed seed ${feedSeed}):`,
            ...problems.map((p) => `  - ${p}`),
            'operations:',
            ...journal,
          ].join('\n');
          throw new Error(`${text}\ncontacts: ${namedContacts(text)}`);
        }
      }),
      {
        numRuns: Number(process.env.CHURN_RUNS ?? 14),
        // A fixed seed by default, so that `npm test` is the same check on every run. Explore with
        // CHURN_SEED=random (fast-check's own random seed) or any number. CHURN_SEED=359671437 with
        // CHURN_NOW=2026-12-06T12:25:20Z found the counter store's lost watermark (a batch whose +1 and
        // -1 cancelled on a missing item left no watermark, and a re-cut retry applied the +1 again).
        ...(process.env.CHURN_SEED === 'random' ? {} : { seed: Number(process.env.CHURN_SEED ?? 20261206) }),
        // Every run is real API calls and stream processing on DynamoDB Local: report what was found rather than shrink for minutes.
        endOnFailure: true,
      },
    );
  }, 20 * 60_000);
});
