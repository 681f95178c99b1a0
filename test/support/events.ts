import { CHANNEL_STAGES } from '../../shared/engagement.js';
import type { ApiClient } from './local-stack.js';
import { prng } from '../../infra/local/seed.js';
import { inParallel as pool } from '../../functions/lib/concurrency.js';

export type PlannedEvent = Record<string, unknown> & { id: string; type: string };

export interface EventPlan {
  events: PlannedEvent[];
  /** Messages per contact (by id, or by phone for targets named so): what `engagement.dispatched.total` must show. */
  messagesByContact: Map<string, number>;
}

/** How an event names its contact: by id, or by phone as a platform that only knows the number does. */
export type Target = { contactId: string } | { phone: string };
const targetKey = (t: Target) => ('contactId' in t ? t.contactId : t.phone);

const CHANNELS = ['sms', 'whatsapp', 'email', 'rcs'] as const;
const DAY = 86_400_000;

/**
 * Realistic integration traffic for `targets` (contact ids or refs): `messages` messages with
 * their status events (delivered, read, clicked, replied where the channel
 * has the stage), some conversations, all within the last `days` days, in a
 * shuffled order as a platform delivers them.
 */
export function planEvents(targets: readonly (string | Target)[], messages: number, options: { series: string; days?: number; seed?: number; now?: number }): EventPlan {
  const r = prng(options.seed ?? 42);
  const now = options.now ?? Date.now();
  const days = options.days ?? 28;
  const events: PlannedEvent[] = [];
  const messagesByContact = new Map<string, number>();
  let serial = 0;
  const id = () => `${options.series}-${serial++}`;
  const at = (base: number, plusMinutes: number) => new Date(Math.min(now - 1000, base + plusMinutes * 60_000)).toISOString();
  for (let m = 0; m < messages; m++) {
    const picked = targets[m % targets.length];
    const target: Target = typeof picked === 'string' ? { contactId: picked } : picked;
    const channel = r.pick(CHANNELS);
    const stages = CHANNEL_STAGES[channel];
    const sentAt = now - r.int(0, days - 1) * DAY - r.int(60, 20 * 60) * 60_000;
    const messageId = `${options.series}-msg-${m}`;
    const base = { type: 'message.status', ...target, messageId, channel, broadcast: r.chance(0.7) };
    messagesByContact.set(targetKey(target), (messagesByContact.get(targetKey(target)) ?? 0) + 1);
    events.push({ ...base, id: id(), at: at(sentAt, 0), status: 'sent' });
    if (!r.chance(0.85)) {
      if (r.chance(0.5)) events.push({ ...base, id: id(), at: at(sentAt, 1), status: 'failed' });
      continue;
    }
    events.push({ ...base, id: id(), at: at(sentAt, 1), status: 'delivered' });
    if (stages.read && r.chance(0.5)) events.push({ ...base, id: id(), at: at(sentAt, 30), status: 'read' });
    if (stages.clicked && r.chance(0.15)) events.push({ ...base, id: id(), at: at(sentAt, 35), status: 'clicked' });
    if (stages.replied && r.chance(0.1)) events.push({ ...base, id: id(), at: at(sentAt, 40), status: 'replied' });
    if (m % 5 === 0) {
      const conversationId = `${options.series}-conv-${m}`;
      const conv = { ...target, conversationId };
      const kind = r.chance(0.5) ? 'sales' : 'support';
      events.push({ ...conv, type: 'conversation.status', id: id(), at: at(sentAt, 45), kind, status: 'open' });
      events.push({ ...conv, type: 'conversation.message', id: id(), at: at(sentAt, 46), from: 'contact', text: r.pick(['Obrigado, adorei!', 'Não recebi meu pedido', 'Quando chega?', 'Great service']) });
      events.push({ ...conv, type: 'conversation.message', id: id(), at: at(sentAt, 50), from: 'agent', text: 'Olá! Como posso ajudar?' });
      if (r.chance(0.5)) events.push({ ...conv, type: 'conversation.status', id: id(), at: at(sentAt, 90), kind, status: 'resolved' });
    }
  }
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  return { events, messagesByContact };
}

export interface PostOutcome {
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Calls that did not answer 202. */
  failedCalls: number;
  latencies: number[];
}

/** Posts events to `POST /v1/events` in calls of `perCall`, `concurrency` calls in flight. */
export async function postEvents(api: ApiClient, apiKey: string, events: readonly PlannedEvent[], options: { perCall?: number; concurrency?: number } = {}): Promise<PostOutcome> {
  const perCall = options.perCall ?? 500;
  const calls: PlannedEvent[][] = [];
  for (let i = 0; i < events.length; i += perCall) calls.push(events.slice(i, i + perCall));
  const outcome: PostOutcome = { accepted: 0, duplicates: 0, rejected: 0, failedCalls: 0, latencies: [] };
  await pool(calls, options.concurrency ?? 4, async (batch) => {
    const t0 = performance.now();
    const response = await api.call('POST', '/v1/events', { body: { events: batch }, headers: { 'x-api-key': apiKey } });
    outcome.latencies.push(performance.now() - t0);
    if (response.status !== 202) {
      outcome.failedCalls++;
      return;
    }
    outcome.accepted += response.body.accepted;
    outcome.duplicates += response.body.duplicates;
    outcome.rejected += response.body.rejected.length;
  });
  return outcome;
}

/** Creates an API key (admin) and returns the key, or undefined when the integrations API is not there. */
export async function createApiKey(api: ApiClient): Promise<string | undefined> {
  const response = await api.as('admin', 'bench-admin').post('/v1/api-keys', { name: 'bench' });
  return response.status === 201 && typeof response.body?.key === 'string' ? response.body.key : undefined;
}
