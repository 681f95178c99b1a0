/**
 * Message catalogs of the SPA (and anything else that speaks to people):
 * English is the source and the fallback; every other catalog is typed
 * against it, so a missing key fails the type check.
 */
import type { Catalog, MessageKey } from './en.js';

export type { Catalog, MessageKey } from './en.js';

export const LOCALES = ['en', 'es', 'pt-BR'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language named in itself, for the language switcher. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  es: 'Español',
  'pt-BR': 'Português',
};

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The best catalog for a list of BCP 47 tags (browser preference order): exact, then by language. */
export function matchLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    if (isLocale(tag)) return tag;
    const language = tag.toLowerCase().split('-')[0];
    if (language === 'pt') return 'pt-BR';
    if (language === 'es') return 'es';
    if (language === 'en') return 'en';
  }
  return 'en';
}

export async function loadCatalog(locale: Locale): Promise<Catalog> {
  switch (locale) {
    case 'es':
      return (await import('./es.js')).es;
    case 'pt-BR':
      return (await import('./pt-BR.js')).ptBR;
    default:
      return (await import('./en.js')).en;
  }
}

export type MessageParams = Record<string, string | number>;

/** Replaces `{name}` placeholders; unknown placeholders stay as written. */
export function interpolate(template: string, params?: MessageParams): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function translate(catalog: Catalog, fallback: Catalog, key: MessageKey, params?: MessageParams): string {
  return interpolate(catalog[key] ?? fallback[key] ?? key, params);
}
