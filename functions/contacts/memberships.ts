import { findOrCreateTag, getList, getTag } from '../data/catalog-entity.js';
import { deleteMembership, putMembership, type MembershipOf } from '../data/membership.js';
import { NotFoundError } from '../lib/errors.js';
import { getContact } from './contact-service.js';

/** A contact's lists and tags; each change moves the list's or tag's count in the same transaction (functions/data/membership.ts). */
async function addMembership(contactId: string, of: MembershipOf & { name: string }): Promise<void> {
  const outcome = await putMembership(contactId, of);
  if (outcome === 'noContact') throw new NotFoundError('contact');
  if (outcome === 'noParent') throw new NotFoundError(of.kind);
}

/** Removes a membership with its count; false when there was none. `activity`: a person's change, recorded on the contact's timeline. */
export const removeMembership = (contactId: string, of: MembershipOf, options: { activity?: boolean } = {}): Promise<boolean> => deleteMembership(contactId, of, options);

export async function addToList(contactId: string, listId: string): Promise<void> {
  const list = await getList(listId);
  if (!list) throw new NotFoundError('list');
  await addMembership(contactId, { kind: 'list', id: list.id, name: list.name });
}

/** Tags the contact with the tag of this name (trimmed and in bounds: the route's schema parsed it), created when none has it. */
export async function addTagByName(contactId: string, { name }: { name: string }): Promise<{ id: string; name: string }> {
  await getContact(contactId);
  const tag = await findOrCreateTag(name);
  await addMembership(contactId, { kind: 'tag', id: tag.id, name: tag.name });
  return { id: tag.id, name: tag.name };
}

export async function addTagById(contactId: string, tagId: string): Promise<void> {
  const tag = await getTag(tagId);
  if (!tag) throw new NotFoundError('tag');
  await addMembership(contactId, { kind: 'tag', id: tag.id, name: tag.name });
}
