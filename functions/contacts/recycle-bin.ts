import { looksLikePhone, normalizePhone } from '../../shared/phone.js';
import { fold } from '../../shared/text.js';
import { binContactItems, binnedContactsFrom, binnedDueBy, listingKey, markPurging, restoreContactItems, type DeletedBy } from '../data/binned-contact.js';
import type { Item, Page } from '../data/query.js';
import { refreshBandSnapshot } from '../engagement/band-snapshot.js';
import { inParallel } from '../lib/concurrency.js';
import { config } from '../lib/config.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { purgeContact } from './purge.js';

/**
 * The recycle bin (API.md "Recycle bin"; items in functions/data/binned-contact.ts):
 * a delete moves a contact here, an admin restores it exactly as it was or
 * purges it now, and the purge schedule removes those whose `purgeAt`
 * (deletion + the tenant's `recycleDays`) has passed.
 */
export type { DeletedBy };

const DAY_MS = 86_400_000;

/** When a contact deleted at `now` is purged: `recycleDays` (tenant setting, RECYCLE_DAYS) later. */
export const purgeTimeOf = (now: Date, days = config().recycleDays) => new Date(now.getTime() + days * DAY_MS).toISOString();

/**
 * Moves one contact to the bin: 'done', 'absent' when it is not a contact
 * (already in the bin, purged, merged away, never was), or 'locked' while a
 * merge or undo involving it runs (nothing changed).
 */
export function binContact(contactId: string, by: DeletedBy, now = new Date()) {
  return binContactItems(contactId, { deletedAt: now.toISOString(), deletedBy: by, purgeAt: purgeTimeOf(now) });
}

const MERGING = 'This contact is part of a merge or undo that is still running; delete it once that has finished.';

/** `DELETE /v1/contacts/{id}`: to the bin; 404 when there is no such contact, 409 while a merge holds it. */
export async function deleteContact(contactId: string, by: DeletedBy): Promise<void> {
  const outcome = await binContact(contactId, by);
  if (outcome === 'absent') throw new NotFoundError('contact');
  if (outcome === 'locked') throw new ConflictError(MERGING);
}

/**
 * Bins many contacts (delete jobs), `concurrency` at a time; contacts
 * already gone are skipped. Safe to repeat. Returns those a running merge
 * held, which stay where they are.
 */
export async function binContacts(contactIds: readonly string[], by: DeletedBy, concurrency = 8, now = new Date()): Promise<{ locked: string[] }> {
  const locked: string[] = [];
  await inParallel(contactIds, concurrency, async (id) => {
    if ((await binContact(id, by, now)) === 'locked') locked.push(id);
  });
  return { locked };
}

/**
 * Restores one contact; false when it is not in the bin. Its band snapshot
 * is refreshed afterwards: the hourly window roll skips binned contacts, so
 * a day may have left its 90-day window meanwhile.
 */
export async function restoreFromBin(contactId: string): Promise<boolean> {
  if ((await restoreContactItems(contactId)) !== 'done') return false;
  await refreshBandSnapshot(contactId).catch((error) => logger.warn('band refresh after a restore failed; the next roll or reconcile does it', { contactId, error: error as Error }));
  return true;
}

/** Restores many contacts (restore jobs); those not in the bin are skipped. Safe to repeat. */
export async function restoreManyFromBin(contactIds: readonly string[], concurrency = 8): Promise<void> {
  await inParallel(contactIds, concurrency, async (id) => void (await restoreFromBin(id)));
}

/**
 * Purges a binned contact now (`DELETE /v1/recycle-bin/{id}`, the schedule):
 * it is marked first, so it leaves the listing and no restore can race the
 * purge, then every item goes (functions/contacts/purge.ts). False when it
 * is not in the bin. A purge cut short is finished by the next schedule run.
 */
export async function purgeFromBin(contactId: string, now = new Date()): Promise<boolean> {
  if (!(await markPurging(contactId, now.toISOString()))) return false;
  await purgeContact(contactId);
  return true;
}

/** The schedule's run: purges binned contacts whose purge time has come, until none is left or `deadline` (epoch ms) nears. */
export async function purgeExpired(now: Date, deadline: number, concurrency = 4): Promise<number> {
  let purged = 0;
  for (;;) {
    if (Date.now() > deadline) return purged;
    const due = await binnedDueBy(now.toISOString(), 100);
    if (due.length === 0) return purged;
    let moved = 0;
    await inParallel(due, concurrency, async (id) => {
      if (await purgeFromBin(id, now)) moved++;
    });
    purged += moved;
    if (moved === 0) return purged;
  }
}

export interface BinnedContact {
  id: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  email: string | null;
  deletedAt: string;
  deletedBy: DeletedBy | null;
  purgeAt: string;
}

export function binnedView(item: Item): BinnedContact {
  const by = item.deletedBy as { sub?: unknown; name?: unknown } | undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    id: String(item.id),
    firstName: text(item.firstName),
    lastName: text(item.lastName),
    phone: text(item.phone),
    email: text(item.email),
    deletedAt: String(item.deletedAt),
    deletedBy: by && typeof by.sub === 'string' ? { sub: by.sub, name: typeof by.name === 'string' ? by.name : by.sub } : null,
    purgeAt: String(item.purgeAt),
  };
}

/** `q` as contact search reads it: an email, a phone in any format, or the start of a first or last name (case- and accent-insensitive). */
function matcherOf(q: string | undefined): (item: Item) => boolean {
  const text = q?.trim();
  if (!text) return () => true;
  if (text.includes('@')) {
    const email = text.toLowerCase();
    return (item) => item.email === email;
  }
  if (looksLikePhone(text)) {
    const e164 = normalizePhone(text, config().defaultPhoneRegion)?.e164;
    return (item) => e164 !== undefined && item.phone === e164;
  }
  const prefix = fold(text);
  return (item) => {
    const first = fold([item.firstName, item.lastName].filter((v) => typeof v === 'string' && v).join(' '));
    const last = typeof item.lastName === 'string' ? fold(item.lastName) : '';
    return first.startsWith(prefix) || last.startsWith(prefix);
  };
}

const LISTING_KEYS = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];

/** `GET /v1/recycle-bin`: a page of the bin, most recently deleted first, narrowed by `q`. */
export async function listRecycleBin(query: { q?: string; limit: number; cursor?: string }): Promise<Page<BinnedContact>> {
  if (query.q !== undefined && query.q.trim().length > 200) throw new ValidationError({ q: 'must be at most 200 characters' });
  const start = decodeCursor(query.cursor, LISTING_KEYS, (state) => state.gsi1pk === 'BINNED');
  const page = await binnedContactsFrom(start, query.limit, matcherOf(query.q));
  return { items: page.items.map(binnedView), cursor: page.next ? encodeCursor(listingKey(page.next)) : null };
}
