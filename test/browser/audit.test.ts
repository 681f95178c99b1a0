import { readFile } from 'node:fs/promises';
import { type Locator, type Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/api-suite.js';
import { useChromium, useSignedInPages } from '../support/browser.js';
import { contactBody, createContact, type CreatedContact } from '../support/factories.js';

/**
 * The SPA's side of "Activity timeline and audit log" (API.md "Activity
 * and audit"): an admin's Audit screen lists who did what (filters by
 * action and by who, CSV export of the filtered log), a profile's Activity
 * card tells the contact's story in sentences, an agent has no Audit
 * screen, and the screen speaks Spanish. Locally a person's name is the
 * name the host signed them in under, here their sub (`otto`, `ana`).
 */
const stack = useLocalStack();
const browser = useChromium();
const signedIn = useSignedInPages(browser, stack);

const admin = () => stack.api.as('admin', 'ana');
const operator = () => stack.api.as('operator', 'otto');

const TAG = 'VIP Audit';
let audra: CreatedContact;

beforeAll(async () => {
  // Otto creates a contact, tags it and corrects its last name; Ana blocks it.
  audra = await createContact(operator(), contactBody({ firstName: 'Audra', lastName: 'Lima' }));
  expect((await operator().post(`/v1/contacts/${audra.id}/tags`, { name: TAG })).status).toBeLessThan(300);
  expect((await operator().patch(`/v1/contacts/${audra.id}`, { lastName: 'Souza' })).status).toBe(200);
  expect((await admin().post(`/v1/contacts/${audra.id}/block`)).status).toBeLessThan(300);
});

/** The audit rows about a contact (its target links to the profile once the contact is known to exist). */
const rowsAbout = (page: Page, id: string): Locator => page.getByTestId('audit-row').filter({ has: page.locator(`a[href="#/contacts/${id}"]`) });
const rowOf = (page: Page, id: string, action: string): Locator => rowsAbout(page, id).and(page.locator(`[data-action="${action}"]`));

describe('the audit log', { timeout: 120_000 }, () => {
  it('an admin opens it from the sidebar and reads who did what to a contact, newest first', async () => {
    const page = await signedIn('ana');
    await page.locator('nav.sidebar').getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await expect.poll(() => rowsAbout(page, audra.id).count(), { timeout: 15_000 }).toBe(4);
    // Everything fits on one page: no pager leading to an empty page.
    expect(await page.getByRole('navigation', { name: 'Pagination' }).count()).toBe(0);
    expect(await rowsAbout(page, audra.id).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')))).toEqual([
      'contact.blocked',
      'contact.updated',
      'contact.tagged',
      'contact.created',
    ]);

    const cells = (action: string) => rowOf(page, audra.id, action).locator('td').allInnerTexts();
    const [when, who, what, target, details] = await cells('contact.tagged');
    expect(who).toBe('otto');
    expect(what).toBe('Added a tag to a contact');
    expect(target).toContain('Audra Souza');
    expect(details).toBe(`Tag: ${TAG}`);
    // The time reads relative, with the exact time as its tooltip.
    const time = rowOf(page, audra.id, 'contact.tagged').locator('time');
    expect(await time.getAttribute('title')).toMatch(/\d{4}/);
    expect(when).toMatch(/ago|now/);
    expect(await cells('contact.updated')).toEqual([expect.any(String), 'otto', 'Edited a contact', expect.stringContaining('Audra Souza'), 'Fields: Last name']);
    expect((await cells('contact.blocked')).slice(1, 3)).toEqual(['ana', 'Blocked a contact']);

    // The target leads to the profile.
    await rowOf(page, audra.id, 'contact.created').getByRole('link', { name: 'Audra Souza' }).click();
    await page.getByTestId('contact-name').filter({ hasText: 'Audra Souza' }).waitFor();
  });

  it('filters by action and by who, and exports the filtered log as CSV', async () => {
    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/audit`);
    await rowsAbout(page, audra.id).first().waitFor({ timeout: 15_000 });
    const actions = () => page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));

    const answered = (action: string) =>
      page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/audit' && new URL(r.url()).searchParams.get('action') === action);
    const blocked = answered('contact.blocked');
    await page.getByRole('combobox', { name: 'Action' }).selectOption({ label: 'Blocked a contact' });
    expect((await blocked).status()).toBe(200);
    await expect.poll(actions).toEqual(['contact.blocked']);
    expect(page.url()).toContain('action=contact.blocked');

    // The people seen in the log are the choices of "Who"; Otto blocked nothing.
    await page.getByRole('combobox', { name: 'Who' }).selectOption({ label: 'otto' });
    await page.getByText('No entry matches these filters').waitFor();
    expect(await actions()).toEqual([]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(async () => (await actions()).length).toBeGreaterThanOrEqual(4);

    const tagged = answered('contact.tagged');
    await page.getByRole('combobox', { name: 'Action' }).selectOption('contact.tagged');
    const answer = await tagged;
    expect(answer.status(), await answer.text()).toBe(200);
    await expect.poll(actions).toEqual(['contact.tagged']);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^audit-log-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = (await readFile((await file.path())!, 'utf8')).replace(/^\ufeff/, '');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('at,actor,actorId,action,description,targetType,targetId,details');
    expect(lines).toHaveLength(2);
    const [at, actor, actorId, action, description, targetType, targetId, details] = lines[1]!.split(',');
    expect(Number.isNaN(Date.parse(at!))).toBe(false);
    expect([actor, actorId, action, description, targetType, targetId, details]).toEqual(['otto', 'otto', 'contact.tagged', 'Added a tag to a contact', 'contact', audra.id, `Tag: ${TAG}`]);
    await page.getByText('1 entry exported.').waitFor();
  });

  it('an agent has no Audit log', async () => {
    const page = await signedIn('gil');
    await page.locator('nav.sidebar').getByRole('link', { name: 'Contacts' }).waitFor();
    expect(await page.locator('nav.sidebar').getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await page.goto(`${stack.baseUrl}/#/audit`);
    await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
  });

  it('switching the language to Español translates the Audit screen', async () => {
    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/audit`);
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByTestId('language-switcher').selectOption({ label: 'Español' });
    await page.getByRole('heading', { name: 'Registro de auditoría', level: 1 }).waitFor();
    expect(await page.locator('[data-testid="audit"] thead th').allTextContents()).toEqual(['Cuándo', 'Quién', 'Acción', 'Sobre', 'Detalles']);
    expect(await page.locator('nav.sidebar').getByRole('link', { name: 'Registro de auditoría' }).count()).toBe(1);
    await rowOf(page, audra.id, 'contact.tagged').getByText('Agregó una etiqueta a un contacto').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Exportar CSV' }).waitFor();
  });
});

/** The sentences of a contact's Activity card, once its newest entry reads `newest` (the profile is opened afresh until it does). */
async function storyUntil(page: Page, contactId: string, newest: string): Promise<() => Promise<string[]>> {
  const card = page.getByTestId('activity');
  const sentences = () => card.locator('[data-testid="activity-entry"] .sentence').allInnerTexts();
  await expect
    .poll(
      async () => {
        await page.goto(`${stack.baseUrl}/#/tags`);
        await page.goto(`${stack.baseUrl}/#/contacts/${contactId}`);
        await card.getByTestId('activity-entry').first().waitFor();
        return (await sentences())[0];
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(newest);
  return sentences;
}

describe("the profile's Activity card", { timeout: 120_000 }, () => {
  it('tells the contact’s story in sentences, newest first, and shows older entries on Show more', async () => {
    const list = await operator().post('/v1/lists', { name: 'Newsletter Audit' });
    expect(list.status).toBe(201);
    const tim = await createContact(operator(), contactBody({ firstName: 'Tim', lastName: 'Line' }));
    expect((await operator().post(`/v1/contacts/${tim.id}/tags`, { name: TAG })).status).toBeLessThan(300);
    expect((await operator().put(`/v1/contacts/${tim.id}/lists/${list.body.id}`)).status).toBeLessThan(300);
    // Ten corrections: with the three entries above, more than the card's first page.
    for (let i = 1; i <= 10; i++) expect((await operator().patch(`/v1/contacts/${tim.id}`, { lastName: `Line${i}` })).status).toBe(200);

    const page = await signedIn('otto');
    const card = page.getByTestId('activity');
    const sentences = await storyUntil(page, tim.id, 'otto changed last name from Line9 to Line10');
    expect(await sentences()).toHaveLength(10);
    expect(await sentences()).not.toContain('otto created the contact');
    expect(await card.locator('time').first().getAttribute('title')).toMatch(/\d{4}/);

    await card.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(async () => (await sentences()).length).toBe(13);
    expect((await sentences()).slice(-4)).toEqual([
      'otto changed last name from Line to Line1',
      'otto added the contact to the list Newsletter Audit',
      `otto added the tag ${TAG}`,
      'otto created the contact',
    ]);
    expect(await card.getByRole('button', { name: 'Show more' }).count()).toBe(0);

    // A change made on the profile shows at the top of the card at once.
    const tagBox = page.getByRole('combobox', { name: 'Find or create a tag' });
    await tagBox.fill('Onsite');
    await tagBox.locator('xpath=ancestor::form').getByRole('button', { name: 'Add' }).click();
    await expect.poll(async () => (await sentences())[0]).toBe('otto added the tag Onsite');

    await page.getByTestId('language-switcher').selectOption({ label: 'Português' });
    await card.getByRole('heading', { name: 'Atividade' }).waitFor();
    await card.getByText('otto adicionou a etiqueta Onsite').waitFor();
  });

  it('after a merge the kept contact shows the duplicate’s entries too; after the undo each has its own again', async () => {
    const kept = await createContact(operator(), contactBody({ firstName: 'Kim', lastName: 'Kept' }));
    const dup = await createContact(operator(), contactBody({ firstName: 'Kim', lastName: 'Dup' }));
    expect((await operator().post(`/v1/contacts/${dup.id}/tags`, { name: 'From dup' })).status).toBeLessThan(300);
    const merge = await operator().post('/v1/merges', { primaryId: kept.id, duplicateIds: [dup.id] });
    expect(merge.status, JSON.stringify(merge.body)).toBe(201);

    const page = await signedIn('otto');
    let story = await storyUntil(page, kept.id, 'otto merged a duplicate into this contact');
    // The duplicate's own "merged into another contact" is left out: the line above says it.
    expect(await story()).toEqual(['otto merged a duplicate into this contact', 'otto added the tag From dup', 'otto created the contact', 'otto created the contact']);

    expect((await operator().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(200);
    story = await storyUntil(page, kept.id, 'otto undid a merge');
    expect(await story()).toEqual(['otto undid a merge', 'otto merged a duplicate into this contact', 'otto created the contact']);
    story = await storyUntil(page, dup.id, 'otto undid a merge');
    expect(await story()).toEqual(['otto undid a merge', 'otto merged this contact into another contact', 'otto added the tag From dup', 'otto created the contact']);
  });
});
