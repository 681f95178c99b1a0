/** Merges and duplicate suggestions: request and answer schemas. */
import * as z from 'zod/mini';
import { validatedBy } from './core.js';

export const MAX_DUPLICATES = 1000;

const mergeDoc = z.object({ primaryId: z.string(), duplicateIds: z.array(z.string()).check(z.minLength(1), z.maxLength(MAX_DUPLICATES)) });

/** `{"primaryId","duplicateIds":[...]}`: every problem of the ids at once (whether they name contacts is the service's to say). */
export const mergeBody = validatedBy(mergeDoc, (body) => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { body: 'must be a JSON object' };
  const { primaryId, duplicateIds } = body as { primaryId?: unknown; duplicateIds?: unknown };
  const errors: Record<string, string> = {};
  if (typeof primaryId !== 'string' || primaryId.trim() === '') errors.primaryId = 'is required';
  if (!Array.isArray(duplicateIds) || duplicateIds.length === 0) errors.duplicateIds = 'must list at least one contact id';
  else if (duplicateIds.length > MAX_DUPLICATES) errors.duplicateIds = `must list at most ${MAX_DUPLICATES} contacts`;
  else {
    duplicateIds.forEach((dup, i) => {
      if (typeof dup !== 'string' || dup.trim() === '') errors[`duplicateIds.${i}`] = 'must be a contact id';
      else if (dup === primaryId) errors[`duplicateIds.${i}`] = 'is the primary itself';
      else if (duplicateIds.indexOf(dup) !== i) errors[`duplicateIds.${i}`] = 'is listed twice';
    });
  }
  return errors;
});
