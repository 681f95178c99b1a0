import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundDispatch } from '../../functions/lib/outbound.js';
import { ChannelSimulator, planFor } from '../../infra/local/channel-simulator.js';
import { prng } from '../../infra/local/seed.js';
import { startLocalStack } from '../support/local-stack.js';

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
const planned: OutboundDispatch[] = [];
// Deterministic outcomes per channel; no delays, so all statuses of a message arrive at once, in any order.
const simulator = new ChannelSimulator({
  speed: 0,
  plan: (dispatch) => {
    planned.push(dispatch);
    return dispatch.channel === 'sms' ? ['sent', 'delivered', 'replied'] : dispatch.channel === 'email' ? ['sent', 'delivered', 'read', 'clicked'] : ['sent', 'failed'];
  },
});

beforeAll(async () => {
  stack = await startLocalStack({ outbound: simulator.sink });
  await simulator.connect(stack.baseUrl);
});
afterAll(async () => {
  simulator.stop();
  await stack?.stop();
});

const operator = () => stack.api.as('operator', 'otto');

describe('channel simulator (local messaging platform)', () => {
  it('answers queued dispatches with status events; the dispatch report follows the furthest stage', async () => {
    const contact = (await operator().post('/v1/contacts', { firstName: 'Sim', phone: '(11) 95555-0000', email: 'sim@example.com', channels: { sms: 'subscribed', whatsapp: 'subscribed', email: 'subscribed' } })).body;
    const sms = await operator().post(`/v1/contacts/${contact.id}/messages`, { channel: 'sms', text: 'Olá!' });
    const whatsapp = await operator().post(`/v1/contacts/${contact.id}/messages`, { channel: 'whatsapp', text: 'Olá!' });
    const email = await operator().post(`/v1/contacts/${contact.id}/messages`, { channel: 'email', text: 'Olá!' });
    expect([sms.status, sms.body.status]).toEqual([202, 'queued']);

    await simulator.idle();
    await stack.drain();
    const report = await operator().get(`/v1/dispatches?contactId=${contact.id}`);
    const statusOf = (id: string) => report.body.items.find((d: { id: string }) => d.id === id)?.status;
    expect(statusOf(sms.body.id)).toBe('replied');
    expect(statusOf(whatsapp.body.id)).toBe('failed');
    expect(statusOf(email.body.id)).toBe('clicked');
    // The report's status filter goes by the same status.
    const replied = await operator().get(`/v1/dispatches?contactId=${contact.id}&status=replied`);
    expect(replied.body.items.map((d: { id: string }) => d.id)).toEqual([sms.body.id]);
    expect((await operator().get(`/v1/dispatches?contactId=${contact.id}&status=queued`)).body.items).toEqual([]);

    const profile = (await operator().get(`/v1/contacts/${contact.id}`)).body;
    expect(profile.engagement.dispatched).toEqual({ total: 3, byChannel: { sms: 1, whatsapp: 1, email: 1 } });
    expect(profile.engagement.channels.sms).toMatchObject({ delivered: 1, replied: 1, responseRate: 100 });
    expect(profile.engagement.channels.whatsapp).toMatchObject({ sent: 1, delivered: 0, deliveryRate: 0 });
  });

  it('sends nothing for a sending_error dispatch', async () => {
    const contact = (await operator().post('/v1/contacts', { firstName: 'Blocked', phone: '(11) 95555-0001' })).body;
    await operator().post(`/v1/contacts/${contact.id}/block`);
    const before = planned.length;
    const r = await operator().post(`/v1/contacts/${contact.id}/messages`, { channel: 'sms', text: 'Oi' });
    expect(r.body.status).toBe('sending_error');
    await simulator.idle();
    expect(planned.length).toBe(before);
  });

  it('plays each channel with its own stages and odds', () => {
    const rnd = prng(7);
    const plans = Array.from({ length: 400 }, () => planFor('email', rnd.next));
    expect(plans.every((p) => p[0] === 'sent')).toBe(true);
    expect(plans.some((p) => p.includes('clicked'))).toBe(true);
    expect(plans.filter((p) => p.includes('clicked')).every((p) => p.includes('read'))).toBe(true);
    expect(plans.some((p) => p.includes('replied'))).toBe(false);
    expect(Array.from({ length: 400 }, () => planFor('sms', rnd.next)).some((p) => p.includes('read'))).toBe(false);
    expect(planFor('instagram', rnd.next)).toEqual(['sent']);
  });
});
