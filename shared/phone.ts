// The core entry point takes the metadata as an argument: ./phone-metadata.ts is the package's
// "min" metadata (what its default entry point bundles) without the formats, which only formatting reads.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/core';
import { PHONE_METADATA } from './phone-metadata.js';

export interface NormalizedPhone {
  /** E.164, e.g. +5511912345678 */
  readonly e164: string;
  /** ISO 3166-1 alpha-2 derived from the number, when the number identifies one */
  readonly country?: string;
}

/**
 * Normalizes a phone typed in any common format to E.164, reading numbers
 * without a country code in the tenant's default region. Returns undefined
 * when the text is not a possible phone number.
 */
export function normalizePhone(input: string, defaultRegion: string): NormalizedPhone | undefined {
  const text = input.trim();
  if (!/^[+()\d\s.\-/]{4,32}$/.test(text)) return undefined;
  const digits = text.replace(/\D/g, '');
  // "55 11 9..." typed without "+" but with the country code is common in Brazil.
  const candidates = text.startsWith('+') ? [text] : [text, `+${digits}`];
  for (const candidate of candidates) {
    const parsed = parsePhoneNumberFromString(candidate, defaultRegion as CountryCode, PHONE_METADATA);
    if (parsed && parsed.isValid()) return { e164: parsed.number, country: parsed.country };
  }
  return undefined;
}

/** True when the text looks like a phone rather than a name (search box). */
export function looksLikePhone(input: string): boolean {
  return /^[+()\d\s.\-/]{6,}$/.test(input.trim()) && /\d{4}/.test(input.replace(/\D/g, ''));
}
