import { fold } from './text.js';

/**
 * Custom field keys start with a letter and hold letters, digits and `_`
 * (at most 64): they become CSV headers and JSON keys, so a key can never
 * start a spreadsheet formula (`=WEBSERVICE(...)` in row 1 of every export).
 */
export const CUSTOM_FIELD_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * Names every object already has (`constructor`, `toString`...). A
 * customFields map with its own `constructor` cannot even be stored: the
 * AWS SDK's marshaller reads `value.constructor.name` to tell a map from a
 * class instance, and throws. Such names get a trailing `_` instead.
 */
const OBJECT_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

export const CUSTOM_FIELD_KEY_RULE = 'must start with a letter, hold only letters, digits and _ (at most 64) and not be a built-in object name (constructor, toString...)';

export const isCustomFieldKey = (key: string): boolean => CUSTOM_FIELD_KEY.test(key) && !OBJECT_NAMES.has(key);

/** A key made from a name: camelCase of its words without accents ("Data de nascimento" -> "dataDeNascimento"). */
export function keyFromName(name: string): string {
  const words = fold(name).replace(/[^a-z0-9]+/g, ' ').trim().split(' ').filter(Boolean);
  const key = words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
  return /^[a-z]/.test(key) ? key.slice(0, 64) : `field${key}`.slice(0, 64);
}

/**
 * The key a CSV column (or a mapping's `customFields.<name>`) stores its
 * values under: the name itself when it already is a valid key, so files
 * exported from here import back under the same keys, else keyFromName of
 * it ("=HYPERLINK(x)" -> "hyperlinkX", "123" -> "field123"); a built-in
 * object name gets a trailing `_` ("constructor" -> "constructor_").
 */
export function customFieldKeyFor(name: string): string {
  const text = name.trim();
  const key = CUSTOM_FIELD_KEY.test(text) ? text : keyFromName(text);
  return OBJECT_NAMES.has(key) ? `${key}_` : key;
}

/**
 * A contact's custom field value by key, own properties only: a key such as
 * `constructor` or `toString` must not find Object.prototype's function.
 */
export function customFieldValue<T>(values: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return values && Object.hasOwn(values, key) ? values[key] : undefined;
}
