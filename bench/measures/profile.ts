import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { contactPk, PROFILE_PREFIX } from '../../functions/data/keys.js';
import { DRAIN_MS, type BenchStack } from '../lib/bench-stack.js';
import { planEvents, postEvents } from '../../test/support/events.js';
import { closedLoop } from '../lib/load.js';
import { round, summarize } from '../lib/stats.js';

const CLIENTS = 20;
const ROUNDS = 4;
const PER_ROUND = 500;

/** A contact with what a real profile carries: channels, lists, tags and, when events exist, engagement. */
export async function richContact(b: BenchStack, apiKey: string | undefined): Promise<{ id: string; phone: string; email: string }> {
  const operator = b.api.as('operator', 'bench-operator');
  const created = await operator.post('/v1/contacts', {
    firstName: 'Perfil',
    lastName: 'Completo',
    phone: '+55 11 98877-6655',
    email: 'perfil.completo@bench.example',
    language: 'pt-BR',
    customFields: { plan: 'gold', seats: 12 },
    channels: { sms: 'subscribed', whatsapp: 'subscribed', email: 'unsubscribed' },
  });
  if (created.status !== 201) throw new Error(`creating the profile contact answered ${created.status}`);
  const { id, phone, email } = created.body;
  for (const name of ['VIP', 'Newsletter', 'Promo']) await operator.post(`/v1/contacts/${id}/tags`, { name });
  for (const name of ['Clientes', 'Leads', 'Black Friday']) {
    const list = await operator.post('/v1/lists', { name: `${name} ${Date.now()}` });
    if (list.status === 201) await operator.put(`/v1/contacts/${id}/lists/${list.body.id}`);
  }
  if (apiKey) {
    const plan = planEvents([id], 60, { series: 'profile', days: 85 });
    await postEvents(b.api, apiKey, plan.events);
  }
  await b.stack.drain(DRAIN_MS);
  return { id, phone, email };
}

/** Mean DynamoDB requests per call of `request`, counted by the meter with nothing else running. */
async function requestsPer(b: BenchStack, times: number, request: () => Promise<{ status: number }>): Promise<{ perCall: number; commands: string[] }> {
  await b.stack.drain(DRAIN_MS);
  const { calls } = await b.meter.record(async () => {
    for (let i = 0; i < times; i++) {
      const r = await request();
      if (r.status !== 200) throw new Error(`request answered ${r.status}`);
    }
  });
  return { perCall: round(calls.length / times), commands: [...new Set(calls.map((c) => c.command))] };
}

/**
 * Profile read over HTTP (JWT check, handler, JSON) at 20 concurrent
 * clients against a raw Query of the same item collection, in alternating
 * rounds so load from elsewhere on the machine falls on both alike.
 */
export async function measureProfileRead(b: BenchStack, contactId: string, log: (line: string) => void) {
  const agent = b.api.as('agent', 'bench-agent');
  const count = await requestsPer(b, 10, () => agent.get(`/v1/contacts/${contactId}`));
  log(`  profile read: ${count.perCall} requests (${count.commands.join(', ')})`);

  const rawQuery = () =>
    b.raw.send(
      new QueryCommand({
        TableName: b.stack.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': contactPk(contactId), ':p': PROFILE_PREFIX },
      }),
    );
  const items = (await rawQuery()).Items?.length ?? 0;
  const http = async () => (await agent.get(`/v1/contacts/${contactId}`)).status === 200;
  const raw = async () => ((await rawQuery()).Items?.length ?? 0) === items;
  await closedLoop({ clients: CLIENTS, requests: 200, op: http });
  await closedLoop({ clients: CLIENTS, requests: 200, op: raw });

  const httpSamples: number[] = [];
  const rawSamples: number[] = [];
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const h = await closedLoop({ clients: CLIENTS, requests: PER_ROUND, op: http });
    const q = await closedLoop({ clients: CLIENTS, requests: PER_ROUND, op: raw });
    httpSamples.push(...h.latencies);
    rawSamples.push(...q.latencies);
    errors += h.errors + q.errors;
  }
  const h = summarize(httpSamples);
  const q = summarize(rawSamples);
  log(`  profile over HTTP: median ${h.medianMs} ms, p99 ${h.p99Ms} ms; raw Query (${items} items): median ${q.medianMs} ms, p99 ${q.p99Ms} ms; errors ${errors}`);
  if (errors > 0) throw new Error(`${errors} profile reads failed`);
  return {
    profileRead: { ddbRequests: count.perCall, p99Ms: h.p99Ms, medianMs: h.medianMs, p95Ms: h.p95Ms, samples: h.count, ratio: round(h.p99Ms / q.p99Ms), items },
    rawQuery: { p99Ms: q.p99Ms, medianMs: q.medianMs, p95Ms: q.p95Ms, samples: q.count },
  };
}

/** Requests per contact base page, phone lookup and email lookup. */
export async function measureContactPage(b: BenchStack, contact: { phone: string; email: string }, log: (line: string) => void) {
  const agent = b.api.as('agent', 'bench-agent');
  const page = await requestsPer(b, 5, () => agent.get('/v1/contacts?limit=50'));
  const phone = await requestsPer(b, 5, () => agent.get(`/v1/contacts?q=${encodeURIComponent(contact.phone)}`));
  const email = await requestsPer(b, 5, () => agent.get(`/v1/contacts?q=${encodeURIComponent(contact.email)}`));
  log(`  contact page: ${page.perCall} (${page.commands.join(', ')}); phone lookup ${phone.perCall}; email lookup ${email.perCall}`);
  return { contactPage: { ddbRequests: page.perCall, phoneLookupDdbRequests: phone.perCall, emailLookupDdbRequests: email.perCall } };
}
