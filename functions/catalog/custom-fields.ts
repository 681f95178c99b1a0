import type { CustomFieldValue } from '../../shared/contact-schema.js';
import { fold } from '../../shared/text.js';

export const CUSTOM_FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'choice'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export interface CustomFieldDefinition {
  id: string;
  name: string;
  /** The key the value is stored under in `contact.customFields`. */
  key: string;
  type: CustomFieldType;
  choices?: string[];
  createdAt: string;
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'sim', 's', 'si', 'sí', 'verdadeiro', 'verdadero', '1', 'x']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'nao', 'não', 'falso', '0']);

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD`, a full ISO timestamp (its date part), or `DD/MM/YYYY` from spreadsheets (`text` mode). */
function parseDate(value: string, text: boolean): string | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  if (iso) {
    const [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    return isRealDate(y, m, d) ? `${iso[1]}-${iso[2]}-${iso[3]}` : undefined;
  }
  const dmy = text ? /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(value) : null;
  if (dmy) {
    const [d, m, y] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
    return isRealDate(y, m, d) ? `${y}-${pad(m)}-${pad(d)}` : undefined;
  }
  return undefined;
}

/** A decimal written either way (`1234.5`, `1234,5`, `1.234,50`, `1,234.50`). */
function parseNumber(value: string): number | undefined {
  let text = value.replace(/\s/g, '');
  if (!/^[-+]?[\d.,]+$/.test(text)) return undefined;
  const lastComma = text.lastIndexOf(',');
  const lastDot = text.lastIndexOf('.');
  if (lastComma > lastDot) text = text.replace(/\./g, '').replace(',', '.');
  else text = text.replace(/,/g, '');
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Checks one value against its definition and returns the stored form.
 * `json` mode (API bodies) wants the JSON type (a number for `number`, a
 * boolean for `boolean`); `text` mode (CSV cells) reads them from text.
 * Null clears the value in either mode.
 */
export function coerceCustomValue(definition: Pick<CustomFieldDefinition, 'type' | 'choices'>, value: CustomFieldValue, mode: 'json' | 'text'): { value: CustomFieldValue } | { error: string } {
  if (value === null) return { value: null };
  const text = mode === 'text';
  switch (definition.type) {
    case 'text':
      return typeof value === 'string' ? { value } : text ? { value: String(value) } : { error: 'must be text' };
    case 'number': {
      if (typeof value === 'number') return { value };
      const n = text && typeof value === 'string' ? parseNumber(value) : undefined;
      return n === undefined ? { error: 'must be a number' } : { value: n };
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { value };
      const word = text && typeof value === 'string' ? fold(value) : undefined;
      if (word !== undefined && TRUE_WORDS.has(word)) return { value: true };
      if (word !== undefined && FALSE_WORDS.has(word)) return { value: false };
      return { error: 'must be true or false' };
    }
    case 'date': {
      const date = typeof value === 'string' ? parseDate(value.trim(), text) : undefined;
      return date ? { value: date } : { error: text ? 'must be a date (YYYY-MM-DD or DD/MM/YYYY)' : 'must be a date (YYYY-MM-DD)' };
    }
    case 'choice': {
      const choices = definition.choices ?? [];
      const wanted = typeof value === 'string' ? fold(value) : fold(String(value));
      const match = choices.find((choice) => fold(choice) === wanted);
      return match !== undefined ? { value: match } : { error: `must be one of ${choices.join(', ')}` };
    }
  }
}

/**
 * Validates the custom field values whose key has a definition; others
 * pass unchanged. Errors are keyed `customFields.<key>`.
 */
export function checkCustomFields(
  values: Record<string, CustomFieldValue>,
  definitions: readonly CustomFieldDefinition[],
  mode: 'json' | 'text',
): { values: Record<string, CustomFieldValue>; errors: Record<string, string> } {
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const out: Record<string, CustomFieldValue> = {};
  const errors: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const definition = byKey.get(key);
    if (!definition) {
      out[key] = value;
      continue;
    }
    const result = coerceCustomValue(definition, value, mode);
    if ('error' in result) errors[`customFields.${key}`] = result.error;
    else out[key] = result.value;
  }
  return { values: out, errors };
}
