import { getContactItem, getContacts } from '../data/contact.js';
import { isProfileSk } from '../data/merge-collection.js';
import { itemsWithValue, setSuggestionMember, suggestionsPage } from '../data/suggestion.js';
import { NotFoundError } from '../lib/errors.js';

/**
 * Duplicate suggestions. A suggestion key (`phone:<E.164>` or
 * `email:<lower-case>`) holds the set of non-blocked contacts that have that
 * value; the key item sits in a sparse index only while the set has two or
 * more members, so the base-wide view pages through real suggestions
 * without ever scanning contacts (../data/suggestion.ts). The stream keeps
 * the sets current (./suggestions-processor.ts).
 */

/** Contacts shown per suggestion in the answer; `total` tells how many share the value. */
const SHOWN_MEMBERS = 20;

export interface SuggestionContact {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
}

export interface Suggestion {
  key: string;
  /** The shared value: `phone` or `email`. */
  field: 'phone' | 'email';
  value: string;
  total: number;
  contacts: SuggestionContact[];
}

/** The suggestion keys a stored contact belongs to: none when it is blocked or not a contact. */
export function suggestionKeysOf(item: Record<string, unknown> | undefined): string[] {
  if (!item || item.type !== 'contact' || item.blocked === true) return [];
  const keys: string[] = [];
  if (typeof item.phone === 'string' && item.phone) keys.push(`phone:${item.phone}`);
  if (typeof item.email === 'string' && item.email) keys.push(`email:${item.email.toLowerCase()}`);
  return keys;
}

export function displayName(item: Record<string, unknown>): string {
  return [item.firstName, item.lastName].filter((part) => typeof part === 'string' && part).join(' ');
}

function toSuggestionContact(item: Record<string, unknown>): SuggestionContact {
  return {
    id: String(item.id),
    name: displayName(item),
    phone: typeof item.phone === 'string' ? item.phone : null,
    email: typeof item.email === 'string' ? item.email : null,
  };
}

/**
 * Re-derives one contact's memberships from its current profile item:
 * it leaves every key in `seen` it no longer has and joins the ones it has.
 * Reading the current state (rather than trusting the stream images) makes
 * any replay, in any order, converge on the truth.
 */
export async function syncContactSuggestions(contactId: string, seen: Iterable<string>): Promise<void> {
  const current = new Set(suggestionKeysOf(await getContactItem(contactId, { consistent: true })));
  const leave = [...new Set(seen)].filter((key) => !current.has(key));
  await Promise.all([...leave.map((key) => setSuggestionMember(key, contactId, false)), ...[...current].map((key) => setSuggestionMember(key, contactId, true))]);
}

/** Current profiles of the members, as stored items (`getContacts` skips missing ones). */
async function getProfiles(ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  const records = await getContacts(ids);
  return new Map(records.map((record) => [record.id, { ...record, type: 'contact' } as Record<string, unknown>]));
}

function splitKey(key: string): { field: 'phone' | 'email'; value: string } {
  const at = key.indexOf(':');
  return { field: key.slice(0, at) === 'email' ? 'email' : 'phone', value: key.slice(at + 1) };
}

/**
 * Builds suggestions from member ids, re-checked against the profiles: the
 * stream may lag a moment behind a block or an edit, and a suggestion must
 * never show a blocked contact or one that no longer shares the value.
 */
function buildSuggestions(groups: { key: string; ids: string[]; unchecked?: number }[], profiles: Map<string, Record<string, unknown>>): Suggestion[] {
  const out: Suggestion[] = [];
  for (const group of groups) {
    const members = group.ids
      .map((id) => profiles.get(id))
      .filter((item): item is Record<string, unknown> => !!item && suggestionKeysOf(item).includes(group.key))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    if (members.length < 2) continue;
    // Members beyond those read are counted as the set has them (a very large group is not read whole).
    out.push({ key: group.key, ...splitKey(group.key), total: members.length + (group.unchecked ?? 0), contacts: members.slice(0, SHOWN_MEMBERS).map(toSuggestionContact) });
  }
  return out;
}

/** Suggestions across the base, newest first: one Query of the sparse index, then the members' profiles. */
export async function listSuggestions(query: { limit: number; cursor?: string }): Promise<{ items: Suggestion[]; cursor: string | null }> {
  const page = await suggestionsPage(query);
  const groups = page.items.map((item) => {
    const members = item.members.sort();
    return { key: item.key, ids: members.slice(0, SHOWN_MEMBERS * 2), unchecked: Math.max(0, members.length - SHOWN_MEMBERS * 2) };
  });
  const profiles = await getProfiles([...new Set(groups.flatMap((g) => g.ids))]);
  return { items: buildSuggestions(groups, profiles), cursor: page.cursor };
}

/** Suggestions of one contact: its own phone and email looked up in their indexes (one or two Queries). */
export async function contactSuggestions(contactId: string): Promise<Suggestion[]> {
  const profile = await getContactItem(contactId);
  if (!profile) throw new NotFoundError('contact');
  const keys = suggestionKeysOf(profile);
  const found = await Promise.all(
    keys.map((key) => {
      const { field, value } = splitKey(key);
      return itemsWithValue(field, value);
    }),
  );
  const profiles = new Map<string, Record<string, unknown>>([[contactId, profile]]);
  for (const item of found.flat()) if (item.type === 'contact' && isProfileSk(item.sk)) profiles.set(String(item.id), item);
  return buildSuggestions(
    keys.map((key, i) => ({ key, ids: [contactId, ...found[i].filter((item) => item.type === 'contact').map((item) => String(item.id)).filter((id) => id !== contactId)] })),
    profiles,
  );
}
