import { looksLikePhone, normalizePhone } from '../../shared/phone.js';
import { fold } from '../../shared/text.js';
import { contactsPage, getContacts, type ContactFilters, type ContactIndex, type ContactRecord } from '../data/contact.js';
import { withBands } from '../data/contact-band.js';
import { membersAmong, membersPage, type MembershipOf } from '../data/membership.js';
import type { Page } from '../data/query.js';
import { config } from '../lib/config.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ValidationError } from '../lib/errors.js';
import { contactSummary, type ContactSummary } from './contact-view.js';

export interface ContactQuery {
  q?: string;
  tag?: string;
  list?: string;
  blocked?: string;
  band?: string;
  assignee?: string;
  limit: number;
  cursor?: string;
}

const BANDS = ['none', 'low', 'high', 'very_high'];

function parseFilters(query: ContactQuery): ContactFilters {
  const errors: Record<string, string> = {};
  if (query.blocked !== undefined && query.blocked !== 'true' && query.blocked !== 'false') errors.blocked = 'must be true or false';
  if (query.band !== undefined && !BANDS.includes(query.band)) errors.band = `must be one of ${BANDS.join(', ')}`;
  let assignee: { type: string; id: string } | undefined;
  if (query.assignee !== undefined) {
    const [type, ...rest] = query.assignee.split(':');
    if ((type !== 'agent' && type !== 'group') || rest.join(':') === '' || rest.join(':').length > 64) errors.assignee = 'must look like agent:<id> or group:<id>';
    else assignee = { type, id: rest.join(':') };
  }
  if (query.q !== undefined && query.q.trim().length > 200) errors.q = 'must be at most 200 characters';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { blocked: query.blocked === undefined ? undefined : query.blocked === 'true', band: query.band, assignee };
}

/**
 * The contact base, newest first. Each filter is served by an index:
 * a page, a phone lookup and an email lookup are each one Query; list and
 * tag filters read the membership index and then the profiles (BatchGet).
 * Remaining profile-attribute filters are applied to whichever index
 * serves the page; the band (an item of its own) comes with each page in
 * one BatchGet, or, with `band` alone, is the index (data/contact.ts).
 */
export async function listContacts(query: ContactQuery): Promise<Page<ContactSummary>> {
  const filters = parseFilters(query);
  const q = query.q?.trim();
  let index: ContactIndex | undefined;
  if (q) {
    if (q.includes('@')) index = { by: 'email', email: q.toLowerCase() };
    else if (looksLikePhone(q)) {
      const phone = normalizePhone(q, config().defaultPhoneRegion);
      if (!phone) return { items: [], cursor: null };
      index = { by: 'phone', e164: phone.e164 };
    }
  }
  if (!index && (query.tag || query.list)) return listMembers(query.tag ? { kind: 'tag', id: query.tag } : { kind: 'list', id: query.list! }, query, filters);
  if (q && !index) return searchByName(fold(q), query, filters);
  if (!index) {
    if (filters.blocked === true) index = { by: 'blocked' };
    else if (filters.band) index = { by: 'band', band: filters.band };
    else if (filters.assignee) index = { by: 'assignee', ...filters.assignee };
    else index = { by: 'all' };
  }
  const page = await contactsPage(index, { limit: query.limit, cursor: query.cursor }, filters);
  return { items: page.items.map(contactSummary), cursor: page.cursor };
}

function matchesFilters(c: ContactRecord, f: ContactFilters): boolean {
  if (f.blocked !== undefined && c.blocked !== f.blocked) return false;
  if (f.band && c.band !== f.band) return false;
  if (f.assignee && (c.assignee?.type !== f.assignee.type || c.assignee?.id !== f.assignee.id)) return false;
  return true;
}

/** Prefix search over first (full) name and last name; the cursor carries both positions. */
async function searchByName(prefix: string, query: ContactQuery, filters: ContactFilters): Promise<Page<ContactSummary>> {
  const state = decodeCursor(query.cursor, ['first', 'last']);
  const first = state?.first === '' ? null : state?.first;
  const last = state?.last === '' ? null : state?.last;
  const none = { items: [], cursor: null };
  const [a, b] = await Promise.all([
    first === null ? none : contactsPage({ by: 'firstName', prefix }, { limit: query.limit, cursor: first }),
    last === null ? none : contactsPage({ by: 'lastName', prefix }, { limit: query.limit, cursor: last }),
  ]);
  const seen = new Set<string>();
  const items = [...a.items, ...b.items].filter((c) => !seen.has(c.id) && seen.add(c.id) && matchesFilters(c, filters));
  const next = a.cursor || b.cursor ? encodeCursor({ first: a.cursor ?? '', last: b.cursor ?? '' }) : null;
  return { items: items.map(contactSummary), cursor: next };
}

/** A page of a list's or tag's members (with `list` as well as `tag`, those of the tag in the list). */
async function listMembers(of: MembershipOf, query: ContactQuery, filters: ContactFilters): Promise<Page<ContactSummary>> {
  const page = await membersPage(of, { limit: query.limit, cursor: query.cursor });
  // Rows show the band, and `band` may narrow the members: the page's band items, one BatchGet.
  let contacts = await withBands(await getContacts(page.items));
  if (query.tag && query.list) {
    const inList = await membersAmong(page.items, { kind: 'list', id: query.list });
    contacts = contacts.filter((c) => inList.has(c.id));
  }
  contacts = contacts.filter((c) => matchesFilters(c, filters));
  return { items: contacts.map(contactSummary), cursor: page.cursor };
}
