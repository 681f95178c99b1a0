import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/api-suite.js';
import { useChromium } from '../support/browser.js';

const stack = useLocalStack();
const browser = useChromium();
let apiKey: string;

beforeAll(async () => {
  apiKey = (await stack.api.as('admin').post('/v1/api-keys', { name: 'platform' })).body.key;
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe('engagement monitor in Chromium', () => {
  it('shows the rates, band, tickets and satisfaction computed from the events', async () => {
    const contact = (await stack.api.as('operator').post('/v1/contacts', { firstName: 'Bianca', phone: '(11) 97777-1234', email: 'bianca@example.com' })).body;
    // Four WhatsApp messages: all delivered, three read, one clicked and replied; one email never opened.
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      const base = { type: 'message.status', messageId: `wa-${i}`, channel: 'whatsapp', broadcast: true, phone: '+55 11 97777-1234' };
      events.push({ ...base, id: `e-${i}-s`, status: 'sent', at: minutesAgo(300 - i) });
      events.push({ ...base, id: `e-${i}-d`, status: 'delivered', at: minutesAgo(290 - i) });
      if (i < 3) events.push({ ...base, id: `e-${i}-r`, status: 'read', at: minutesAgo(280 - i) });
    }
    events.push({ type: 'message.status', messageId: 'wa-0', channel: 'whatsapp', broadcast: true, contactId: contact.id, id: 'e-0-c', status: 'clicked', at: minutesAgo(270) });
    events.push({ type: 'message.status', messageId: 'wa-0', channel: 'whatsapp', broadcast: true, contactId: contact.id, id: 'e-0-rep', status: 'replied', at: minutesAgo(260) });
    events.push({ type: 'message.status', messageId: 'em-1', channel: 'email', broadcast: true, email: 'BIANCA@example.com', id: 'e-em-d', status: 'delivered', at: minutesAgo(200) });
    events.push({ type: 'conversation.status', conversationId: 'c-1', kind: 'support', status: 'open', contactId: contact.id, id: 'e-c1-o', at: minutesAgo(100) });
    events.push({ type: 'conversation.message', conversationId: 'c-1', from: 'contact', text: 'Excelente atendimento, muito obrigada!', contactId: contact.id, id: 'e-c1-m', at: minutesAgo(90) });
    events.push({ type: 'conversation.status', conversationId: 'c-1', kind: 'support', status: 'resolved', contactId: contact.id, id: 'e-c1-r', at: minutesAgo(80) });
    const posted = await stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });
    expect(posted.status).toBe(202);
    expect(posted.body.rejected).toEqual([]);
    await stack.drain();

    // The API and the screen must agree: 3 of 5 delivered messages reached an interaction stage.
    const profile = (await stack.api.as('agent').get(`/v1/contacts/${contact.id}`)).body;
    expect(profile.engagement.rate).toBe(60);
    expect(profile.engagement.band).toBe('high');
    expect(profile.engagement.dispatched.total).toBe(5);
    expect(profile.tickets).toEqual({ open: 0, resolved: 1, all: 1 });

    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await page.goto(stack.baseUrl + '/');
    await page.getByTestId('demo-gil').click();
    await page.locator('.shell').waitFor();
    await page.goto(`${stack.baseUrl}/#/contacts/${contact.id}`);
    const panel = page.getByTestId('engagement-panel');
    await panel.waitFor();
    await expect.poll(() => panel.innerText()).toContain('60%');
    const text = await panel.innerText();
    expect(text).toMatch(/High/i);
    expect(text).toContain('WhatsApp');
    expect(text).toContain('Email');
    expect(text).toMatch(/Satisfied/i);
    await page.screenshot({ path: 'test-results/engagement-monitor.png', fullPage: true });
    await context.close();
  });
});
