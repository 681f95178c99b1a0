import { type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/api-suite.js';
import { focusOf, tabTo as tabToOf, useChromium, type Focus } from '../support/browser.js';

/**
 * One whole task with the keyboard alone, in Debian's Chromium against a
 * local stack: sign in, find a contact, open it, tag it, add it to a list
 * and block it. Only page.keyboard drives the page (Tab, Shift+Tab, Enter,
 * Space, arrows, Escape, typing); the test reads the page and the API to
 * check what happened, and that the focus is always visible.
 */
const stack = useLocalStack();
const browser = useChromium();
let context: BrowserContext;
let page: Page;

const focus = () => focusOf(page);
const tabTo = (wanted: (f: Focus) => boolean, what: string, options?: { back?: boolean; max?: number }) => tabToOf(page, wanted, what, options);

afterAll(async () => {
  await context?.close();
});

describe('Keyboard only, in Chromium', { timeout: 180_000 }, () => {
  it('an admin finds a contact, opens it, tags it, adds it to a list and blocks it without the mouse, and the focus never gets lost', async () => {
    const operator = stack.api.as('operator', 'otto');
    const created = await operator.post('/v1/contacts', { firstName: 'Kátia', lastName: 'Teclado', phone: '+5511955550123' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await operator.post('/v1/contacts', { firstName: 'Outra', lastName: 'Pessoa', phone: '+5511955550124' });
    expect((await operator.post('/v1/tags', { name: 'VIP' })).status).toBe(201);
    for (const name of ['Black Friday', 'Newsletter']) expect((await operator.post('/v1/lists', { name })).status).toBe(201);
    await stack.drain();

    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.goto(stack.baseUrl + '/');
    await page.getByTestId('demo-ana').waitFor();

    // Sign in.
    await tabTo((f) => f.testid === 'demo-ana', 'the demo admin');
    await page.keyboard.press('Enter');
    await page.locator('.shell').waitFor();

    // The first Tab offers to skip the navigation.
    await page.keyboard.press('Tab');
    expect((await focus()).text).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect((await focus()).id).toBe('content');

    // Find the contact: accents and case do not matter.
    await tabTo((f) => f.tag === 'INPUT' && f.label === 'Search contacts', 'the search box');
    await page.keyboard.type('katia');
    const rows = page.locator('table.contacts tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => rows.first().textContent()).toContain('Kátia Teclado');

    // Open it: the new screen takes the focus.
    await tabTo((f) => f.tag === 'A' && f.text === 'Kátia Teclado', 'the contact link');
    await page.keyboard.press('Enter');
    await page.getByTestId('contact-name').waitFor();
    expect(page.url()).toContain(`#/contacts/${id}`);
    expect((await focus()).id).toBe('content');

    // Tag it from the combobox: Down walks the matching tags, Escape closes the list, Enter adds.
    const combobox = page.getByTestId('tag-combobox');
    await tabTo((f) => f.testid === 'tag-combobox', 'the tag combobox');
    await page.keyboard.type('vi');
    const option = page.getByRole('option', { name: 'VIP' });
    await option.waitFor();
    await page.keyboard.press('ArrowDown');
    expect(await combobox.getAttribute('aria-expanded')).toBe('true');
    expect(await option.getAttribute('aria-selected')).toBe('true');
    expect(await combobox.getAttribute('aria-activedescendant')).toBe(await option.getAttribute('id'));
    await page.keyboard.press('Escape');
    expect(await combobox.getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('ArrowDown');
    expect(await option.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Enter');
    await page.getByTestId('contact-tags').getByText('VIP').waitFor();
    expect((await focus()).testid).toBe('tag-combobox');

    // Add it to a list: arrows choose in the select, Tab and Enter press Add.
    const select = page.getByRole('combobox', { name: 'Add to a list' });
    await tabTo((f) => f.tag === 'SELECT' && f.label === 'Add to a list', 'the list select');
    for (let i = 0; i < 5 && (await select.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text)) !== 'Newsletter'; i++) {
      await page.keyboard.press('ArrowDown');
    }
    expect(await select.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text)).toBe('Newsletter');
    await tabTo((f) => f.tag === 'BUTTON' && f.text === 'Add', 'the Add button of the lists card', { max: 1 });
    await page.keyboard.press('Enter');
    await page.getByTestId('contact-lists').getByText('Newsletter').waitFor();

    // Block it: back up to the button; the dialog takes the focus, holds it, and Escape gives it back.
    await tabTo((f) => f.testid === 'block-toggle', 'the Block button', { back: true });
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    expect(await focus()).toMatchObject({ inDialog: true, text: 'Cancel' });
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      expect((await focus()).inDialog, 'Tab stays in the dialog').toBe(true);
    }
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' }).catch(() => undefined);
    expect(await page.locator('dialog[open]').count()).toBe(0);
    await expect.poll(async () => (await focus()).testid).toBe('block-toggle');

    await page.keyboard.press('Space');
    await page.locator('dialog[open]').waitFor();
    await tabTo((f) => f.inDialog && f.text === 'Block', 'the dialog’s Block button', { max: 3 });
    await page.keyboard.press('Enter');
    await page.getByTestId('blocked-badge').waitFor();
    // The button now unblocks, and has the focus back.
    await expect.poll(async () => await focus()).toMatchObject({ testid: 'block-toggle', text: 'Unblock', visible: true });

    const profile = (await operator.get(`/v1/contacts/${id}`)).body;
    expect(profile.blocked).toBe(true);
    expect(profile.tags.map((t: { name: string }) => t.name)).toEqual(['VIP']);
    expect(profile.lists.map((l: { name: string }) => l.name)).toEqual(['Newsletter']);

    // A control that removes itself hands the focus on: after the tag's ×, the tag box has it.
    await tabTo((f) => f.label === 'Remove tag VIP', 'the tag’s remove button');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('contact-tags').count()).toBe(0);
    await expect.poll(async () => (await focus()).testid).toBe('tag-combobox');
  });
});
