import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AxeResults, ImpactValue } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import { startedForFile } from './api-suite.js';

/** Debian's Chromium, as the browser tests drive it (no browser download). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_DIST = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));

/** Launches headless Chromium for a browser test; the SPA must be built (`npm test` builds it first). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(WEB_DIST)) throw new Error('web/dist is missing: run `npm run build:web` first');
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Chromium for one test file: launched before its tests, closed after them. */
export const useChromium = (): Browser => startedForFile('Chromium', launchChromium, (browser) => browser.close());

/** The local sign-in page's demo users: Ana is an admin, Otto an operator, Gil an agent. */
export type DemoUser = 'ana' | 'otto' | 'gil';

/** Signs in through the local sign-in page as one of its demo users and waits for the shell. */
export async function signInAs(page: Page, baseUrl: string, user: DemoUser): Promise<void> {
  await page.goto(baseUrl + '/');
  await page.getByTestId(`demo-${user}`).click();
  await page.locator('.shell').waitFor();
}

/**
 * Pages signed in as a demo user, each in a browser context of its own
 * (the locale the browser announces, a 1280x900 window), all closed after
 * every test: `const signedIn = useSignedInPages(browser, stack)`, then
 * `await signedIn('ana')` or `await signedIn('otto', 'es-ES')`.
 */
export function useSignedInPages(browser: Browser, stack: { readonly baseUrl: string }): (user: DemoUser, locale?: string) => Promise<Page> {
  const open: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((context) => context.close()));
  });
  return async (user, locale = 'en-US') => {
    const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
    open.push(context);
    const page = await context.newPage();
    await signInAs(page, stack.baseUrl, user);
    return page;
  };
}

/** WCAG 2.0 and 2.1, levels A and AA: the rules the SPA is held to. */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const BLOCKING: readonly ImpactValue[] = ['serious', 'critical'];
/**
 * Landmark rules axe files under best practice, at moderate impact: a
 * screen-reader user jumps by landmarks, so every page has one main and no
 * content outside a landmark. Held at any impact.
 */
const LANDMARK_RULES = ['landmark-one-main', 'region', 'landmark-no-duplicate-main', 'landmark-unique'];

export interface AxeFinding {
  rule: string;
  impact: ImpactValue;
  help: string;
  /** CSS selector of each failing element, with axe's summary of why it fails. */
  targets: { selector: string; why: string }[];
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Runs axe-core in the page (injected once per document) over WCAG 2.1 A
 * and AA rules and returns the violations of impact serious or critical,
 * and any landmark violation.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SOURCE });
  const results = await page.evaluate(
    ({ tags, landmarks }) => (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<AxeResults> } }).axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      rules: Object.fromEntries(landmarks.map((rule) => [rule, { enabled: true }])),
      resultTypes: ['violations'],
    }),
    { tags: WCAG_21_AA, landmarks: LANDMARK_RULES },
  );
  return results.violations
    .filter((v) => LANDMARK_RULES.includes(v.id) || (v.impact && BLOCKING.includes(v.impact)))
    .map((v) => ({
      rule: v.id,
      impact: v.impact!,
      help: v.help,
      targets: v.nodes.map((n) => ({ selector: n.target.join(' '), why: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim() })),
    }));
}

/** What has the keyboard focus, as a keyboard test reads it. */
export interface Focus {
  tag: string;
  id: string;
  testid: string | null;
  label: string | null;
  text: string;
  inDialog: boolean;
  /** An outline (2px or more) or a ring the eye can see around the focused element. */
  visible: boolean;
}

export async function focusOf(page: Page): Promise<Focus> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'BODY', id: '', testid: null, label: null, text: '', inDialog: false, visible: false };
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const stroke = el instanceof SVGElement && style.stroke !== 'none' && parseFloat(style.strokeWidth) >= 2;
    return {
      tag: el.tagName,
      id: el.id,
      testid: el.getAttribute('data-testid'),
      label: el.getAttribute('aria-label'),
      text: (el.innerText ?? '').trim().slice(0, 80),
      inDialog: Boolean(el.closest('dialog[open]')),
      visible: outline || stroke || style.boxShadow !== 'none',
    };
  });
}

/**
 * Presses Tab (or Shift+Tab) until the focus is on what `wanted` describes,
 * checks the focus is visible there, and fails with the path it took.
 */
export async function tabTo(page: Page, wanted: (f: Focus) => boolean, what: string, options: { back?: boolean; max?: number } = {}): Promise<Focus> {
  const path: string[] = [];
  for (let i = 0; i < (options.max ?? 80); i++) {
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
    const f = await focusOf(page);
    path.push(`${f.tag}${f.testid ? `[${f.testid}]` : ''} ${f.label ?? f.text}`.trim());
    if (wanted(f)) {
      expect(f.visible, `focus ring on ${what}`).toBe(true);
      return f;
    }
  }
  throw new Error(`Tab never reached ${what}; it went through:\n${path.join('\n')}`);
}
