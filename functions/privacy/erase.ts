import { isMergedAlias, mergedAliasKey } from '../data/alias.js';
import { contactKey, deleteCollectionItems } from '../data/contact.js';
import { BINNED_CONTACT_TYPE } from '../data/contact-type.js';
import { ACTIVE_PHASES, allMergeOutlines, mergeLockKey, removeMergeNames, type MergeRecord } from '../data/merge-record.js';
import { mergeImageKeys } from '../data/merge-snapshot.js';
import { dropSuggestionKey } from '../data/suggestion.js';
import { batchGetItems } from '../lib/dynamo.js';
import { ConflictError, NotFoundError } from '../lib/errors.js';
import type { Principal } from '../lib/http.js';
import { purgeContact } from '../contacts/purge.js';
import { purgeFromBin } from '../contacts/recycle-bin.js';
import { valuesOf, type SuppressibleValue } from './suppression-check.js';
import { suppress } from './suppressions.js';

/**
 * `POST /v1/contacts/{id}/erase` (API.md "Erasure and suppression"): the
 * person's data leaves the table at once and for good, and their phone and
 * email go on the suppression list.
 *
 * The person is the contact and every duplicate merged into it (following
 * merges of merges) while those merges stand: an operator merged them as
 * one person. What holds their data, and what happens to it:
 * - each collection (profile, memberships, channel states, messages,
 *   conversations, dispatches with their texts, the duplicates' aliases):
 *   purged as a delete purges (../contacts/purge.ts), so list and tag counts
 *   and the analytics base drop as for a delete;
 * - every merge that names one of them: its snapshot chunks and forward
 *   records (byte-for-byte images of their items) are deleted and their
 *   names taken out of the record; the merge stays in the history, by ids;
 * - duplicate-suggestion keys spelling their phone or email, unless another
 *   contact shares them.
 * Derived counters and analytics states hold no personal data and stay
 * as tombstones (functions/data/keys.ts). A contact in the recycle bin is
 * read the same way (its profile is still under its own key) and purged as
 * the bin purges it.
 *
 * Order makes a repeat finish a failed erasure: the suppressions first
 * (nothing can bring the values back meanwhile), merges next, the profile
 * last of all, so until it is gone the contact answers and can be erased again.
 */
export interface Erasure {
  erasedAt: string;
  suppressions: { id: string; kind: 'phone' | 'email' }[];
}

type MergeOutline = Pick<MergeRecord, 'id' | 'primaryId' | 'duplicateIds' | 'phase'>;

/** The contact and the duplicates merged into it by standing merges, transitively; the contact first. */
export function mergedPerson(contactId: string, merges: readonly MergeOutline[]): string[] {
  const person = [contactId];
  for (let i = 0; i < person.length; i++) {
    for (const merge of merges) {
      if (merge.phase === 'completed' && merge.primaryId === person[i]) for (const id of merge.duplicateIds) if (!person.includes(id)) person.push(id);
    }
  }
  return person;
}

const BUSY = 'This contact is part of a merge or undo that is still running; erase it once that has finished.';

export async function eraseContact(contactId: string, principal: Principal, reason?: string): Promise<Erasure> {
  // The profile as stored, binned or not, and the merge lock: one strongly consistent BatchGet.
  const read = await batchGetItems([contactKey(contactId), mergeLockKey(contactId)], { consistent: true });
  const profile = read.find((item) => item.sk === contactKey(contactId).sk);
  if (!profile) throw new NotFoundError('contact');
  if (read.some((item) => item.sk === mergeLockKey(contactId).sk)) throw new ConflictError(BUSY);

  const merges = await allMergeOutlines();
  const person = mergedPerson(contactId, merges);
  const named = merges.filter((merge) => [merge.primaryId, ...merge.duplicateIds].some((id) => person.includes(id)));
  if (named.some((merge) => ACTIVE_PHASES.includes(merge.phase))) throw new ConflictError(BUSY);

  const duplicates = person.slice(1);
  const aliases = (await batchGetItems(duplicates.map(mergedAliasKey), { consistent: true })).filter(isMergedAlias);
  const values = distinct([profile, ...aliases].flatMap((item) => valuesOf(item as { phone?: string; email?: string })));

  const erasedAt = new Date().toISOString();
  const suppressions = await suppress(values, principal.sub, erasedAt, reason);
  for (const merge of named) {
    await deleteCollectionItems(await mergeImageKeys(merge.id), 4);
    await removeMergeNames(merge.id, [merge.primaryId, ...merge.duplicateIds].filter((id) => person.includes(id)));
  }
  for (const id of duplicates) await purgeContact(id);
  // A binned contact is purged as the bin purges it: marked first, so no restore races the purge.
  if (profile.type !== BINNED_CONTACT_TYPE || !(await purgeFromBin(contactId))) await purgeContact(contactId);
  // After the profile is gone: the stream can no longer add the contact back to a key it is dropped from.
  await Promise.all(values.map((value) => dropSuggestionKey(`${value.kind}:${value.value}`, person)));
  return { erasedAt, suppressions: suppressions.map(({ id, kind }) => ({ id, kind })) };
}

function distinct(values: SuppressibleValue[]): SuppressibleValue[] {
  const seen = new Set<string>();
  return values.filter((v) => !seen.has(`${v.kind}:${v.value}`) && seen.add(`${v.kind}:${v.value}`));
}
