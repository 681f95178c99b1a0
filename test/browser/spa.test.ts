import { type BrowserContext, type Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/api-suite.js';
import { useChromium } from '../support/browser.js';
import { contactBody, createContact } from '../support/factories.js';

/**
 * The SPA in Debian's Chromium against a local stack (real handlers, DynamoDB
 * Local) serving the built web/dist. `npm test` builds the SPA first.
 */

const stack = useLocalStack();
const browser = useChromium();
let context: BrowserContext;
let page: Page;

beforeEach(async () => {
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
});

/** Signs in through the local sign-in page, as one of its demo users. */
async function signInAs(user: 'ana' | 'otto' | 'gil') {
  await page.goto(stack.baseUrl + '/');
  await page.getByTestId(`demo-${user}`).click();
  await page.locator('.shell').waitFor();
}

const newContact = (fields: Record<string, unknown> = {}) => createContact(stack.api.as('operator'), contactBody({ firstName: 'Rita', lastName: 'Lopes', ...fields }));

describe('SPA in Chromium', () => {
  it('an operator creates a contact with a badly formatted phone and the profile shows it grouped, E.164 in its title', async () => {
    await signInAs('otto');
    await page.getByRole('link', { name: 'New contact' }).first().click();
    await page.getByLabel('First name').fill('Bruna');
    await page.getByLabel('Phone').fill('(11) 98765-4321');
    await page.getByRole('button', { name: 'Create contact' }).click();

    // Stored in E.164, shown grouped for reading (the E.164 form is the title).
    await expect.poll(() => page.getByTestId('contact-phone').textContent(), { timeout: 15_000 }).toBe('+55 11 98765-4321');
    expect(await page.getByTestId('contact-phone').getAttribute('title')).toBe('+5511987654321');
    expect(page.url()).toMatch(/#\/contacts\/[^/]+$/);
    await expect.poll(() => page.getByTestId('contact-name').textContent()).toBe('Bruna');
  });

  it('shows a field error next to the email when the email is invalid, and creates nothing', async () => {
    await signInAs('otto');
    await page.goto(stack.baseUrl + '/#/contacts/new');
    await page.getByLabel('First name').fill('Caio');
    await page.getByRole('textbox', { name: 'Email' }).fill('caio@@example');
    await page.getByRole('button', { name: 'Create contact' }).click();

    const error = page.getByTestId('error-email');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/valid email/i);
    expect(await page.getByRole('textbox', { name: 'Email' }).getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toMatch(/#\/contacts\/new$/);

    const list = await stack.api.as('operator').get('/v1/contacts?q=caio');
    expect(list.body.items).toEqual([]);
  });

  it('an agent sees no New, Edit, Delete or bulk controls', async () => {
    const contact = await newContact();
    await signInAs('gil');
    await page.getByTestId('role-badge').waitFor();
    expect(await page.getByTestId('role-badge').textContent()).toBe('Agent');

    await page.locator('table.contacts tbody tr').first().waitFor();
    expect(await page.getByRole('link', { name: 'New contact' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Import' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Export CSV' }).count()).toBe(0);
    expect(await page.locator('table.contacts input[type=checkbox]').count()).toBe(0);

    await page.goto(`${stack.baseUrl}/#/contacts/${contact.id}`);
    await page.getByTestId('contact-name').waitFor();
    for (const name of ['Edit', 'Delete', 'Block', 'Subscribe', 'Unsubscribe', 'Send']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByRole('link', { name, exact: true }).count(), name).toBe(0);
    }
    expect(await page.getByRole('navigation').getByText('Analytics').count()).toBe(0);
    expect(await page.getByRole('navigation').getByText('Dispatches').count()).toBe(0);

    await page.goto(`${stack.baseUrl}/#/contacts/new`);
    await page.getByText('Not available for your role').waitFor();
  });

  it('imports a CSV as it is, an ignored column named in the mapping, and reports the bad row on the job page', async () => {
    await signInAs('otto');
    await page.goto(stack.baseUrl + '/#/imports');
    const csv = 'Nome;Celular;E-mail;Interno\nLia;(21) 99876-5432;lia@example.com;x1\nTeo;123;teo@@x;x2\n';
    await page.getByTestId('csv-input').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    expect(await page.getByLabel('Field for column Celular').inputValue()).toBe('phone');
    await page.getByLabel('Field for column Interno').selectOption('ignore');
    const request = page.waitForRequest((req) => req.method() === 'POST' && req.url().endsWith('/v1/jobs'));
    await page.getByTestId('start-import').click();
    expect((await request).postDataJSON()).toMatchObject({
      type: 'import-contacts',
      csv,
      mapping: { Nome: 'firstName', Celular: 'phone', 'E-mail': 'email', Interno: 'ignore' },
    });

    await page.waitForURL(/#\/jobs\//);
    await page.getByTestId('job-status').filter({ hasText: 'Finished' }).waitFor({ timeout: 45_000 });
    expect(await page.getByTestId('job-outcome').textContent()).toBe('Done: 1 created, 0 updated, 0 skipped, 1 failed.');
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    const errors = page.getByTestId('job-errors');
    await errors.waitFor();
    expect(await errors.locator('tbody tr').count()).toBe(1);
    expect(await errors.locator('tbody tr td').first().textContent()).toBe('3');

    const imported = await stack.api.as('operator').get('/v1/contacts?q=lia@example.com');
    expect(imported.body.items.map((c: { phone: string; customFields?: object }) => [c.phone, c.customFields ?? {}])).toEqual([['+5521998765432', {}]]);
  });

  it('deletes the selected contacts with one job, shows its progress, and the rows leave the table', async () => {
    const ids = await Promise.all(['Ana', 'Bia', 'Caio'].map((lastName, i) => newContact({ firstName: 'Bulkdel', lastName, phone: `+55119000000${i + 1}` }).then((c) => c.id)));
    await signInAs('otto');
    await page.getByRole('searchbox', { name: 'Search contacts' }).fill('Bulkdel');
    const rows = page.locator('table.contacts tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);

    const jobRequests: unknown[] = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/v1/jobs')) jobRequests.push(req.postDataJSON());
    });
    for (const name of ['Bulkdel Ana', 'Bulkdel Bia', 'Bulkdel Caio']) await page.getByRole('checkbox', { name: `Select ${name}` }).check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();

    const progress = page.getByTestId('bulk-job').getByRole('progressbar');
    await progress.waitFor();
    await expect.poll(() => progress.getAttribute('aria-valuenow'), { timeout: 45_000 }).toBe('100');
    expect(await page.getByTestId('bulk-job').textContent()).toContain('3 of 3');
    await page.getByText('3 contacts moved to the recycle bin.').waitFor();
    await page.getByText('No contacts match').waitFor();
    expect(await rows.count()).toBe(0);

    expect(jobRequests).toEqual([{ type: 'delete-contacts', contactIds: expect.arrayContaining(ids) }]);
    for (const id of ids) expect((await stack.api.as('operator').get(`/v1/contacts/${id}`)).status).toBe(404);
  });

  it('tags the selected contacts with one tag-contacts job, then exports the search it shows', async () => {
    const ids = await Promise.all(['Duda', 'Enzo'].map((lastName, i) => newContact({ firstName: 'Bulktag', lastName, phone: `+55119000001${i + 1}` }).then((c) => c.id)));
    await signInAs('otto');
    await page.getByRole('searchbox', { name: 'Search contacts' }).fill('Bulktag');
    await expect.poll(() => page.locator('table.contacts tbody tr').count(), { timeout: 15_000 }).toBe(2);

    const requests: Array<{ method: string; path: string; body: unknown }> = [];
    page.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (req.method() !== 'GET' && path.startsWith('/v1/')) requests.push({ method: req.method(), path, body: req.postDataJSON() });
    });
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    const bulk = page.getByRole('region', { name: 'Bulk actions' });
    await bulk.getByRole('combobox', { name: 'Add tag' }).fill('vip-bulk');
    await bulk.getByRole('button', { name: 'Add tag' }).click();

    await page.getByText('Tag “vip-bulk” added to 2 contacts.').waitFor({ timeout: 45_000 });
    expect(await page.getByTestId('bulk-job').getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    // One job for the whole selection, no request per contact.
    expect(requests).toEqual([{ method: 'POST', path: '/v1/jobs', body: { type: 'tag-contacts', tagName: 'vip-bulk', contactIds: expect.arrayContaining(ids) } }]);
    const tag = (await stack.api.as('operator').get('/v1/tags?q=vip-bulk')).body.items[0] as { id: string };
    const tagged = await stack.api.as('operator').get(`/v1/contacts?tag=${tag.id}`);
    expect(tagged.body.items.map((c: { id: string }) => c.id).sort()).toEqual([...ids].sort());

    await page.getByRole('button', { name: 'Export CSV' }).click();
    await expect.poll(() => requests.length).toBe(2);
    expect(requests[1]).toEqual({ method: 'POST', path: '/v1/jobs', body: { type: 'export-contacts', filter: { q: 'Bulktag' } } });
  });

  it('switching the language to Español and Português changes the navigation, and the choice survives a reload', async () => {
    await signInAs('ana');
    // The navigation's own accessible name is translated too, so find it by its place.
    const nav = page.locator('nav.sidebar');
    expect(await nav.getByRole('link', { name: 'Contacts', exact: true }).count()).toBe(1);

    await page.getByTestId('language-switcher').selectOption({ label: 'Español' });
    await nav.getByRole('link', { name: 'Contactos', exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: 'Etiquetas', exact: true }).count()).toBe(1);

    await page.getByTestId('language-switcher').selectOption({ label: 'Português' });
    await nav.getByRole('link', { name: 'Contatos', exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: 'Empresas', exact: true }).count()).toBe(1);

    await page.reload();
    await nav.getByRole('link', { name: 'Contatos', exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('pt-BR');
  });
});
