import { createHmac } from 'node:crypto';
import { normalizePhone } from '../../shared/phone.js';
import { suppressedHashes, type SuppressionKind } from '../data/suppression.js';
import { suppressionSecret } from '../lib/config.js';
import { SuppressedError } from '../lib/errors.js';

/**
 * The suppression list's check (API.md "Erasure and suppression"): a
 * phone or email, normalized as contacts store it (E.164; trimmed and
 * lower-cased), is hashed with HMAC-SHA256 under the tenant's suppression
 * secret and looked up by that hash. Whoever reads the table sees hashes
 * that cannot be tried against a list of numbers without the secret.
 * Every check of a request, a CSV slice or an events call is one BatchGet.
 * Kept small: the jobs bundle (CSV import) imports it.
 */
export interface SuppressibleValue {
  kind: SuppressionKind;
  /** Normalized: E.164 phone, lower-cased email. */
  value: string;
}

export const suppressionHash = ({ kind, value }: SuppressibleValue): string =>
  createHmac('sha256', suppressionSecret()).update(`suppression:v1:${kind}:${value}`).digest('base64url');

const label = ({ kind, value }: SuppressibleValue) => `${kind}:${value}`;

/** The phone and email of normalized contact fields (shared/contact-schema.ts made them so). */
export function valuesOf(fields: { phone?: string | null; email?: string | null }): SuppressibleValue[] {
  const values: SuppressibleValue[] = [];
  if (fields.phone) values.push({ kind: 'phone', value: fields.phone });
  if (fields.email) values.push({ kind: 'email', value: fields.email.trim().toLowerCase() });
  return values;
}

/** An event's or a lookup's phone, normalized as resolveContact does (undefined when it is no phone). */
export const phoneValue = (text: string, region: string): SuppressibleValue | undefined => {
  const phone = normalizePhone(text, region);
  return phone ? { kind: 'phone', value: phone.e164 } : undefined;
};
export const emailValue = (text: string): SuppressibleValue => ({ kind: 'email', value: text.trim().toLowerCase() });

/** Which of `values` are suppressed, as `kind:value` labels: one BatchGet however many there are. */
export async function suppressedAmong(values: readonly SuppressibleValue[]): Promise<Set<string>> {
  const byHash = new Map(values.map((v) => [suppressionHash(v), label(v)]));
  const found = await suppressedHashes([...byHash.keys()]);
  return new Set([...found].map((hash) => byHash.get(hash)!));
}

/** Whether `value` is among the labels suppressedAmong answered. */
export const isSuppressed = (suppressed: ReadonlySet<string>, value: SuppressibleValue | undefined): boolean => !!value && suppressed.has(label(value));

/** The field-level message of a suppressed phone or email. */
export const SUPPRESSED_FIELD = 'is suppressed: the person it belonged to had their data erased';

/** Field errors for the suppressed phone and email among `fields`, given what suppressedAmong found. */
export function suppressedFieldErrors(fields: { phone?: string | null; email?: string | null }, suppressed: ReadonlySet<string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const value of valuesOf(fields)) if (isSuppressed(suppressed, value)) errors[value.kind] = SUPPRESSED_FIELD;
  return errors;
}

/** 409 `suppressed` when the fields' phone or email is suppressed (create and edit a contact). */
export async function assertNotSuppressed(fields: { phone?: string | null; email?: string | null }): Promise<void> {
  const values = valuesOf(fields);
  if (values.length === 0) return;
  const errors = suppressedFieldErrors(fields, await suppressedAmong(values));
  if (Object.keys(errors).length > 0) throw new SuppressedError(errors);
}
