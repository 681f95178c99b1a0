import { describe, expect, it } from 'vitest';
import { createJob } from '../../functions/jobs/job-service.js';
import { useLocalStack } from '../support/api-suite.js';
import { useChromium, useSignedInPages } from '../support/browser.js';
import { createContacts } from '../support/factories.js';

/** The job page's Cancel button (API.md "Jobs": `POST /v1/jobs/{id}/cancel`), in each language; and the typed count before deleting everything. */
const stack = useLocalStack();
const browser = useChromium();
const signedIn = useSignedInPages(browser, stack);

const LANGUAGES = [
  { locale: 'en-US', cancel: 'Cancel job', cancelled: 'Cancelled' },
  { locale: 'es-ES', cancel: 'Cancelar tarea', cancelled: 'Cancelada' },
  { locale: 'pt-BR', cancel: 'Cancelar tarefa', cancelled: 'Cancelada' },
];

describe('the job page', { timeout: 120_000 }, () => {
  it('cancels a queued job with its Cancel button, and shows it cancelled (en, es, pt-BR)', async () => {
    const ids = await createContacts(stack.api.as('operator'), 3, { email: undefined });
    for (const language of LANGUAGES) {
      // A job whose worker has not come yet: it stays queued until cancelled.
      const job = await createJob({ type: 'delete-contacts', contactIds: ids }, { sub: 'otto', name: 'otto', role: 'operator' }, { start: false });
      const page = await signedIn('otto', language.locale);
      await page.goto(`${stack.baseUrl}/#/jobs/${job.id}`);
      const button = page.getByTestId('job-cancel');
      await button.waitFor();
      expect((await button.textContent())?.trim()).toBe(language.cancel);
      await button.click();
      await expect.poll(() => page.getByTestId('job-status').textContent(), { timeout: 15_000 }).toBe(language.cancelled);
      await page.getByTestId('job-cancelled').waitFor();
      expect(await page.getByTestId('job-cancel').count()).toBe(0);
      expect((await stack.api.as('agent').get(`/v1/jobs/${job.id}`)).body).toMatchObject({ status: 'cancelled', processed: 0 });
    }
    for (const id of ids) expect((await stack.api.as('agent').get(`/v1/contacts/${id}`)).status).toBe(200);
  });
});

describe('deleting every contact', { timeout: 120_000 }, () => {
  it('asks the admin to type how many contacts will go before the Delete button works', async () => {
    // More than one page (50 rows), so "Select all contacts" is offered.
    const ids = await createContacts(stack.api.as('operator'), 60, { email: undefined });
    let total = 0;
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const r: { body: { items: unknown[]; cursor: string | null } } = await stack.api.as('agent').get(`/v1/contacts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      total += r.body.items.length;
      cursor = r.body.cursor;
    }
    const page = await signedIn('ana');
    await page.goto(`${stack.baseUrl}/#/contacts`);
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    await page.getByRole('button', { name: 'Select all contacts' }).click();
    await page.getByRole('region', { name: 'Bulk actions' }).getByRole('button', { name: 'Delete' }).click();
    const typed = page.getByTestId('confirm-type');
    await typed.waitFor();
    expect(await page.getByRole('dialog').textContent()).toContain(`Type ${total} to confirm`);
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Delete' });
    expect(await confirm.isDisabled()).toBe(true);
    await typed.fill(String(total + 1));
    expect(await confirm.isDisabled()).toBe(true);
    await typed.fill(String(total));
    expect(await confirm.isDisabled()).toBe(false);
    // Cancelling deletes nothing.
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    for (const id of ids) expect((await stack.api.as('agent').get(`/v1/contacts/${id}`)).status).toBe(200);
  });
});
