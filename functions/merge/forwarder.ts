import type { DynamoDBRecord } from 'aws-lambda';
import { aliasFromRaw, mergedAliasKey, type MergedAlias } from '../data/alias.js';
import { BINNED_CONTACT_TYPE, CONTACT_TYPE } from '../data/contact-type.js';
import { contactIdFromPk, contactKey, contactPk, historyItems, isContactPk, isHistorySk } from '../data/merge-collection.js';
import { forwardRecordItem } from '../data/merge-snapshot.js';
import { getManyRaw, getRaw, keyId, keyOf } from '../data/raw-item.js';
import { logger } from '../lib/logger.js';
import { failuresOf, type RecordFailure, type StreamProcessor } from '../streams/processors.js';
import { planMove } from './moves.js';
import { commitWithRetry, isContact, transact, type Condition, type Op } from './transact.js';

/**
 * Events that name a merged duplicate (its id, phone or email) resolve to
 * the duplicate itself (functions/events/resolve-contact.ts) and land in its
 * collection, which the merge emptied. This processor moves each such
 * message, conversation or dispatch on to the primary, in one transaction
 * with a forward record in the merge (`F#<duplicate>#<sk>`) when the item is
 * new there. The record is what lets an undo give the duplicate back the
 * events that named it, while events that named the primary stay put.
 *
 * The transaction holds only while the merged-alias item still names the
 * same merge: once an undo has switched the duplicate back, its new items
 * stay where they landed.
 */

/**
 * Where a duplicate's alias points: a live contact, one in the recycle bin
 * (it may be restored, and its merge undone after: the item goes to it as
 * to a live one), a contact merged on into another, or nothing left.
 */
type PrimaryState = 'contact' | 'binned' | 'merged' | 'gone';

async function primaryState(primaryId: string): Promise<PrimaryState> {
  const found = await getManyRaw([contactKey(primaryId), mergedAliasKey(primaryId)]);
  const type = found.get(keyId(contactKey(primaryId)))?.type?.S;
  if (type === CONTACT_TYPE) return 'contact';
  if (type === BINNED_CONTACT_TYPE) return 'binned';
  return found.has(keyId(mergedAliasKey(primaryId))) ? 'merged' : 'gone';
}

const isBinned: Condition = { expression: '#t = :binned', names: { '#t': 'type' }, values: { ':binned': { S: BINNED_CONTACT_TYPE } } };

/** The forward holds only while the primary is still what it was seen to be (a retirement may race it). */
function primaryStillIs(primaryId: string, state: Exclude<PrimaryState, 'gone'>): Op {
  if (state === 'contact') return { kind: 'check', key: contactKey(primaryId), condition: isContact };
  if (state === 'binned') return { kind: 'check', key: contactKey(primaryId), condition: isBinned };
  return { kind: 'check', key: mergedAliasKey(primaryId), condition: { expression: 'attribute_exists(pk)' } };
}

/**
 * A primary that is neither a contact nor merged on into another one was
 * deleted, and the merged contacts with it: the alias goes, so the
 * duplicate's id, phone and email stop resolving, and so does every history
 * item left on the duplicate. The alias goes first: a forward into this
 * duplicate (a chain of merges) is conditioned on it, so it either landed
 * before and is among the items read after, or it fails and retires its
 * own duplicate. Safe to repeat; the stream folds the removed items out of
 * the counters.
 */
async function retire(alias: MergedAlias): Promise<void> {
  const duplicateId = alias.id;
  const aliasGone: Op = {
    kind: 'delete',
    key: mergedAliasKey(duplicateId),
    condition: { expression: 'attribute_not_exists(pk) OR mergeId = :m', values: { ':m': { S: alias.mergeId } } },
  };
  const retired = await commitWithRetry(async () => [aliasGone, { kind: 'check', key: contactKey(duplicateId), condition: { expression: 'attribute_not_exists(pk)' } }], {
    committed: true,
    attempts: 6,
    baseMs: 20,
    // A failed condition: the duplicate is back (an undo) or merged anew; nothing of it is left over.
    cancelled: (codes) => (codes.includes('ConditionalCheckFailed') ? { done: false } : undefined),
    exhausted: () => new Error(`could not retire merged contact ${duplicateId}`),
  });
  if (!retired) return;
  for (const item of await historyItems(duplicateId)) {
    await transact([
      { kind: 'delete', key: keyOf(item) },
      { kind: 'check', key: contactKey(duplicateId), condition: { expression: 'attribute_not_exists(pk)' } },
      { kind: 'check', key: mergedAliasKey(duplicateId), condition: { expression: 'attribute_not_exists(pk)' } },
    ]);
  }
}

export async function forwardItem(alias: MergedAlias, sk: string): Promise<'forwarded' | 'gone'> {
  const { id: duplicateId, mergedInto: primaryId, mergeId } = alias;
  return commitWithRetry<'forwarded' | 'gone'>(
    async () => {
      const primary = await primaryState(primaryId);
      if (primary === 'gone') {
        await retire(alias);
        return { done: 'gone' };
      }
      const source = await getRaw({ pk: contactPk(duplicateId), sk });
      if (!source) return { done: 'gone' };
      const destination = await getRaw({ pk: contactPk(primaryId), sk });
      const planned = planMove(source, destination, duplicateId, primaryId);
      const ops: Op[] = [
        { kind: 'check', key: mergedAliasKey(duplicateId), condition: { expression: 'mergeId = :m', values: { ':m': { S: mergeId } } } },
        primaryStillIs(primaryId, primary),
        ...planned.ops,
      ];
      if (!destination) {
        const entry = { op: 'forward' as const, key: { pk: contactPk(duplicateId), sk }, to: { pk: contactPk(primaryId), sk }, before: source };
        ops.push({ kind: 'put', item: forwardRecordItem(mergeId, duplicateId, sk, entry) });
      }
      return ops;
    },
    {
      committed: 'forwarded',
      attempts: 6,
      baseMs: 20,
      // The merge was undone meanwhile: the item stays with the contact it named.
      // Otherwise the primary changed (retired, say) or the item moved under us: look again.
      cancelled: (codes) => (codes[0] === 'ConditionalCheckFailed' ? { done: 'gone' } : undefined),
      exhausted: () => new Error(`could not forward ${sk} of merged contact ${duplicateId}`),
    },
  );
}

const isHistoryWrite = (record: DynamoDBRecord) =>
  (record.eventName === 'INSERT' || record.eventName === 'MODIFY') && isContactPk(String(record.dynamodb?.Keys?.pk?.S ?? '')) && isHistorySk(String(record.dynamodb?.Keys?.sk?.S ?? ''));

export const mergeForwarder: StreamProcessor = {
  name: 'merge-forwarder',
  claims: isHistoryWrite,
  async process(records) {
    const byContact = new Map<string, { sks: Set<string>; sequences: string[] }>();
    for (const record of records) {
      const contactId = contactIdFromPk(record.dynamodb!.Keys!.pk!.S!);
      const entry = byContact.get(contactId) ?? { sks: new Set<string>(), sequences: [] };
      entry.sks.add(record.dynamodb!.Keys!.sk!.S!);
      entry.sequences.push(record.dynamodb?.SequenceNumber ?? '');
      byContact.set(contactId, entry);
    }
    // One BatchGet tells which of the batch's contacts are merged duplicates (almost always none).
    const aliases = await getManyRaw([...byContact.keys()].map(mergedAliasKey));
    const failed: RecordFailure[] = [];
    await Promise.all(
      [...byContact.entries()].map(async ([contactId, entry]) => {
        const found = aliases.get(keyId(mergedAliasKey(contactId)));
        if (!found) return;
        try {
          const alias = aliasFromRaw(found);
          for (const sk of entry.sks) await forwardItem(alias, sk);
        } catch (error) {
          logger.warn('merge forwarder: could not forward', { contactId, error: error as Error });
          failed.push(...failuresOf(entry.sequences, `could not forward to the primary: ${(error as Error).message}`));
        }
      }),
    );
    return failed;
  },
};
