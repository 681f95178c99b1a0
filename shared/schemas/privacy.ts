/** Erasure and suppression: request schemas. */
import * as z from 'zod/mini';
import { closedBody, parsedBy } from './core.js';
import { fieldsOf } from './fields.js';

export const MAX_ERASE_REASON = 500;

const eraseDoc = closedBody({
  reason: z.optional(z.string({ error: 'must be text' }).check(z.trim(), z.maxLength(MAX_ERASE_REASON, `must be at most ${MAX_ERASE_REASON} characters`))),
});

/** `{"reason"?}`, or no body at all: the reason is kept on the suppressions the erasure makes. */
export const eraseBody = parsedBy(eraseDoc, (input) => {
  const parsed = eraseDoc.safeParse(input ?? {});
  if (!parsed.success) return { ok: false as const, fields: fieldsOf(parsed.error.issues) };
  return { ok: true as const, value: { reason: parsed.data.reason || undefined } };
});
