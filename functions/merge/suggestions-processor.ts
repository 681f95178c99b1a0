import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { contactIdFromPk, isContactProfileKey } from '../data/merge-collection.js';
import { logger } from '../lib/logger.js';
import { failuresOf, type RecordFailure, type StreamProcessor } from '../streams/processors.js';
import { suggestionKeysOf, syncContactSuggestions } from './suggestions.js';

/**
 * The few attributes suggestions depend on, read straight from the stream
 * image (a full unmarshall would trip on empty maps, which DynamoDB Local's
 * stream hands out as `{}`).
 */
function image(value: Record<string, AttributeValue> | undefined): Record<string, unknown> | undefined {
  if (!value) return undefined;
  return { type: value.type?.S, blocked: value.blocked?.BOOL === true, phone: value.phone?.S, email: value.email?.S };
}

/** True when the change can move the contact in or out of a suggestion key. */
function touchesSuggestions(record: DynamoDBRecord): boolean {
  const before = suggestionKeysOf(image(record.dynamodb?.OldImage));
  const after = suggestionKeysOf(image(record.dynamodb?.NewImage));
  return before.length !== after.length || before.some((key, i) => key !== after[i]);
}

/**
 * Keeps duplicate suggestions current as contacts change: a created,
 * deleted, blocked, unblocked or merged contact, or a changed phone or
 * email. Other profile writes (engagement band, names) are skipped without
 * a read. Each affected contact is re-synced once per batch from its
 * current profile, so replays and reordering cannot leave a stale member.
 */
export const mergeSuggestionsProcessor: StreamProcessor = {
  name: 'merge-suggestions',
  claims: (record) => isContactProfileKey(String(record.dynamodb?.Keys?.pk?.S ?? ''), record.dynamodb?.Keys?.sk?.S),
  async process(records) {
    const seen = new Map<string, { keys: Set<string>; sequences: string[] }>();
    for (const record of records) {
      if (!touchesSuggestions(record)) continue;
      const contactId = contactIdFromPk(String(record.dynamodb?.Keys?.pk?.S));
      const entry = seen.get(contactId) ?? { keys: new Set<string>(), sequences: [] };
      for (const key of suggestionKeysOf(image(record.dynamodb?.OldImage))) entry.keys.add(key);
      for (const key of suggestionKeysOf(image(record.dynamodb?.NewImage))) entry.keys.add(key);
      entry.sequences.push(record.dynamodb?.SequenceNumber ?? '');
      seen.set(contactId, entry);
    }
    const failed: RecordFailure[] = [];
    const entries = [...seen.entries()];
    // Bounded parallelism: a bulk import puts thousands of profile records in a stream window.
    for (let i = 0; i < entries.length; i += 16) {
      await Promise.all(
        entries.slice(i, i + 16).map(async ([contactId, entry]) => {
          try {
            await syncContactSuggestions(contactId, entry.keys);
          } catch (error) {
            logger.warn('merge suggestions: sync failed', { contactId, error: error as Error });
            failed.push(...failuresOf(entry.sequences, `suggestions sync failed: ${(error as Error).message}`));
          }
        }),
      );
    }
    return failed;
  },
};
