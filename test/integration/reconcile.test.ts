import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityFromItem } from '../../functions/analytics/contact-activity.js';
import { decompose, nodeId } from '../../functions/analytics/distinct-nodes.js';
import { activityStateItem } from '../../functions/data/activity-state.js';
import {
  analyticsDayKey,
  analyticsGeoKey,
  analyticsMonthKey,
  analyticsNodeKey,
  analyticsStateKey,
  contactActivityKey,
  contactPk,
  engagementDayKey,
  reconcileRunKey,
  reconcileStateKey,
} from '../../functions/data/keys.js';
import { METRIC } from '../../functions/lib/metric-names.js';
import { onMetrics } from '../../functions/lib/metrics.js';
import { runReconcile, type ReconcileResult, type ReconcileSummary } from '../../functions/reconcile/reconcile.js';
import { addDays, dayNumber, localDay, monthOf } from '../../shared/analytics.js';
import { engagementCheck } from '../support/engagement-check.js';
import { startLocalStack } from '../support/local-stack.js';
import { rawClient } from '../support/raw-client.js';

/**
 * Scheduled reconciliation on DynamoDB Local: derived numbers corrupted
 * directly in the table (as a lost stream record or a bad write would leave
 * them) come back to their recomputation, the summary counts exactly the
 * repairs, a second run finds nothing, and a run stopped after one chunk
 * resumes from its saved progress.
 */
type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let raw: DynamoDBDocumentClient;
let apiKey: string;
const TZ = 'America/Sao_Paulo';
const ids: Record<'ana' | 'bia' | 'cal' | 'dri' | 'gone', string> = { ana: '', bia: '', cal: '', dri: '', gone: '' };
/** Fast settling: nothing else writes while a test runs. */
const FAST = { settleMs: 300, clockSkewMs: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${n++}`;
const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
const today = () => localDay(Date.now(), TZ);

const message = (contactId: string, messageId: string, channel: string, status: string, at: string, broadcast = true) => ({
  id: uid('m'), type: 'message.status', contactId, messageId, channel, status, at, broadcast,
});
const conversation = (contactId: string, conversationId: string, kind: string, status: string, at: string) => ({
  id: uid('c'), type: 'conversation.status', contactId, conversationId, kind, status, at,
});
const said = (contactId: string, conversationId: string, from: string, at: string) => ({
  id: uid('t'), type: 'conversation.message', contactId, conversationId, from, text: 'Obrigado, adorei!', at,
});

async function panel() {
  const r = await stack.api.as('operator').get('/v1/analytics/contacts');
  expect(r.status).toBe(200);
  return r.body;
}

async function engagementOf(contactId: string) {
  const r = await stack.api.as('agent').get(`/v1/contacts/${contactId}`);
  expect(r.status).toBe(200);
  return { engagement: r.body.engagement, tickets: r.body.tickets, satisfaction: r.body.satisfaction };
}

async function item(key: { pk: string; sk: string }) {
  return (await raw.send(new GetCommand({ TableName: stack.tableName, Key: key, ConsistentRead: true }))).Item;
}

async function counterItems(contactId: string) {
  const out = await raw.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': contactPk(contactId), ':p': 'P#ENG' },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** ADD straight into the table, as a wrong write would: no watermark moves. */
async function corrupt(key: { pk: string; sk: string }, attribute: string, by: number) {
  await raw.send(
    new UpdateCommand({ TableName: stack.tableName, Key: key, UpdateExpression: 'ADD #a :n', ExpressionAttributeNames: { '#a': attribute }, ExpressionAttributeValues: { ':n': by } }),
  );
}

function finished(result: ReconcileResult): ReconcileSummary {
  expect(result.status).toBe('finished');
  return (result as { summary: ReconcileSummary }).summary;
}

async function storedEqualsRecomputed() {
  const check = engagementCheck(stack, TZ);
  try {
    for (const id of Object.values(ids)) {
      const { stored, expected } = await check.counters(id);
      expect(stored, id).toEqual(expected);
    }
  } finally {
    check.close();
  }
}

beforeAll(async () => {
  stack = await startLocalStack();
  raw = rawClient(stack.dynamoEndpoint);
  const key = await stack.api.as('admin').post('/v1/api-keys', { name: 'Platform' });
  apiKey = key.body.key;
  const create = async (body: Record<string, unknown>) => (await stack.api.as('operator').post('/v1/contacts', body)).body.id as string;
  ids.ana = await create({ firstName: 'Ana', phone: '+5511987650001' });
  ids.bia = await create({ firstName: 'Bia', phone: '+5521987650002' });
  ids.cal = await create({ firstName: 'Cal', phone: '+14155550100' });
  ids.dri = await create({ firstName: 'Dri', email: 'dri@example.com' });
  ids.gone = await create({ firstName: 'Gus', phone: '+5511987650009' });
  const { ana, bia, cal, dri, gone } = ids;
  const events = [
    message(ana, 'a1', 'whatsapp', 'sent', ago(3)),
    message(ana, 'a1', 'whatsapp', 'delivered', ago(2.9)),
    message(ana, 'a1', 'whatsapp', 'read', ago(2.5)),
    message(ana, 'a2', 'sms', 'sent', ago(50), false),
    message(ana, 'a2', 'sms', 'delivered', ago(49.9), false),
    conversation(ana, 'ca1', 'sales', 'open', ago(2)),
    said(ana, 'ca1', 'contact', ago(1.9)),
    said(ana, 'ca1', 'agent', ago(1.8)),
    message(bia, 'b1', 'sms', 'sent', ago(4)),
    message(bia, 'b1', 'sms', 'delivered', ago(3.9)),
    message(bia, 'b1', 'sms', 'replied', ago(3.5)),
    conversation(bia, 'cb1', 'support', 'open', ago(26)),
    conversation(bia, 'cb1', 'support', 'resolved', ago(25)),
    message(cal, 'c1', 'email', 'sent', ago(30), false),
    message(cal, 'c1', 'email', 'delivered', ago(29.9), false),
    message(cal, 'c1', 'email', 'clicked', ago(29), false),
    message(cal, 'c2', 'email', 'sent', ago(5)),
    message(dri, 'd1', 'whatsapp', 'sent', ago(6)),
    message(gone, 'g1', 'whatsapp', 'sent', ago(7)),
    message(gone, 'g1', 'whatsapp', 'delivered', ago(6.9)),
    conversation(gone, 'cg1', 'sales', 'open', ago(6)),
  ];
  const posted = await stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });
  expect(posted.body.accepted).toBe(events.length);
  await stack.drain();
  // A purged contact (deleted, then purged from the recycle bin): its history goes, its counters fold to zero and stay as expiring tombstones.
  expect((await stack.api.as('operator').delete(`/v1/contacts/${gone}`)).status).toBe(204);
  expect((await stack.api.as('admin').delete(`/v1/recycle-bin/${gone}`)).status).toBe(204);
  await stack.drain();
  // Watermark times are whole seconds: let the stream's last writes fall before the runs start.
  await sleep(1_100);
});

afterAll(async () => {
  raw?.destroy();
  await stack?.stop();
});

describe('reconciliation', () => {
  it('repairs corrupted counters, a missing counter item, aggregates of every kind and an activity state, and counts exactly those repairs', async () => {
    const profilesBefore = Object.fromEntries(await Promise.all(['ana', 'bia', 'cal', 'dri'].map(async (k) => [k, await engagementOf(ids[k as 'ana'])])));
    const panelBefore = await panel();
    const calState = await item(analyticsStateKey(ids.cal));
    expect(calState).toBeDefined();
    const day = today();

    // 1. A counter field off by 3.
    const anaDay = engagementDayKey(ids.ana, localDay(Date.parse(ago(3)), TZ));
    await corrupt(anaDay, 'whatsapp_sent', 3);
    // 2. A counter item gone.
    const biaItems = await counterItems(ids.bia);
    const biaSummary = biaItems.find((i) => i.sk === 'P#ENG#SUMMARY');
    expect(biaSummary?.tk_resolved).toBe(1);
    await raw.send(new DeleteCommand({ TableName: stack.tableName, Key: { pk: biaSummary!.pk, sk: biaSummary!.sk } }));
    // 3. A deleted contact's zeroed counters brought back to life.
    const goneItems = await counterItems(ids.gone);
    const goneDay = goneItems.find((i) => 'whatsapp_sent' in i);
    expect(goneDay?.whatsapp_sent).toBe(0);
    expect(goneDay?.expiresAt).toBeGreaterThan(0);
    await corrupt({ pk: goneDay!.pk, sk: goneDay!.sk }, 'whatsapp_sent', 7);
    // 4. Today's daily aggregate: broadcasts and base.
    await corrupt(analyticsDayKey(day), 'b', 5);
    await corrupt(analyticsDayKey(day), 'bs', -2);
    // 5. The month's distinct contacts.
    await corrupt(analyticsMonthKey(monthOf(day)), 'c', 2);
    // 6. Geography.
    await corrupt(analyticsGeoKey(), 'BR:SP', 4);
    // 7. A distinct-count node of the default period: contacts reached.
    const nodes = decompose(dayNumber(addDays(day, -29)), dayNumber(day)).map(nodeId);
    let corruptedNode: string | undefined;
    for (const id of nodes) {
      const node = await item(analyticsNodeKey(id));
      if (typeof node?.rc_f === 'number') {
        corruptedNode = id;
        await corrupt(analyticsNodeKey(id), 'rc_f', 2);
        break;
      }
    }
    expect(corruptedNode).toBeDefined();
    // 8. An activity state's facts: a broadcast day it never had, a month it was never active in (a raw write of
    // the stored form, version kept).
    const stored = (await item(analyticsStateKey(ids.cal)))!;
    const edited = activityFromItem(stored);
    edited.days.rc = { [String(dayNumber(day) - 3)]: 1 };
    edited.months['2020-01'] = 1;
    await raw.send(new PutCommand({ TableName: stack.tableName, Item: activityStateItem(ids.cal, { ...stored, ...edited }) }));

    // A state's write reaches the aggregates through the stream (its own record is hop 2's input), the corruption
    // too: let it land, and whole seconds pass, before the run starts.
    await stack.drain();
    await sleep(1_100);

    // Corrupted as the user would see it.
    expect((await engagementOf(ids.ana)).engagement).not.toEqual(profilesBefore.ana.engagement);
    expect((await engagementOf(ids.bia)).tickets).not.toEqual(profilesBefore.bia.tickets);
    expect(await panel()).not.toEqual(panelBefore);

    let metered = 0;
    const stop = onMetrics((counts) => (metered += counts[METRIC.reconcileRepairs] ?? 0));
    const summary = finished(await runReconcile({ ...FAST, segments: 2, pageLimit: 50 }));
    stop();
    // Aggregates: the four corrupted by hand, and five the corrupted state moved through the stream (its broadcast days
    // replaced: today's and three days ago's broadcasts, two nodes of reached contacts; a month it was never active in).
    expect(summary.repaired).toEqual({ engagementCounters: 3, activityStates: 1, aggregates: 9 });
    // Each repair counts once in the business metric the reconcile-repairs alarm watches.
    expect(metered).toBe(13);
    expect(summary.unsettled).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(summary.details).toMatchObject({ counterFields: 3, counterItemsCreated: 1, statesCreated: 0, aggregateAttributes: 10, aggregateItemsCreated: 0 });
    expect(summary.checked.contacts).toBe(5);
    expect(summary.examples.engagementCounters).toEqual(
      expect.arrayContaining([`${anaDay.pk}|${anaDay.sk} whatsapp_sent-3`, `${contactPk(ids.bia)}|P#ENG#SUMMARY (created) tk_resolved+1`, `${goneDay!.pk}|${goneDay!.sk} whatsapp_sent-7`]),
    );
    // The summary keeps five examples of the nine.
    const expected = [`D:${addDays(day, -3)} b-1`, `D:${day} b-4 bs+2`, `M:${monthOf(day)} c-2`, 'M:2020-01 c-1', 'G BR:SP-4'];
    expect(summary.examples.aggregates).toHaveLength(5);
    for (const e of summary.examples.aggregates) expect(expected.includes(e) || /^N:\S+ rc_f[+-]\d+$/.test(e), e).toBe(true);
    expect(corruptedNode).toBeDefined();
    expect(summary.examples.activityStates).toEqual([`${analyticsStateKey(ids.cal).pk}|${analyticsStateKey(ids.cal).sk}`]);

    // Back to what they were.
    for (const k of ['ana', 'bia', 'cal', 'dri'] as const) expect(await engagementOf(ids[k]), k).toEqual(profilesBefore[k]);
    expect(await panel()).toEqual(panelBefore);
    const repaired = await item(analyticsStateKey(ids.cal));
    expect(activityFromItem(repaired!)).toEqual(activityFromItem(calState!));
    expect(repaired!.version).toBe(Number(calState!.version) + 1);
    expect(repaired!.seq).toBe(calState!.seq);
    await storedEqualsRecomputed();
    const gone = (await counterItems(ids.gone)).find((i) => i.sk === goneDay!.sk);
    expect(gone?.whatsapp_sent).toBe(0);
    expect(gone?.expiresAt).toBe(goneDay!.expiresAt);

    // The summary is kept where the next run and an operator find it.
    expect(await item(reconcileRunKey(summary.runId))).toMatchObject({ repaired: summary.repaired, unsettled: summary.unsettled });
    expect(await item(reconcileStateKey())).toMatchObject({ phase: 'done', runId: summary.runId });
  });

  it('finds nothing to repair on a second run (the scheduled handler, with its defaults)', async () => {
    const previous = (await item(reconcileStateKey()))!.runId;
    const summary = finished((await stack.runSchedule('reconcile')) as ReconcileResult);
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(summary.unsettled).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(summary.details.tombstonesMarked).toBe(0);
    expect(summary.previousRunId).toBe(previous);
    expect(summary.checked.states).toBe(5);
  });

  it('the stream keeps counting on a repaired state and counters', async () => {
    const before = await engagementOf(ids.cal);
    const posted = await stack.api.call('POST', '/v1/events', {
      body: { events: [message(ids.cal, 'c3', 'whatsapp', 'sent', ago(1)), message(ids.cal, 'c3', 'whatsapp', 'delivered', ago(0.9))] },
      headers: { 'x-api-key': apiKey },
    });
    expect(posted.body.accepted).toBe(2);
    await stack.drain();
    expect((await engagementOf(ids.cal)).engagement.dispatched.total).toBe(before.engagement.dispatched.total + 1);
    await sleep(1_100);
    const summary = finished(await runReconcile(FAST));
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    await storedEqualsRecomputed();
  });

  it('resumes a run stopped after one chunk from its saved progress', async () => {
    const panelBefore = await panel();
    const dri = (await counterItems(ids.dri)).find((i) => 'whatsapp_sent' in i)!;
    await corrupt({ pk: dri.pk, sk: dri.sk }, 'whatsapp_sent', -1);
    await corrupt(analyticsDayKey(today()), 'sl', 1);

    const first = await runReconcile({ ...FAST, segments: 1, pageLimit: 3, maxChunks: 1, trigger: 'test' });
    expect(first).toMatchObject({ status: 'paused', phase: 'contacts', chunks: 1 });
    const saved = await item(reconcileStateKey());
    expect(saved).toMatchObject({ phase: 'contacts', chunk: 1, trigger: 'test' });
    expect(saved!.lease).toBeUndefined();
    expect(saved!.segments[0].start).toBeDefined();

    // A worker that holds the lease is left alone; a continuation tick starts nothing new.
    await raw.send(new UpdateCommand({ TableName: stack.tableName, Key: reconcileStateKey(), UpdateExpression: 'SET #l = :l', ExpressionAttributeNames: { '#l': 'lease' }, ExpressionAttributeValues: { ':l': { token: 'someone', until: Date.now() + 60_000 } } }));
    expect(await runReconcile({ ...FAST, start: false })).toMatchObject({ status: 'busy', runId: saved!.runId });
    // Its worker gone for good: taken over, and continued to the end from chunk 1.
    const summary = finished(await runReconcile({ ...FAST, start: false, takeOver: true }));
    expect(summary.runId).toBe(saved!.runId);
    expect(summary.trigger).toBe('test');
    expect(summary.chunks).toBeGreaterThan(2);
    expect(summary.repaired).toEqual({ engagementCounters: 1, activityStates: 0, aggregates: 1 });
    expect(summary.checked.contacts).toBe(5);
    expect(await panel()).toEqual(panelBefore);
    await storedEqualsRecomputed();
    expect(await runReconcile({ ...FAST, start: false })).toEqual({ status: 'idle' });
  });

  it('carries a state from where states lived before lanes into its lane once, and keeps the panel exact', async () => {
    // As a deploy finds it: Dri's state at CONTACT#<id> / S#ANALYTICS, as states were stored there (count maps
    // plain, not packed), none in its lane.
    const lane = await item(analyticsStateKey(ids.dri));
    expect(lane?.counts).toBeDefined();
    const { pk: _pk, sk: _sk, counts: _counts, ...attributes } = lane!;
    await raw.send(new PutCommand({ TableName: stack.tableName, Item: { ...contactActivityKey(ids.dri), ...attributes, ...activityFromItem(lane!) } }));
    await raw.send(new DeleteCommand({ TableName: stack.tableName, Key: analyticsStateKey(ids.dri) }));
    await stack.drain();
    const panelBefore = await panel();

    // Reconciliation reads it where it is and finds it right.
    await sleep(1_100);
    let summary = finished(await runReconcile(FAST));
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(summary.checked.contacts).toBe(5);
    expect(summary.checked.states).toBe(5);

    // Its next record carries it over (quietly: the aggregates hold it already) and counts on top of it.
    const posted = await stack.api.call('POST', '/v1/events', { body: { events: [message(ids.dri, 'd1', 'whatsapp', 'delivered', ago(5.9))] }, headers: { 'x-api-key': apiKey } });
    expect(posted.body.accepted).toBe(1);
    await stack.drain();
    // The old item stays (read only when the lane has none); the lane's state is new to it.
    expect(await item(contactActivityKey(ids.dri))).toBeDefined();
    const carried = await item(analyticsStateKey(ids.dri));
    expect(carried!.version).toBe(Number(attributes.version) + 1);
    expect(carried!.counts).toBeDefined();
    expect(carried!.days).toBeUndefined();
    expect(carried!.quiet).toBeUndefined();
    expect(carried!.createdAt).toBeGreaterThan(Number(attributes.createdAt));
    // Dri's message is delivered now: one more contact in the funnel's delivered step, counted once.
    expect((await panel()).messageFunnel.delivered).toBe(panelBefore.messageFunnel.delivered + 1);
    await sleep(1_100);
    summary = finished(await runReconcile(FAST));
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(summary.unsettled).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    await storedEqualsRecomputed();
    // Met once each: through the lane state now older than the run, not again through the old item.
    expect(summary.checked.contacts).toBe(5);
  });

  it('reads a lane state stored before the compact form (plain count maps): nothing to repair for its form, and its next record counts exactly', async () => {
    const lane = (await item(analyticsStateKey(ids.bia)))!;
    expect(lane.counts).toBeDefined();
    const { counts: _counts, ...attributes } = lane;
    // As the stream stored it before (a raw write of the same state: its record moves no aggregate).
    await raw.send(new PutCommand({ TableName: stack.tableName, Item: { ...attributes, ...activityFromItem(lane) } }));
    await stack.drain();
    await sleep(1_100);
    let summary = finished(await runReconcile(FAST));
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    const plain = (await item(analyticsStateKey(ids.bia)))!;
    expect(plain.counts).toBeUndefined();
    expect(activityFromItem(plain)).toEqual(activityFromItem(lane));

    // Its next record reads the plain maps and writes the packed form; hop 2 decodes both images.
    const posted = await stack.api.call('POST', '/v1/events', { body: { events: [message(ids.bia, 'b2', 'whatsapp', 'delivered', ago(1))] }, headers: { 'x-api-key': apiKey } });
    expect(posted.body.accepted).toBe(1);
    await stack.drain();
    const packed = (await item(analyticsStateKey(ids.bia)))!;
    expect(packed.counts).toBeDefined();
    expect(packed.days).toBeUndefined();
    expect(packed.version).toBe(Number(lane.version) + 1);
    await sleep(1_100);
    summary = finished(await runReconcile(FAST));
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(summary.unsettled).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    await storedEqualsRecomputed();
  });

  it('starts over a run an earlier version left under way (it met contacts otherwise)', async () => {
    // As a deploy finds it: a run in its contacts phase, saved without a scan version, its worker gone.
    const finished_ = await item(reconcileStateKey());
    await raw.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...reconcileStateKey(), runId: 'OLDRUN', phase: 'contacts', trigger: 'schedule', startedAt: new Date().toISOString(), scanStartMs: Date.now(), segments: [{ done: false }], pageLimit: 50, chunk: 3, summary: finished_!.lastSummary },
      }),
    );
    await sleep(1_100);
    const summary = finished(await runReconcile({ ...FAST, start: false }));
    expect(summary.runId).not.toBe('OLDRUN');
    expect(summary.previousRunId).toBe('OLDRUN');
    expect(summary.checked.contacts).toBe(5);
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
  });
});
