import { type BrowserContext, type Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemoIfEmpty } from '../../infra/local/seed.js';
import type { Role } from '../../shared/roles.js';
import { can, type Action } from '../../web/src/lib/permissions.js';
import { ROUTES } from '../../web/src/routes.js';
import { useLocalStack } from '../support/api-suite.js';
import { axeViolations, focusOf, signInAs, tabTo, useChromium, type AxeFinding, type DemoUser } from '../support/browser.js';

/**
 * axe-core over every screen of the SPA, in each language and for each
 * role, against a small demo tenant: no violation of impact serious or
 * critical under the WCAG 2.1 A/AA rules, and every page in landmarks. Screens are visited by hash in
 * one page per role, so each pays for one sign-in and one axe injection.
 * Set A11Y_REPORT=1 to print every finding (rule, screen, element).
 */
const stack = useLocalStack();
const browser = useChromium();

const LANGUAGES = ['en', 'es', 'pt-BR'] as const;
const USERS: Record<Role, DemoUser> = { admin: 'ana', operator: 'otto', agent: 'gil' };
/**
 * The admin sees every screen and control, so every screen is checked in
 * every language as an admin; the operator's and agent's screens differ
 * only by what they hide, so each is checked in one other language.
 * A11Y_FULL=1 checks every role in every language.
 */
const MATRIX: Array<[Role, readonly string[]]> = process.env.A11Y_FULL
  ? [['admin', LANGUAGES], ['operator', LANGUAGES], ['agent', LANGUAGES]]
  : [['admin', LANGUAGES], ['operator', ['es']], ['agent', ['pt-BR']]];

interface Fixtures {
  profileId: string;
  duplicateId: string;
  listId: string;
  jobId: string;
}
let fx: Fixtures;

interface Screen {
  name: string;
  /** The route pattern of web/src/routes.ts it shows (every pattern needs a screen). */
  pattern: string;
  hash: (f: Fixtures) => string;
  /** Puts the screen in the state to check (a dialog open, a form with errors); roles it applies to. */
  prepare?: (page: Page) => Promise<void>;
  only?: Action;
}

const SCREENS: Screen[] = [
  { name: 'contacts', pattern: '/contacts', hash: () => '#/contacts' },
  {
    name: 'contacts: selection and bulk actions',
    pattern: '/contacts',
    hash: () => '#/contacts',
    only: 'tags.assign',
    prepare: async (page) => {
      await page.locator('table.contacts tbody input[type=checkbox]').first().check();
      await page.locator('.bulk').waitFor();
    },
  },
  { name: 'blocked', pattern: '/blocked', hash: () => '#/blocked' },
  { name: 'new contact', pattern: '/contacts/new', hash: () => '#/contacts/new' },
  {
    name: 'new contact: field errors',
    pattern: '/contacts/new',
    hash: () => '#/contacts/new',
    only: 'contacts.create',
    prepare: async (page) => {
      await page.locator('input[type=email]').fill('not@@valid');
      await page.locator('form button[type=submit]').last().click();
      await page.locator('.field-error').first().waitFor();
    },
  },
  { name: 'profile', pattern: '/contacts/:id', hash: (f) => `#/contacts/${f.profileId}` },
  { name: 'profile with duplicates', pattern: '/contacts/:id', hash: (f) => `#/contacts/${f.duplicateId}` },
  {
    name: 'profile: block dialog',
    pattern: '/contacts/:id',
    hash: (f) => `#/contacts/${f.profileId}`,
    only: 'contacts.block',
    prepare: async (page) => {
      await page.getByTestId('block-toggle').click();
      await page.locator('dialog[open]').waitFor();
    },
  },
  { name: 'edit contact', pattern: '/contacts/:id/edit', hash: (f) => `#/contacts/${f.profileId}/edit` },
  { name: 'lists', pattern: '/lists', hash: () => '#/lists' },
  { name: 'list', pattern: '/lists/:id', hash: (f) => `#/lists/${f.listId}` },
  { name: 'tags', pattern: '/tags', hash: () => '#/tags' },
  { name: 'companies', pattern: '/companies', hash: () => '#/companies' },
  { name: 'departments', pattern: '/departments', hash: () => '#/departments' },
  { name: 'custom fields', pattern: '/custom-fields', hash: () => '#/custom-fields' },
  { name: 'agents', pattern: '/agents', hash: () => '#/agents' },
  { name: 'import', pattern: '/imports', hash: () => '#/imports' },
  {
    name: 'import: mapping',
    pattern: '/imports',
    hash: () => '#/imports',
    only: 'contacts.import',
    prepare: async (page) => {
      const csv = 'Nome;Celular;E-mail\nLia;(21) 99876-5432;lia@example.com\n';
      await page.getByTestId('csv-input').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.getByTestId('start-import').waitFor();
    },
  },
  { name: 'job', pattern: '/jobs/:id', hash: (f) => `#/jobs/${f.jobId}` },
  { name: 'dispatches', pattern: '/dispatches', hash: () => '#/dispatches' },
  { name: 'analytics', pattern: '/analytics', hash: () => '#/analytics' },
  {
    name: 'analytics: data tables',
    pattern: '/analytics',
    hash: () => '#/analytics',
    only: 'analytics.view',
    prepare: async (page) => {
      for (const toggle of await page.getByTestId('chart-table-toggle').all()) await toggle.click();
      await page.getByTestId('chart-table').first().waitFor();
    },
  },
  { name: 'merge', pattern: '/merge', hash: () => '#/merge' },
  { name: 'merge history', pattern: '/merges', hash: () => '#/merges' },
  { name: 'API keys', pattern: '/settings/api-keys', hash: () => '#/settings/api-keys' },
  { name: 'recycle bin', pattern: '/recycle-bin', hash: () => '#/recycle-bin' },
  {
    name: 'recycle bin: selection',
    pattern: '/recycle-bin',
    hash: () => '#/recycle-bin',
    only: 'recycleBin.restoreSelected',
    prepare: async (page) => {
      await page.locator('table.contacts tbody input[type=checkbox]').first().check();
      await page.locator('.bulk').waitFor();
    },
  },
  { name: 'suppressions', pattern: '/suppressions', hash: () => '#/suppressions' },
  { name: 'audit log', pattern: '/audit', hash: () => '#/audit' },
  { name: 'not found', pattern: '', hash: () => '#/no-such-screen' },
];

function mayOpen(role: Role, screen: Screen): boolean {
  const requires = ROUTES.find((r) => r.pattern === screen.pattern)?.requires;
  return !requires || can(role, requires);
}

/** Waits until the screen has its data: no skeleton, spinner or busy region left, and transitions done. */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    () => !document.querySelector('.page-loading, .skeleton, .spinner, [aria-busy="true"], .boot'),
    null,
    { timeout: 30_000, polling: 100 },
  );
  await page.waitForTimeout(250);
}

async function useLanguage(page: Page, locale: string): Promise<void> {
  await page.getByTestId('language-switcher').selectOption(locale);
  await page.waitForFunction((l) => document.documentElement.lang === l, locale);
}

type Found = AxeFinding & { screen: string; language: string; role: string };

function report(found: Found[]): string {
  const lines = found.flatMap((f) => f.targets.map((t) => `${f.role} ${f.language} ${f.screen} | ${f.rule} (${f.impact}) ${t.selector} | ${t.why}`));
  return lines.join('\n');
}

async function scan(page: Page, screen: string, language: string, role: string, into: Found[]): Promise<void> {
  for (const finding of await axeViolations(page)) into.push({ ...finding, screen, language, role });
}

async function seed(): Promise<Fixtures> {
  const admin = stack.api.as('admin', 'ana');
  // 40 contacts: enough for two merge suggestions (the seed enters one contact in twenty twice).
  await seedDemoIfEmpty(stack, () => undefined, 40);
  await stack.drain();
  expect((await admin.post('/v1/custom-fields', { name: 'Plano', key: 'plano', type: 'text' })).status).toBe(201);
  expect((await admin.post('/v1/api-keys', { name: 'CRM sync' })).status).toBe(201);
  const csv = 'Nome;Celular\nLia;(21) 99876-5432\nTeo;123\n';
  const job = await admin.post('/v1/jobs', { type: 'import-contacts', fileName: 'leads.csv', csv, mapping: { Nome: 'firstName', Celular: 'phone' } });
  expect(job.status, JSON.stringify(job.body)).toBe(202);
  await stack.idleJobs();

  const suggestions = (await admin.get('/v1/merge-suggestions')).body.items as Array<{ contacts: Array<{ id: string }> }>;
  expect(suggestions.length).toBeGreaterThan(1);
  // One merge made and undone, so the history has both kinds of row.
  const [a, b] = suggestions[1]!.contacts;
  const merge = await admin.post('/v1/merges', { primaryId: a!.id, duplicateIds: [b!.id] });
  expect(merge.status).toBe(201);
  expect((await admin.post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(200);

  const engaged = (await admin.get('/v1/contacts?band=high&limit=1')).body.items[0] ?? (await admin.get('/v1/contacts?limit=1')).body.items[0];
  const lists = (await admin.get('/v1/lists')).body.items as Array<{ id: string }>;
  await admin.post(`/v1/contacts/${engaged.id}/tags`, { name: 'VIP' });
  await admin.put(`/v1/contacts/${engaged.id}/lists/${lists[0]!.id}`);
  // A contact in the recycle bin and an erased one, so the bin and the suppression list have rows.
  const binned = await admin.post('/v1/contacts', { firstName: 'Binned', phone: '+5511955550001' });
  expect((await admin.delete(`/v1/contacts/${binned.body.id}`)).status).toBe(204);
  const erased = await admin.post('/v1/contacts', { firstName: 'Erased', phone: '+5511955550002', email: 'erased@example.com' });
  expect((await admin.post(`/v1/contacts/${erased.body.id}/erase`, {})).status).toBe(200);
  await stack.drain();
  return { profileId: engaged.id, duplicateId: suggestions[0]!.contacts[0]!.id, listId: lists[0]!.id, jobId: job.body.id };
}

beforeAll(async () => {
  fx = await seed();
}, 300_000);

async function withPage<T>(work: (page: Page) => Promise<T>): Promise<T> {
  const context: BrowserContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  try {
    return await work(await context.newPage());
  } finally {
    await context.close();
  }
}

describe('Accessibility (axe-core, WCAG 2.1 AA)', { timeout: 600_000 }, () => {
  it('has a screen to check for every route of the SPA', () => {
    const covered = new Set(SCREENS.map((s) => s.pattern));
    expect(ROUTES.map((r) => r.pattern).filter((p) => !covered.has(p))).toEqual([]);
  });

  it('the sign-in page has no serious or critical violation in any language', async () => {
    const found: Found[] = [];
    await withPage(async (page) => {
      await page.goto(stack.baseUrl + '/');
      await page.getByTestId('demo-ana').waitFor();
      for (const language of LANGUAGES) {
        await useLanguage(page, language);
        await settle(page);
        await scan(page, 'sign-in', language, '-', found);
      }
    });
    if (process.env.A11Y_REPORT) console.log(report(found));
    expect(report(found)).toBe('');
  });

  it('a chart is one Tab stop: arrows walk its figures, the tooltip tells each, Escape hides it, and its table opens from the keyboard', async () => {
    await withPage(async (page) => {
      await signInAs(page, stack.baseUrl, 'ana');
      // Each chart draws its figures once its numbers are in: the seed's last aggregates may land just after the
      // stream drained on a loaded machine, so the panel is read again (its Refresh) until all six show, 20 s at most.
      const charts = () =>
        page.evaluate(() => ({
          marks: [...document.querySelectorAll('svg')].filter((svg) => svg.querySelector('[data-mark]')).map((svg) => svg.querySelectorAll('[data-mark][tabindex="0"]').length),
          empty: [...document.querySelectorAll('.chart-card')].filter((c) => !c.querySelector('[data-mark]')).map((c) => c.getAttribute('data-testid')),
        }));
      await page.goto(`${stack.baseUrl}/#/analytics`);
      await settle(page);
      let drawn = await charts();
      for (const until = Date.now() + 20_000; drawn.marks.length < 6 && Date.now() < until; drawn = await charts()) {
        await page.waitForTimeout(1_000);
        await page.reload();
        await settle(page);
      }
      const inTabOrder = drawn.marks;
      expect(inTabOrder.length, `charts without figures: ${drawn.empty.join(', ')}`).toBe(6); // two funnels, monthly, service, map, heatmap
      expect(inTabOrder.every((n) => n === 1)).toBe(true);

      const first = await tabTo(page, (f) => f.testid === 'monthly-bar', 'the monthly chart');
      const tooltip = page.getByTestId('chart-tooltip');
      await page.keyboard.press('ArrowRight');
      const second = await focusOf(page);
      expect(second.testid).toBe('monthly-bar');
      expect(second.label).not.toBe(first.label);
      expect(await tooltip.textContent()).toContain(second.label!.split(':')[0]);
      await page.keyboard.press('Escape');
      expect(await tooltip.count()).toBe(0);
      await page.keyboard.press('Tab');
      expect((await focusOf(page)).testid).not.toBe('monthly-bar');

      const cell = await tabTo(page, (f) => f.testid === 'heatmap-cell', 'the heatmap');
      await page.keyboard.press('ArrowDown');
      const below = await focusOf(page);
      expect(below.testid).toBe('heatmap-cell');
      expect(below.label!.split(' ')[0]).not.toBe(cell.label!.split(' ')[0]);

      const monthly = page.getByTestId('chart-monthly');
      await tabTo(page, (f) => f.testid === 'chart-table-toggle' && Boolean(f.label?.includes('Monthly')), 'the monthly table toggle', { back: true, max: 200 });
      await page.keyboard.press('Enter');
      await monthly.getByTestId('chart-table').waitFor();
      expect(await monthly.getByTestId('chart-table-toggle').getAttribute('aria-expanded')).toBe('true');
      expect(await monthly.getByTestId('chart-table').locator('tbody tr').count()).toBe(6);
    });
  });

  for (const [role, languages] of MATRIX) {
    it(`every screen an ${role} opens has no serious or critical violation in ${languages.join(', ')}`, async () => {
      const found: Found[] = [];
      await withPage(async (page) => {
        await signInAs(page, stack.baseUrl, USERS[role]);
        for (const language of languages) {
          await useLanguage(page, language);
          for (const screen of SCREENS) {
            if (screen.only && !can(role, screen.only)) continue;
            // Screens the role may not open all show one "not available" page: checked once, on the first.
            if (!mayOpen(role, screen) && screen !== SCREENS.find((s) => !mayOpen(role, s))) continue;
            await page.goto(`${stack.baseUrl}/${screen.hash(fx)}`);
            await settle(page);
            if (screen.prepare) {
              await screen.prepare(page);
              await settle(page);
            }
            await scan(page, screen.name, language, role, found);
            await page.keyboard.press('Escape');
          }
        }
      });
      if (process.env.A11Y_REPORT) console.log(report(found));
      expect(report(found)).toBe('');
    });
  }
});
