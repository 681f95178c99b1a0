import { createHmac, timingSafeEqual } from 'node:crypto';
import { cursorSecret } from './config.js';
import { ValidationError } from './errors.js';

type Key = Record<string, unknown>;

/**
 * HMAC-SHA256 under the stack's cursor secret, 128 bits kept. An unkeyed
 * hash let anyone make a cursor whose key lies outside its query's range,
 * which DynamoDB answers with a ValidationException.
 */
function signature(payload: string): Buffer {
  return createHmac('sha256', cursorSecret()).update(`cursor:v2:${payload}`).digest().subarray(0, 16);
}

/** Opaque cursor for a page's LastEvaluatedKey (or any small JSON state); null at the end. */
export function encodeCursor(state: Key | undefined | null): string | null {
  if (!state) return null;
  const payload = Buffer.from(JSON.stringify(state)).toString('base64url');
  return `${payload}.${signature(payload).toString('base64url')}`;
}

function signedBy(payload: string, sum: string): boolean {
  const given = Buffer.from(sum, 'base64url');
  const expected = signature(payload);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Decodes a cursor made by encodeCursor. A forged or damaged cursor is a 400:
 * the signature must match and the state must have exactly the expected
 * string attributes (so a hand-made one cannot point a query elsewhere).
 */
export function decodeCursor(cursor: string | undefined, expectedKeys: readonly string[], check?: (state: Record<string, string>) => boolean): Record<string, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const invalid = () => new ValidationError({ cursor: 'is not a valid cursor' });
  const [payload, sum, extra] = cursor.split('.');
  if (!payload || !sum || extra !== undefined || !signedBy(payload, sum)) throw invalid();
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state)) throw invalid();
  const keys = Object.keys(state);
  if (keys.length !== expectedKeys.length || !expectedKeys.every((k) => typeof (state as Key)[k] === 'string')) throw invalid();
  const typed = state as Record<string, string>;
  if (check && !check(typed)) throw invalid();
  return typed;
}

/** `?limit=` in 1-100, default 50. */
export function parseLimit(value: string | undefined, fallback = 50): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new ValidationError({ limit: 'must be a whole number from 1 to 100' });
  return n;
}
