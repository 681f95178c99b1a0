import * as z from 'zod/mini';
import { globalConfig } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';
import { CHANNELS, type Channel } from './channels.js';
import { CUSTOM_FIELD_KEY_RULE, isCustomFieldKey } from './custom-field-key.js';
import { normalizePhone } from './phone.js';

export { CHANNELS, type Channel };

/** Channels a business can start because the phone or email is known (the rest only the contact can start). */
export const STARTABLE_CHANNELS: Partial<Record<Channel, 'phone' | 'email'>> = {
  sms: 'phone',
  whatsapp: 'phone',
  email: 'email',
};

export const ORIGIN_TYPES = ['app', 'app_spec', 'campaign', 'manual_import', 'api', 'csv', 'direct', 'chatbot'] as const;
export type OriginType = (typeof ORIGIN_TYPES)[number];

export const DEFAULT_ORIGINS = {
  bearer: { type: 'manual_import', label: 'Manual import' },
  apiKey: { type: 'api', label: 'API' },
  csv: (fileName: string) => ({ type: 'csv' as const, label: `CSV Import - ${fileName}` }),
} as const;

export const SUBSCRIPTION_STATUSES = ['subscribed', 'unsubscribed'] as const;

export interface Origin {
  type: OriginType;
  label: string;
}

export interface Assignee {
  type: 'agent' | 'group';
  id: string;
}

export type CustomFieldValue = string | number | boolean | null;

/** The contact fields a client writes (create and patch). */
export interface ContactFields {
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  email?: string | null;
  country?: string | null;
  language?: string | null;
  origin?: Origin;
  companyId?: string | null;
  departmentId?: string | null;
  assignee?: Assignee | null;
  customFields?: Record<string, CustomFieldValue>;
  channels?: Partial<Record<Channel, 'subscribed' | 'unsubscribed'>>;
}

/**
 * Built on the first parse, not at import: the many bundles that import this
 * module only for CHANNELS or the types then carry no zod code at all
 * (esbuild drops the unused builder), and a cold start does not pay for it.
 */
let contactObject: ReturnType<typeof buildContactObject> | undefined;

/** The zod object of the contact fields (built on first use): the shape the API documents for contact bodies. */
export const contactFieldsSchema = () => (contactObject ??= buildContactObject());

function buildContactObject() {
  // zod/mini starts without a locale; the same English messages classic zod
  // registers by default, unless the app has chosen a locale of its own.
  if (!globalConfig.localeError) z.config(en());

  const name = z.string().check(z.trim(), z.maxLength(100, 'must be at most 100 characters'));
  const optionalText = (max: number, ...extra: z.core.$ZodCheck<string>[]) =>
    z.string().check(z.trim(), z.maxLength(max, `must be at most ${max} characters`), ...extra);
  const id = z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(64, 'is not a valid id'));
  const nullish = <T extends z.core.SomeType>(schema: T) => z.optional(z.nullable(schema));

  return z.strictObject({
    firstName: nullish(name),
    lastName: nullish(name),
    phone: nullish(z.string().check(z.maxLength(40, 'is not a valid phone number'))),
    email: nullish(
      z.pipe(
        z.pipe(
          z.string().check(z.trim(), z.maxLength(254, 'must be at most 254 characters')),
          z.transform((value: string) => value.toLowerCase()),
        ),
        z.email({ message: 'is not a valid email address' }),
      ),
    ),
    country: nullish(
      z.pipe(
        z.pipe(z.string().check(z.trim()), z.transform((value: string) => value.toUpperCase())),
        z.string().check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, e.g. BR')),
      ),
    ),
    language: nullish(
      z.string().check(z.trim(), z.regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a language tag, e.g. pt-BR')),
    ),
    origin: z.optional(
      z.strictObject({
        type: z.enum(ORIGIN_TYPES, { message: `must be one of ${ORIGIN_TYPES.join(', ')}` }),
        label: optionalText(200, z.minLength(1, 'must not be empty')),
      }),
    ),
    companyId: nullish(id),
    departmentId: nullish(id),
    assignee: nullish(z.strictObject({ type: z.enum(['agent', 'group'], { message: 'must be agent or group' }), id })),
    customFields: z.optional(
      z
        .record(
          z.string().check(z.trim(), z.refine(isCustomFieldKey, `keys ${CUSTOM_FIELD_KEY_RULE}`)),
          z.union([z.string().check(z.maxLength(1000)), z.number(), z.boolean(), z.null()], {
            message: 'must be a string, number, boolean or null',
          }),
        )
        .check(z.refine((value) => Object.keys(value).length <= 100, 'at most 100 custom fields')),
    ),
    channels: z.optional(
      z.partialRecord(z.enum(CHANNELS), z.enum(SUBSCRIPTION_STATUSES, { message: 'must be subscribed or unsubscribed' })),
    ),
  });
}

export type FieldErrors = Record<string, string>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; fields: FieldErrors };

/** Turns zod issues into `{ "field.path": "message" }` for the API's error JSON and the SPA's forms. */
export function fieldErrors(error: z.core.$ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.') || 'body';
    if (fields[path]) continue;
    fields[path] =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`
        : issue.code === 'invalid_type' && issue.input === undefined
          ? 'is required'
          : issue.code === 'invalid_key'
            ? (issue.issues[0]?.message ?? issue.message)
            : issue.message;
  }
  return fields;
}

/**
 * Validates and normalizes contact fields: trims text, lower-cases the
 * email, normalizes the phone to E.164 in the default region and derives
 * the country from it when none is given. `mode: 'create'` also requires one
 * of firstName, phone, email.
 */
export function parseContactFields(
  input: unknown,
  options: { mode: 'create' | 'patch'; defaultRegion: string },
): ParseResult<ContactFields> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, fields: { body: 'must be a JSON object' } };
  }
  const parsed = (contactObject ??= buildContactObject()).safeParse(input);
  const fields: FieldErrors = parsed.success ? {} : fieldErrors(parsed.error);
  const value: ContactFields = parsed.success ? { ...parsed.data } : {};

  const rawPhone = (input as { phone?: unknown }).phone;
  if (typeof rawPhone === 'string' && !fields.phone) {
    if (rawPhone.trim() === '') {
      value.phone = null;
    } else {
      const phone = normalizePhone(rawPhone, options.defaultRegion);
      if (!phone) fields.phone = 'is not a valid phone number';
      else {
        value.phone = phone.e164;
        if (value.country === undefined && phone.country) value.country = phone.country;
      }
    }
  }
  for (const key of ['firstName', 'lastName', 'email', 'language', 'country'] as const) {
    if (value[key] === '') value[key] = null;
  }
  if (options.mode === 'create' && !fields.firstName && !fields.phone && !fields.email) {
    // When another field failed, `value` is empty: look at what was sent instead.
    const given = (parsed.success ? value : input) as Record<string, unknown>;
    if (![given.firstName, given.phone, given.email].some((v) => typeof v === 'string' && v.trim() !== '')) {
      fields.firstName = 'one of firstName, phone or email is required';
    }
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, value };
}
