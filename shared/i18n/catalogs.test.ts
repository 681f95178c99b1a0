import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { es } from './es.js';
import { interpolate, LOCALES, loadCatalog, matchLocale } from './index.js';
import { ptBR } from './pt-BR.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n catalogs', () => {
  for (const [name, catalog] of [['es', es], ['pt-BR', ptBR]] as const) {
    it(`${name} has exactly the English keys`, () => {
      expect(Object.keys(catalog).sort()).toEqual(Object.keys(en).sort());
    });

    it(`${name} keeps every placeholder of the English text`, () => {
      for (const key of Object.keys(en) as Array<keyof typeof en>) {
        expect(placeholders(catalog[key]), key).toEqual(placeholders(en[key]));
      }
    });

    it(`${name} has no empty text`, () => {
      for (const [key, text] of Object.entries(catalog)) expect(text.trim(), key).not.toBe('');
    });
  }

  it('loads every locale', async () => {
    for (const locale of LOCALES) expect(Object.keys(await loadCatalog(locale)).length).toBe(Object.keys(en).length);
  });

  it('matches browser languages to a catalog, English when none fits', () => {
    expect(matchLocale(['pt-PT', 'en'])).toBe('pt-BR');
    expect(matchLocale(['es-AR'])).toBe('es');
    expect(matchLocale(['de-DE', 'fr'])).toBe('en');
    expect(matchLocale(['fr', 'es'])).toBe('es');
  });

  it('fills placeholders and leaves unknown ones as written', () => {
    expect(interpolate('{n} of {total}', { n: 2 })).toBe('2 of {total}');
  });
});
