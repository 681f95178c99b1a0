/**
 * The active language and formatters. English ships in the first bundle (it
 * is the fallback); the other catalogs load on demand. The choice is kept in
 * localStorage; the first visit follows the browser's languages.
 */
import { en } from '../../../shared/i18n/en.js';
import {
  isLocale,
  loadCatalog,
  matchLocale,
  translate,
  type Catalog,
  type Locale,
  type MessageKey,
  type MessageParams,
} from '../../../shared/i18n/index.js';

const STORAGE_KEY = 'cem.locale';

/** Units of a relative time, largest first, with their length in seconds. */
const RELATIVE_UNITS: ReadonlyArray<readonly [Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['week', 7 * 86_400],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

class I18n {
  locale = $state<Locale>('en');
  #catalog = $state.raw<Catalog>(en);
  timeZone = $state<string | undefined>(undefined);
  #cache = new Map<string, unknown>();

  t = (key: MessageKey, params?: MessageParams): string => translate(this.#catalog, en, key, params);

  /** True when a key exists (for codes coming from the API: error codes, reasons). */
  has = (key: string): key is MessageKey => key in en;

  async init(): Promise<void> {
    let stored: string | null = null;
    try {
      stored = localStorage.getItem(STORAGE_KEY);
    } catch {
      stored = null;
    }
    const locale = isLocale(stored) ? stored : matchLocale(navigator.languages?.length ? navigator.languages : [navigator.language]);
    await this.set(locale, false);
  }

  async set(locale: Locale, persist = true): Promise<void> {
    const catalog = locale === 'en' ? en : await loadCatalog(locale);
    this.#catalog = catalog;
    this.locale = locale;
    this.#cache.clear();
    document.documentElement.lang = locale;
    if (persist) {
      try {
        localStorage.setItem(STORAGE_KEY, locale);
      } catch {
        // Private mode: the choice lasts for this page only.
      }
    }
  }

  #memo<T>(key: string, make: () => T): T {
    const cacheKey = `${this.locale}|${this.timeZone ?? ''}|${key}`;
    let value = this.#cache.get(cacheKey) as T | undefined;
    if (value === undefined) {
      value = make();
      this.#cache.set(cacheKey, value);
    }
    return value;
  }

  date = (iso: string | null | undefined): string => {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return this.#memo('date', () => new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeZone: this.timeZone })).format(d);
  };

  /** Compact date for table cells. */
  shortDate = (iso: string | null | undefined): string => {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return this.#memo('shortDate', () => new Intl.DateTimeFormat(this.locale, { dateStyle: 'short', timeZone: this.timeZone })).format(d);
  };

  dateTime = (iso: string | null | undefined): string => {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return this.#memo('dateTime', () =>
      new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: this.timeZone }),
    ).format(d);
  };

  /** How long ago (or how soon) `iso` is, in words: "2 min. ago", "yesterday", "in 3 days". */
  relative = (iso: string | null | undefined, now: number = Date.now()): string => {
    if (!iso) return '—';
    const time = new Date(iso).getTime();
    if (Number.isNaN(time)) return iso;
    const seconds = Math.round((time - now) / 1000);
    const format = this.#memo('relative', () => new Intl.RelativeTimeFormat(this.locale, { numeric: 'auto', style: 'short' }));
    for (const [unit, size] of RELATIVE_UNITS) {
      if (Math.abs(seconds) >= size || unit === 'second') return format.format(Math.round(seconds / size), unit);
    }
    return format.format(seconds, 'second');
  };

  /** A calendar day `YYYY-MM-DD` (already in the tenant's timezone) shown as a short date. */
  day = (ymd: string): string => {
    const [y, m, d] = ymd.split('-').map(Number);
    if (!y || !m || !d) return ymd;
    return this.#memo('day', () => new Intl.DateTimeFormat(this.locale, { day: 'numeric', month: 'short', timeZone: 'UTC' })).format(
      new Date(Date.UTC(y, m - 1, d)),
    );
  };

  number = (n: number | null | undefined): string => {
    if (n === null || n === undefined || Number.isNaN(n)) return '—';
    return this.#memo('number', () => new Intl.NumberFormat(this.locale)).format(n);
  };

  /** A 0-100 percentage as the API sends it. */
  percent = (n: number | null | undefined): string => {
    if (n === null || n === undefined || Number.isNaN(n)) return '—';
    return this.#memo('percent', () => new Intl.NumberFormat(this.locale, { style: 'percent', maximumFractionDigits: 1 })).format(n / 100);
  };

  country = (code: string | null | undefined): string => {
    if (!code) return '—';
    try {
      return this.#memo('regions', () => new Intl.DisplayNames([this.locale], { type: 'region' })).of(code.toUpperCase()) ?? code;
    } catch {
      return code;
    }
  };

  language = (tag: string | null | undefined): string => {
    if (!tag) return '—';
    try {
      return this.#memo('languages', () => new Intl.DisplayNames([this.locale], { type: 'language' })).of(tag) ?? tag;
    } catch {
      return tag;
    }
  };

  weekday = (index: number): string => {
    // 2023-01-01 was a Sunday; METRICS.md numbers weekdays Sunday first.
    return this.#memo('weekday', () => new Intl.DateTimeFormat(this.locale, { weekday: 'long', timeZone: 'UTC' })).format(
      new Date(Date.UTC(2023, 0, 1 + (((index % 7) + 7) % 7))),
    );
  };
}

export const i18n = new I18n();
export const t = i18n.t;
