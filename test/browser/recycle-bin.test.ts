import { type Locator, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/api-suite.js';
import { useChromium, useSignedInPages } from '../support/browser.js';
import { contactBody, createContact } from '../support/factories.js';

/**
 * The SPA's side of "Deletion you can trust" (API.md "Recycle bin",
 * "Erasure and suppression"): deleting moves a contact to the Recycle bin
 * screen, which restores it (one, or a selection through a restore-contacts
 * job) and purges it; erasing from the profile suppresses the phone and
 * email, which the Suppressions screen lists and lifts. In English, and the
 * bin's headings in Spanish and Portuguese.
 */
const stack = useLocalStack();
const browser = useChromium();
const signedIn = useSignedInPages(browser, stack);

const admin = () => stack.api.as('admin', 'ana');
const operator = () => stack.api.as('operator', 'otto');

/** The row of a contact in a contact table (the contact base or the recycle bin). */
const rowOf = (page: Page, id: string): Locator => page.locator(`table.contacts tbody tr[data-id="${id}"]`);

/**
 * Searches a listing until the row of `id` shows: listings follow writes
 * through the stream, a moment later. Each try waits for the answer to the
 * search itself (the box applies what is typed a moment later), so the
 * rows shown are the search's and a selection made next is not cleared by it.
 */
async function searchUntilShown(page: Page, hash: string, box: string, text: string, ...ids: string[]): Promise<Locator> {
  const rows = ids.map((id) => rowOf(page, id));
  await expect
    .poll(
      async () => {
        // From another screen, so the listing is read afresh and the search box starts empty.
        await page.goto(`${stack.baseUrl}/#/tags`);
        await page.goto(`${stack.baseUrl}/${hash}`);
        const searched = page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).searchParams.get('q') === text);
        await page.getByRole('searchbox', { name: box }).fill(text);
        await searched;
        try {
          for (const row of rows) await row.waitFor({ timeout: 2_000 });
          return true;
        } catch {
          return false;
        }
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(true);
  return rows[0]!;
}

describe('the recycle bin', { timeout: 120_000 }, () => {
  it('a contact deleted from its profile shows in the bin with its purge date, and Restore brings it back to the contact base', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Binny', lastName: 'Restorable' }));
    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/contacts/${contact.id}`);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('will be moved to the recycle bin');
    expect(await dialog.textContent()).not.toContain('cannot be undone');
    await dialog.getByRole('button', { name: 'Delete' }).click();

    await page.getByText('Binny Restorable was moved to the recycle bin.').waitFor();
    expect((await operator().get(`/v1/contacts/${contact.id}`)).status).toBe(404);
    // The toast leads to the bin.
    await page.getByRole('link', { name: 'Open the recycle bin' }).click();
    await page.getByRole('heading', { name: 'Recycle bin', level: 1 }).waitFor();

    const row = await searchUntilShown(page, '#/recycle-bin', 'Search the recycle bin', 'Binny', contact.id);
    expect(await row.locator('td').nth(1).textContent()).toContain('Binny Restorable');
    expect(await row.getByTestId('purge-in').textContent()).toBe('purged in 30 days');
    expect(await row.textContent()).toContain('by ana');

    await row.getByTestId('restore').click();
    await page.getByText('Binny Restorable was restored.').waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await operator().get(`/v1/contacts/${contact.id}`)).body).toMatchObject({ id: contact.id, firstName: 'Binny', lastName: 'Restorable' });

    const back = await searchUntilShown(page, '#/contacts', 'Search contacts', 'Binny', contact.id);
    expect(await back.textContent()).toContain('Binny Restorable');
  });

  it('restores a selection with one restore-contacts job and its progress bar', async () => {
    const ids: string[] = [];
    for (const lastName of ['Uno', 'Dos', 'Tres']) ids.push((await createContact(operator(), contactBody({ firstName: 'Binsel', lastName }))).id);
    for (const id of ids) expect((await operator().delete(`/v1/contacts/${id}`)).status).toBe(204);

    const page = await signedIn('ana');
    const jobRequests: unknown[] = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/v1/jobs')) jobRequests.push(req.postDataJSON());
    });
    await searchUntilShown(page, '#/recycle-bin', 'Search the recycle bin', 'Binsel', ...ids);
    await expect.poll(() => page.locator('table.contacts tbody tr').count()).toBe(3);
    for (const name of ['Binsel Uno', 'Binsel Dos', 'Binsel Tres']) await page.getByRole('checkbox', { name: `Select ${name}` }).check();
    const bulk = page.getByRole('region', { name: 'Bulk actions' });
    expect(await bulk.textContent()).toContain('3 selected');
    await bulk.getByRole('button', { name: 'Restore selected' }).click();

    const progress = page.getByTestId('bulk-job').getByRole('progressbar');
    await progress.waitFor();
    await expect.poll(() => progress.getAttribute('aria-valuenow'), { timeout: 45_000 }).toBe('100');
    await page.getByText('3 contacts restored.').waitFor();
    expect(await page.getByTestId('bulk-job').textContent()).toContain('3 of 3');
    expect(jobRequests).toEqual([{ type: 'restore-contacts', contactIds: expect.arrayContaining(ids) }]);
    for (const id of ids) expect((await operator().get(`/v1/contacts/${id}`)).status).toBe(200);
    await expect.poll(() => page.locator('table.contacts tbody tr').count()).toBe(0);
    await page.getByText('No deleted contact matches').waitFor();
  });

  it('a bulk delete says the contacts moved to the recycle bin; Purge now, once confirmed, removes one for good', async () => {
    const ids: string[] = [];
    for (const lastName of ['Keep', 'Gone']) ids.push((await createContact(operator(), contactBody({ firstName: 'Purgy', lastName }))).id);
    const page = await signedIn('ana');
    await searchUntilShown(page, '#/contacts', 'Search contacts', 'Purgy', ...ids);
    await expect.poll(() => page.locator('table.contacts tbody tr').count(), { timeout: 15_000 }).toBe(2);
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByRole('button', { name: 'Delete' }).click();
    expect(await page.getByRole('dialog').textContent()).toContain('2 contacts will be moved to the recycle bin');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('2 contacts moved to the recycle bin.').waitFor({ timeout: 45_000 });

    const row = await searchUntilShown(page, '#/recycle-bin', 'Search the recycle bin', 'Purgy', ids[1]!);
    await row.getByTestId('purge').click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('Purgy Gone and their history will be removed for good');
    // Cancelling purges nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await row.count()).toBe(1);
    await row.getByTestId('purge').click();
    await dialog.getByRole('button', { name: 'Purge now' }).click();
    await page.getByText('Purgy Gone was purged.').waitFor();
    await row.waitFor({ state: 'detached' });

    const bin = (await admin().get('/v1/recycle-bin?q=Purgy')).body.items.map((c: { id: string }) => c.id);
    expect(bin).toEqual([ids[0]]);
    expect((await admin().post(`/v1/recycle-bin/${ids[1]}/restore`)).status).toBe(404);
  });

  it('an operator sees the bin but neither restores nor purges; an agent has no bin', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Opview' }));
    expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);
    const page = await signedIn('otto');
    await page.locator('nav.sidebar').getByRole('link', { name: 'Recycle bin' }).click();
    const row = await searchUntilShown(page, '#/recycle-bin', 'Search the recycle bin', 'Opview', contact.id);
    expect(await row.getByRole('button').count()).toBe(0);
    expect(await row.getByRole('checkbox').count()).toBe(0);

    const agentPage = await signedIn('gil');
    expect(await agentPage.locator('nav.sidebar').getByRole('link', { name: 'Recycle bin' }).count()).toBe(0);
    await agentPage.goto(`${stack.baseUrl}/#/recycle-bin`);
    await agentPage.getByRole('heading', { name: 'Not available for your role' }).waitFor();
  });

  it('switching the language to Español and Português translates the bin and suppression screens', async () => {
    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/recycle-bin`);
    await page.getByRole('heading', { name: 'Recycle bin', level: 1 }).waitFor();
    const headers = () => page.locator('table.contacts thead th').allTextContents();
    expect(await headers()).toEqual(expect.arrayContaining(['Name', 'Deleted', 'Purge']));

    await page.getByTestId('language-switcher').selectOption({ label: 'Español' });
    await page.getByRole('heading', { name: 'Papelera', level: 1 }).waitFor();
    expect(await headers()).toEqual(expect.arrayContaining(['Nombre', 'Eliminado', 'Purga']));
    expect(await page.locator('nav.sidebar').getByRole('link', { name: 'Papelera' }).count()).toBe(1);
    expect(await page.getByRole('searchbox', { name: 'Buscar en la papelera' }).count()).toBe(1);
    await page.locator('nav.sidebar').getByRole('link', { name: 'Supresiones' }).click();
    await page.getByRole('heading', { name: 'Supresiones', level: 1 }).waitFor();
    await page.getByRole('heading', { name: '¿Está suprimido este teléfono o correo?' }).waitFor();
    await page.locator('nav.sidebar').getByRole('link', { name: 'Papelera' }).click();
    await page.getByRole('heading', { name: 'Papelera', level: 1 }).waitFor();

    await page.getByTestId('language-switcher').selectOption({ label: 'Português' });
    await page.getByRole('heading', { name: 'Lixeira', level: 1 }).waitFor();
    expect(await headers()).toEqual(expect.arrayContaining(['Nome', 'Excluído em', 'Eliminação']));
    expect(await page.locator('nav.sidebar').getByRole('link', { name: 'Lixeira' }).count()).toBe(1);
    expect(await page.getByRole('searchbox', { name: 'Buscar na lixeira' }).count()).toBe(1);
    await page.locator('nav.sidebar').getByRole('link', { name: 'Supressões' }).click();
    await page.getByRole('heading', { name: 'Supressões', level: 1 }).waitFor();
    expect(await page.locator('[data-testid="suppressions"] thead th').allTextContents()).toEqual(expect.arrayContaining(['Tipo', 'Criada em', 'Por', 'Motivo']));
  });

  it('the delete and erase confirmations speak Spanish and Portuguese, and cancelling them changes nothing', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Lena', lastName: 'Idiomas' }));
    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/contacts/${contact.id}`);
    const LANGUAGES = [
      { label: 'Español', remove: 'Eliminar', moved: 'se moverá a la papelera', erase: 'Borrar datos personales', title: '¿Borrar los datos personales de Lena Idiomas?', suppressed: 'lista de supresión' },
      { label: 'Português', remove: 'Excluir', moved: 'será movido para a lixeira', erase: 'Apagar dados pessoais', title: 'Apagar os dados pessoais de Lena Idiomas?', suppressed: 'lista de supressão' },
    ];
    const dialog = page.getByRole('dialog');
    for (const language of LANGUAGES) {
      await page.getByTestId('language-switcher').selectOption({ label: language.label });
      await page.getByRole('button', { name: language.erase }).waitFor();
      await page.getByRole('button', { name: language.remove, exact: true }).click();
      expect(await dialog.textContent()).toContain(language.moved);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: language.erase }).click();
      expect(await dialog.getByRole('heading').textContent()).toBe(language.title);
      expect(await dialog.textContent()).toContain(language.suppressed);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    }
    expect((await operator().get(`/v1/contacts/${contact.id}`)).status).toBe(200);
  });
});

describe('erasure and suppressions', { timeout: 120_000 }, () => {
  it('erasing from the profile, once confirmed, removes the contact and the Suppressions screen lists its phone and email, never their values', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Erin', lastName: 'Erasable', phone: '+55 11 97777-1234', email: 'erin.erasable@example.com' }));
    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/contacts/${contact.id}`);
    await page.getByTestId('erase').click();
    const dialog = page.getByRole('dialog');
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('Erase the personal data of Erin Erasable?');
    for (const named of ['the profile', 'its history', 'messages and conversation texts', 'merge snapshots', 'copy in the recycle bin', 'phone and email go onto the suppression list']) {
      expect(text).toContain(named);
    }
    await dialog.getByRole('button', { name: 'Erase', exact: true }).click();

    await page.getByText('The personal data of Erin Erasable was erased.').waitFor();
    expect(page.url()).toMatch(/#\/contacts$/);
    expect((await admin().get(`/v1/contacts/${contact.id}`)).status).toBe(404);

    await page.locator('nav.sidebar').getByRole('link', { name: 'Suppressions' }).click();
    const table = page.getByTestId('suppressions');
    await expect.poll(() => table.locator('tbody tr[data-kind="phone"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await table.locator('tbody tr[data-kind="email"]').count()).toBeGreaterThan(0);
    const shown = (await table.textContent()) ?? '';
    for (const value of ['97777', '+5511977771234', 'erin.erasable', 'Erin']) expect(shown).not.toContain(value);
    expect(await table.locator('tbody tr[data-kind="phone"]').first().textContent()).toContain('Phone');

    // The lookup finds each value as typed in any common format, and a value never suppressed is not.
    const lookup = page.getByTestId('suppression-lookup');
    const answer = page.getByTestId('suppression-answer');
    for (const [value, kind] of [['(11) 97777-1234', 'Phone'], ['Erin.Erasable@example.com', 'Email']] as const) {
      await lookup.fill(value);
      await page.getByRole('button', { name: 'Check' }).click();
      await expect.poll(() => answer.textContent()).toContain(kind);
      expect(await answer.textContent()).toContain('Suppressed since');
    }
    await lookup.fill('nobody@example.com');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => answer.textContent()).toContain('Not suppressed');

    // A new contact with the erased phone is refused, in words.
    expect((await operator().post('/v1/contacts', { firstName: 'Again', phone: '+5511977771234' })).status).toBe(409);
  });

  it('erases a contact from the recycle bin: the same confirmation, and its phone is suppressed', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Bina', lastName: 'Erasable', phone: '+55 11 95555-7788', email: undefined }));
    expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);
    const page = await signedIn('ana');
    const row = await searchUntilShown(page, '#/recycle-bin', 'Search the recycle bin', 'Bina', contact.id);
    await row.getByRole('button', { name: 'Erase personal data' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('Erase the personal data of Bina Erasable?');
    expect(await dialog.textContent()).toContain('copy in the recycle bin');
    await dialog.getByRole('button', { name: 'Erase', exact: true }).click();
    await page.getByText('The personal data of Bina Erasable was erased.').waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await admin().get('/v1/recycle-bin?q=Bina')).body.items).toEqual([]);
    expect((await admin().get(`/v1/suppressions?value=${encodeURIComponent('+5511955557788')}`)).body.items).toEqual([expect.objectContaining({ kind: 'phone' })]);
  });

  it('Lift, once confirmed, lifts a suppression and the phone can be used again', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Lia', lastName: 'Liftable', phone: '+55 11 96666-4321', email: undefined }));
    const erased = await admin().post(`/v1/contacts/${contact.id}/erase`, { reason: 'Asked by the person' });
    expect(erased.status).toBe(200);
    const id = (erased.body.suppressions as Array<{ id: string; kind: string }>).find((s) => s.kind === 'phone')!.id;

    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/suppressions`);
    const row = page.locator(`[data-testid="suppressions"] tbody tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Asked by the person');
    await row.getByTestId('lift').click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('This phone can be added to the contact base again');
    await dialog.getByRole('button', { name: 'Lift' }).click();
    await page.getByText('Suppression lifted.').waitFor();
    await row.waitFor({ state: 'detached' });

    await page.getByTestId('suppression-lookup').fill('+55 11 96666-4321');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => page.getByTestId('suppression-answer').textContent()).toContain('Not suppressed');
    expect((await operator().post('/v1/contacts', { firstName: 'Lia', phone: '+5511966664321' })).status).toBe(201);
  });
});
