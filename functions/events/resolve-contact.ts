import { normalizePhone } from '../../shared/phone.js';
import { config } from '../lib/config.js';
import { contactsForEvents, mergedAliasOf, oldestHolders } from '../data/engagement-state.js';

export interface ContactRef {
  contactId?: string;
  phone?: string;
  email?: string;
}

export interface ResolvedContact {
  contactId: string;
  /** The contact's language, when known (sentiment analysis). */
  language?: string;
  /**
   * Set when the named contact is a duplicate merged into this primary
   * (functions/merge): the event still lands on the duplicate's own id, and
   * the merge forwarder moves its item on to the primary, remembering that
   * it named the duplicate, so an undo can give it back.
   */
  mergedInto?: string;
}

/**
 * The contact an event names: by id when given, else by phone (any format,
 * normalized to E.164 in the tenant's region), else by email. When several
 * contacts share a phone or email (duplicates not merged yet) the oldest
 * one wins, so events keep landing on the same contact. Undefined when no
 * contact matches.
 */
export async function resolveContact(ref: ContactRef): Promise<ResolvedContact | undefined> {
  if (ref.contactId) return (await resolveContactIds([ref.contactId])).get(ref.contactId);
  if (ref.phone) {
    const phone = normalizePhone(ref.phone, config().defaultPhoneRegion);
    return phone ? byIndex({ e164: phone.e164 }) : undefined;
  }
  if (ref.email) return byIndex({ email: ref.email.trim().toLowerCase() });
  return undefined;
}

/** `resolveContact` for many ids at once: one BatchGetItem per 100 ids (merged duplicates looked up one by one). */
export async function resolveContactIds(ids: readonly string[]): Promise<Map<string, ResolvedContact | undefined>> {
  const items = await contactsForEvents(ids);
  const resolved = new Map<string, ResolvedContact | undefined>();
  for (const item of items) if (item.type === 'contact') resolved.set(String(item.id), { contactId: String(item.id), language: item.language as string | undefined });
  for (const id of ids) if (!resolved.has(id)) resolved.set(id, await resolveMergedId(id));
  return resolved;
}

async function byIndex(by: { e164: string } | { email: string }): Promise<ResolvedContact | undefined> {
  // A merged duplicate's alias sits in the same index under its own id, so the oldest holder still wins as before the merge.
  const contact = (await oldestHolders(by)).find((item) => item.type === 'contact' || item.type === MERGED_CONTACT);
  if (contact?.type === MERGED_CONTACT) return mergedResolution(contact);
  return contact ? { contactId: String(contact.id), language: contact.language as string | undefined } : undefined;
}

/** The type of a merged duplicate's alias item (`CONTACT#<id>` / `A#MERGED`, functions/merge/primary-profile.ts). */
const MERGED_CONTACT = 'mergedContact';

const mergedResolution = (alias: Record<string, unknown>): ResolvedContact => ({
  contactId: String(alias.id),
  language: alias.language as string | undefined,
  mergedInto: String(alias.mergedInto),
});

/** An id that is no longer a contact may be a duplicate merged into another one (while that merge stands). */
async function resolveMergedId(contactId: string): Promise<ResolvedContact | undefined> {
  const alias = await mergedAliasOf(contactId);
  return alias?.type === MERGED_CONTACT ? mergedResolution(alias) : undefined;
}
