import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/api-suite.js';
import { useChromium } from '../support/browser.js';

/**
 * Merging from a suggestion and undoing it, in Debian's Chromium against a
 * local stack. Set MERGE_SCREENSHOTS=<dir> to keep screenshots of the pages.
 */
const SCREENSHOTS = process.env.MERGE_SCREENSHOTS;

const stack = useLocalStack();
const browser = useChromium();
let context: BrowserContext;
let page: Page;

const operator = () => stack.api.as('operator', 'otto');

async function signInAs(user: 'ana' | 'otto', locale = 'en-US') {
  context = await browser.newContext({ locale, viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  await page.goto(stack.baseUrl + '/');
  await page.getByTestId(`demo-${user}`).click();
  await page.locator('.shell').waitFor();
}

async function shot(name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

afterEach(async () => {
  await context?.close();
});

describe('Merge duplicates in Chromium', { timeout: 240_000 }, () => {
  it('an operator merges a suggestion from the profile, undoes it, and an admin sees both in the history', async () => {
    const list = (await operator().post('/v1/lists', { name: 'Newsletter' })).body;
    const kept = (await operator().post('/v1/contacts', { firstName: 'Carla', phone: '(11) 98111-2233' })).body;
    const other = (await operator().post('/v1/contacts', { firstName: 'Carla', lastName: 'Dias', phone: '+55 11 98111-2233', email: 'carla.dias@example.com' })).body;
    const third = (await operator().post('/v1/contacts', { firstName: 'Bruno', email: 'bruno@example.com' })).body;
    await operator().post('/v1/contacts', { firstName: 'Bruno', lastName: 'Reis', email: 'BRUNO@example.com' });
    expect((await operator().put(`/v1/contacts/${other.id}/lists/${list.id}`)).status).toBe(204);
    await stack.drain();

    await signInAs('otto');
    await page.goto(`${stack.baseUrl}/#/merge`);
    const card = page.locator(`[data-testid="suggestion"][data-key="phone:${kept.phone}"]`);
    await card.waitFor();
    await page.locator(`[data-testid="suggestion"][data-key="email:${third.email}"]`).waitFor();
    await shot('merge-suggestions-en');

    // From the profile: the duplicates box leads to this contact's suggestions.
    await page.goto(`${stack.baseUrl}/#/contacts/${kept.id}`);
    await page.getByTestId('merge-suggestions').getByRole('link', { name: 'Review and merge' }).click();
    await card.waitFor();
    expect(await page.locator('[data-testid="suggestion"]').count()).toBe(1);
    // The oldest contact is kept by default; the result line previews the filled email.
    await expect.poll(() => card.locator('tr.kept').textContent()).toContain('Carla');
    await expect.poll(() => card.locator('footer').textContent()).toContain('carla.dias@example.com');
    await card.getByTestId('merge-button').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Merge contacts' }).click();
    await card.getByText('Merged into Carla.').waitFor();
    await shot('merge-done-en');

    const merged = (await operator().get(`/v1/contacts/${kept.id}`)).body;
    expect(merged).toMatchObject({ email: 'carla.dias@example.com', lastName: 'Dias' });
    expect(merged.lists.map((l: { id: string }) => l.id)).toEqual([list.id]);
    expect((await operator().get(`/v1/contacts/${other.id}`)).status).toBe(404);

    await card.getByTestId('undo-merge').click();
    await page.getByText('Merge undone: the contacts are back as they were.').waitFor();
    expect((await operator().get(`/v1/contacts/${other.id}`)).status).toBe(200);
    const restored = (await operator().get(`/v1/contacts/${kept.id}`)).body;
    expect(restored.email).toBeNull();
    expect(restored.lists).toEqual([]);
    // The suggestion is back once the stream has caught up.
    await stack.drain();
    await page.reload();
    await page.locator(`[data-testid="suggestion"][data-key="phone:${kept.phone}"]`).waitFor();

    // Later, from the history: an admin undoes a merge made through the API.
    const again = await operator().post('/v1/merges', { primaryId: kept.id, duplicateIds: [other.id] });
    expect(again.status).toBe(201);
    await signInAs('ana', 'pt-BR');
    await page.goto(`${stack.baseUrl}/#/merges`);
    const latest = page.locator(`[data-testid="merge-row"][data-id="${again.body.id}"]`);
    await latest.getByTestId('history-undo').waitFor();
    expect(await page.getByTestId('merge-row').nth(1).textContent()).toContain('Desfeita por otto');
    await shot('merge-history-pt');
    await latest.getByTestId('history-undo').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Desfazer' }).click();
    await expect.poll(() => latest.textContent(), { timeout: 30_000 }).toContain('Desfeita por ana');
    expect(await latest.getByTestId('history-undo').count()).toBe(0);
    expect((await operator().get(`/v1/contacts/${other.id}`)).status).toBe(200);
  });
});
