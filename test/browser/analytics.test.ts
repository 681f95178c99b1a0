import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertContact } from '../../functions/contacts/contact-service.js';
import { useLocalStack } from '../support/api-suite.js';
import { useChromium } from '../support/browser.js';

/**
 * The analytics page in Debian's Chromium against a local stack fed through
 * the real event ingestion. Set ANALYTICS_SCREENSHOTS=<dir> to keep
 * full-page screenshots in English and Portuguese.
 */
const SCREENSHOTS = process.env.ANALYTICS_SCREENSHOTS;

const stack = useLocalStack();
const browser = useChromium();
let context: BrowserContext;
let page: Page;

const DAY = 86_400_000;
let n = 0;
const id = (prefix: string) => `${prefix}-${n++}`;

/** A small tenant with a month of broadcasts, tickets and sales chats, all in the past. */
async function seed() {
  const key = await stack.api.as('admin', 'ana').post('/v1/api-keys', { name: 'Browser test' });
  expect(key.status).toBe(201);
  const origin = { type: 'api' as const, label: 'API' };
  const ddds = ['11', '11', '21', '31', '41', '51', '61', '71', '81', '85', '91', '92', '48', '62'];
  const now = Date.now();
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 27; i++) {
    const phone = i % 9 === 8 ? `+1415555${String(1000 + i)}` : `+55${ddds[i % ddds.length]}98765${String(1000 + i)}`;
    const contact = await insertContact({ firstName: `Pessoa ${i}`, phone }, { origin, now: new Date(now - (40 - i) * DAY).toISOString() });
    for (let k = 0; k < 1 + (i % 4); k++) {
      const at = new Date(now - ((i * 7 + k * 5) % 27) * DAY - 3 * 3_600_000).toISOString();
      const messageId = id('msg');
      const base = { type: 'message.status', contactId: contact.id, messageId, channel: 'whatsapp', broadcast: true };
      events.push({ ...base, id: id('e'), status: 'sent', at });
      if ((i + k) % 3 !== 0) events.push({ ...base, id: id('e'), status: 'delivered', at });
      if ((i + k) % 3 === 1) events.push({ ...base, id: id('e'), status: 'read', at });
      if ((i + k) % 5 === 1) events.push({ ...base, id: id('e'), status: 'clicked', at });
    }
    if (i % 3 !== 2) {
      const at = new Date(now - ((i * 5) % 25) * DAY - 2 * 3_600_000).toISOString();
      const conversationId = id('conv');
      const kind = i % 2 ? 'support' : 'sales';
      events.push({ id: id('e'), type: 'conversation.status', contactId: contact.id, conversationId, kind, status: 'open', at });
      events.push({ id: id('e'), type: 'conversation.message', contactId: contact.id, conversationId, from: 'contact', text: 'Oi, quero comprar', at });
      events.push({ id: id('e'), type: 'conversation.message', contactId: contact.id, conversationId, from: 'agent', text: 'Claro!', at });
    }
  }
  // Small calls: the local host enforces the API's timeout, and this machine may be busy.
  for (let i = 0; i < events.length; i += 50) {
    const posted = await stack.api.call('POST', '/v1/events', { body: { events: events.slice(i, i + 50) }, headers: { 'x-api-key': key.body.key } });
    expect(posted.status).toBe(202);
    expect(posted.body.rejected).toEqual([]);
  }
  await stack.drain(180_000);
}

async function signInAs(user: 'otto' | 'gil', locale = 'en-US') {
  context = await browser.newContext({ locale, viewport: { width: 1360, height: 1000 } });
  page = await context.newPage();
  await page.goto(stack.baseUrl + '/');
  await page.getByTestId(`demo-${user}`).click();
  await page.locator('.shell').waitFor();
}

beforeAll(seed);

afterEach(async () => {
  await context?.close();
});

describe('Analytics page in Chromium', () => {
  it('shows the panel to an operator, with exact figures in a chart tooltip', async () => {
    const api = (await stack.api.as('operator').get('/v1/analytics/contacts')).body;
    await signInAs('otto');
    await page.locator('nav.sidebar').getByRole('link', { name: 'Analytics' }).click();
    const base = page.getByTestId('card-contactBase').locator('.value');
    await base.waitFor();
    expect(await base.textContent()).toBe(String(api.interactions.contactBase.value));

    // The current month's bar of the monthly chart tells its exact count on hover.
    const current = api.monthlyContacts[5].contacts;
    expect(current).toBeGreaterThan(0);
    await page.getByTestId('monthly-bar').last().hover();
    const tooltip = page.getByTestId('chart-tooltip');
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toMatch(new RegExp(`Contacts\\s*${current}\\b`));

    // The daily chart: hovering its last day shows that day's three figures.
    const last = api.daily.at(-1);
    const overlay = page.getByTestId('daily-overlay');
    const box = (await overlay.boundingBox())!;
    await page.mouse.move(box.x + box.width - 8, box.y + box.height / 2);
    await expect.poll(() => page.getByTestId('chart-tooltip').textContent(), { timeout: 20_000 }).toMatch(new RegExp(`Broadcasts\\s*${last.broadcasts}\\b`));

    // A preset changes the period for every chart.
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await expect.poll(async () => (await page.getByTestId('chart-daily').locator('text.axis').allTextContents()).length, { timeout: 20_000 }).toBeGreaterThan(0);
    const week = (await stack.api.as('operator').get('/v1/analytics/contacts?from=' + api.daily.at(-7).date + '&to=' + api.period.to)).body;
    await expect.poll(() => base.textContent(), { timeout: 20_000 }).toBe(String(week.interactions.contactBase.value));
    await expect.poll(() => page.getByTestId('card-reachedContacts').locator('.value').textContent(), { timeout: 20_000 }).toBe(String(week.interactions.reachedContacts.value));

    // A reversed custom period is refused before any request.
    await page.getByRole('button', { name: 'Custom' }).click();
    await page.getByTestId('period-from').fill('2026-03-10');
    await page.getByTestId('period-to').fill('2026-03-01');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('The start must be on or before the end.').waitFor();

    // A period without data shows empty states rather than zero-height charts.
    await page.getByTestId('period-from').fill('2025-01-01');
    await page.getByTestId('period-to').fill('2025-01-31');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('chart-daily').getByText('No data in this period.').waitFor();
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'analytics-empty-en.png'), fullPage: true });
      await page.getByRole('button', { name: 'Last 30 days' }).click();
      await page.getByTestId('state-SP').hover();
      await page.screenshot({ path: join(SCREENSHOTS, 'analytics-en.png'), fullPage: true });
    }
  });

  it('speaks Portuguese', async () => {
    await signInAs('otto', 'pt-BR');
    await page.goto(stack.baseUrl + '/#/analytics');
    await page.getByText('Contatos alcançados').waitFor();
    await page.getByText('Funil de status das mensagens').waitFor();
    await page.getByTestId('heatmap-cell').first().waitFor();
    if (SCREENSHOTS) {
      await page.getByTestId('card-contactBase').locator('.value').waitFor();
      await page.getByTestId('heatmap-cell').nth(24 * 3 + 12).hover();
      await page.screenshot({ path: join(SCREENSHOTS, 'analytics-pt-BR.png'), fullPage: true });
    }
  });

  it('offers an agent no analytics, and refuses the page when typed', async () => {
    await signInAs('gil');
    await page.getByTestId('role-badge').waitFor();
    expect(await page.locator('nav.sidebar').getByText('Analytics').count()).toBe(0);
    await page.goto(`${stack.baseUrl}/#/analytics`);
    await page.getByText('Not available for your role').waitFor();
    expect(await page.getByTestId('analytics-panel').count()).toBe(0);
  });
});
