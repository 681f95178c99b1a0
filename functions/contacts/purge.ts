import { contactCollection, deleteCollectionItems, deleteContactProfiles } from '../data/contact.js';
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
