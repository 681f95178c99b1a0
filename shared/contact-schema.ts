import { z } from 'zod';
import { normalizePhone } from './phone.js';

export const CHANNELS = ['sms', 'whatsapp', 'rcs', 'email', 'webchat', 'messenger', 'instagram'] as const;
export type Channel = (typeof CHANNELS)[number];

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

const name = z.string().trim().max(100, 'must be at most 100 characters');
const optionalText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);
const id = z.string().trim().min(1, 'must not be empty').max(64, 'is not a valid id');

const contactShape = {
  firstName: name.nullable().optional(),
  lastName: name.nullable().optional(),
  phone: z.string().max(40, 'is not a valid phone number').nullable().optional(),
  email: z
    .string()
    .trim()
    .max(254, 'must be at most 254 characters')
    .transform((value) => value.toLowerCase())
    .pipe(z.email({ message: 'is not a valid email address' }))
    .nullable()
    .optional(),
  country: z
    .string()
    .trim()
    .transform((value) => value.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, e.g. BR'))
    .nullable()
    .optional(),
  language: z
    .string()
    .trim()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a language tag, e.g. pt-BR')
    .nullable()
    .optional(),
  origin: z
    .object({
      type: z.enum(ORIGIN_TYPES, { message: `must be one of ${ORIGIN_TYPES.join(', ')}` }),
      label: optionalText(200).min(1, 'must not be empty'),
    })
    .strict()
    .optional(),
  companyId: id.nullable().optional(),
  departmentId: id.nullable().optional(),
  assignee: z
    .object({ type: z.enum(['agent', 'group'], { message: 'must be agent or group' }), id })
    .strict()
    .nullable()
    .optional(),
  customFields: z
    .record(
      z.string().trim().min(1).max(64),
      z.union([z.string().max(1000), z.number().finite(), z.boolean(), z.null()], {
        message: 'must be a string, number, boolean or null',
      }),
    )
    .refine((value) => Object.keys(value).length <= 100, 'at most 100 custom fields')
    .optional(),
  channels: z
    .partialRecord(z.enum(CHANNELS), z.enum(SUBSCRIPTION_STATUSES, { message: 'must be subscribed or unsubscribed' }))
    .optional(),
};

const contactObject = z.object(contactShape).strict();

export type FieldErrors = Record<string, string>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; fields: FieldErrors };

/** Turns zod issues into `{ "field.path": "message" }` for the API's error JSON and the SPA's forms. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.') || 'body';
    if (fields[path]) continue;
    fields[path] =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`
        : issue.code === 'invalid_type' && issue.input === undefined
          ? 'is required'
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
  const parsed = contactObject.safeParse(input);
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
    if (!value.firstName && !value.phone && !value.email) {
      fields.firstName = 'one of firstName, phone or email is required';
    }
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, value };
}
