import { expect } from 'vitest';
import type { ApiClient, ApiResponse } from './local-stack.js';

/** A client acting as one user: `stack.api.as('operator', 'otto')`. */
export type UserClient = ReturnType<ApiClient['as']>;

/** A contact as POST /v1/contacts answers it (the fields tests read; the rest stay `any`). */
export interface CreatedContact {
  id: string;
  phone: string | null;
  email: string | null;
  [field: string]: any;
}

let serial = 0;

/**
 * A contact body for POST /v1/contacts with a phone and an email no other
 * call in this test file gets (each test file has its own table). Overrides
 * win; an override of `undefined` leaves the field out.
 */
export function contactBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const n = ++serial;
  return {
    firstName: `Contact${n}`,
    phone: `+55 11 9${String(3000_0000 + n).padStart(8, '0')}`,
    email: `contact${n}@factory.example`,
    ...overrides,
  };
}

/** Creates a contact through the API with exactly `body` (by default a fresh `contactBody()`), expecting 201. */
export async function createContact(client: UserClient, body: Record<string, unknown> = contactBody()): Promise<CreatedContact> {
  const r = await client.post('/v1/contacts', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as CreatedContact;
}

/** `n` fresh contacts (`contactBody(overrides)` each), created ten at a time; their ids in order. */
export async function createContacts(client: UserClient, n: number, overrides: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => createContact(client, contactBody(overrides))));
    ids.push(...batch.map((c) => c.id));
  }
  return ids;
}

/** A 400 validation answer carrying exactly these field messages (API.md: `error.fields`), and no others. */
export function expectFieldErrors(r: ApiResponse, fields: Record<string, string | RegExp>) {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.body?.error?.code).toBe('validation_error');
  const expected = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : expect.stringMatching(v)]));
  expect(r.body.error.fields).toEqual(expected);
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The ISO time `ms` milliseconds ago. */
export const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let ids = 0;
/** An id no other call in this test run repeats: event, message and conversation ids, list and tag names. */
export const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${ids++}`;

/** A new API key for POST /v1/events, created by `admin` (an admin client). */
export async function createApiKey(admin: UserClient, name = 'Messaging platform'): Promise<string> {
  const r = await admin.post('/v1/api-keys', { name });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.key as string;
}
