import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parsePhoneNumberFromString as parseWithPackageMetadata, type CountryCode } from 'libphonenumber-js';
import { getCountryCallingCode, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import { describe, expect, it } from 'vitest';
import { generatePhoneMetadata, packageMetadata } from './generate-phone-metadata.js';
import { PHONE_METADATA } from './phone-metadata.js';

const examples = createRequire(import.meta.url)('libphonenumber-js/examples.mobile.json') as Record<string, string>;

/** What normalizePhone (./phone.ts) reads of a parse: whether it parsed, is valid, its E.164 and country. */
function reading(parsed: ReturnType<typeof parsePhoneNumberFromString>) {
  return parsed ? { valid: parsed.isValid(), e164: parsed.number, country: parsed.country } : undefined;
}

/** A small seeded generator, so a failure names inputs that fail again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('the phone metadata without formats', () => {
  it('is the file the generator writes from the installed package (regenerate after updating it)', () => {
    expect(readFileSync(new URL('./phone-metadata.ts', import.meta.url), 'utf8')).toBe(generatePhoneMetadata());
  });

  it('keeps every territory of the package', () => {
    const { metadata } = packageMetadata();
    expect(Object.keys(PHONE_METADATA.countries)).toEqual(Object.keys(metadata.countries));
    expect(PHONE_METADATA.country_calling_codes).toEqual(metadata.country_calling_codes);
  });

  it("parses each country's example numbers as the package's metadata does, in every way they are typed", () => {
    const regions = Object.keys(examples) as CountryCode[];
    let compared = 0;
    for (const region of regions) {
      const national = examples[region];
      const code = getCountryCallingCode(region, PHONE_METADATA);
      const typed = [national, `0${national}`, `+${code}${national}`, `${code}${national}`, `+${code} ${national.slice(0, -1)}`, `+${code}${national}9`];
      for (const text of typed) {
        for (const defaultRegion of [region, 'BR', 'US'] as CountryCode[]) {
          expect(reading(parsePhoneNumberFromString(text, defaultRegion, PHONE_METADATA)), `${text} in ${defaultRegion}`).toEqual(
            reading(parseWithPackageMetadata(text, defaultRegion)),
          );
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(4_000);
  });

  it('parses random digit strings as the package metadata does', () => {
    const next = random(7);
    const regions: CountryCode[] = ['BR', 'US', 'GB', 'DE', 'IN', 'PT', 'MX', 'AR'];
    for (let i = 0; i < 20_000; i++) {
      const length = 4 + Math.floor(next() * 12);
      const digits = Array.from({ length }, () => Math.floor(next() * 10)).join('');
      const text = next() < 0.5 ? `+${digits}` : digits;
      const region = regions[i % regions.length];
      expect(reading(parsePhoneNumberFromString(text, region, PHONE_METADATA)), `${text} in ${region}`).toEqual(reading(parseWithPackageMetadata(text, region)));
    }
  });
});
