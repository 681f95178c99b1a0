import { contactCollection, deleteCollectionItems, deleteContactProfiles, type ItemKey } from '../data/contact.js';
import type { MembershipOf } from '../data/membership.js';
import { inParallel } from '../lib/concurrency.js';
import { removeMembership } from './memberships.js';

/**
 * Purging: every item of a contact's collection goes, for good. A delete
 * moves a contact to the recycle bin instead (./recycle-bin.ts); purges come
 * from the bin (an admin's, or the schedule once `recycleDays` passed).
 * Memberships still counted go first, each in a transaction with its count,
 * so list and tag counts stay exact; then channel states, counters and
 * history; the profile last. A crash midway leaves the profile in place and
 * a repeat finishes the work.
 */
/** Removes every item of a contact's collection; safe to repeat. Returns false when nothing was there. */
export async function purgeContact(contactId: string): Promise<boolean> {
  const { found, memberships, rest } = await contactCollection(contactId);
  for (const membership of memberships) await removeMembership(contactId, membership);
  await deleteCollectionItems(rest);
  await deleteContactProfiles([contactId]);
  return found;
}

/**
 * purgeContact for many contacts at once (bulk delete jobs): collections
 * are read in parallel, each membership still leaves in its own counted
 * transaction, and the other items of all the contacts share BatchWriteItem
 * calls, profiles last. Safe to repeat, like purgeContact.
 */
export async function purgeContacts(contactIds: readonly string[], concurrency = 8): Promise<void> {
  const memberships: { contactId: string; of: MembershipOf }[] = [];
  const rest: ItemKey[] = [];
  await inParallel(contactIds, concurrency, async (contactId) => {
    const collection = await contactCollection(contactId);
    for (const of of collection.memberships) memberships.push({ contactId, of });
    rest.push(...collection.rest);
  });
  await inParallel(memberships, concurrency, async ({ contactId, of }) => void (await removeMembership(contactId, of)));
  await deleteCollectionItems(rest, concurrency);
  await deleteContactProfiles(contactIds, concurrency);
}
