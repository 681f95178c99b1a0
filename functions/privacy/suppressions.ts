import { parseContactFields } from '../../shared/contact-schema.js';
import { deleteSuppression, getSuppression, putSuppression, suppressionsPage, type Suppression } from '../data/suppression.js';
import { config } from '../lib/config.js';
import { NotFoundError, ValidationError } from '../lib/errors.js';
import { userNames } from '../lib/user-directory.js';
import { phoneValue, suppressionHash, type SuppressibleValue } from './suppression-check.js';

/**
 * The suppression list (API.md "Erasure and suppression"): admins list
 * entries (never the value: only its kind, when, who and why), look one up
 * by a value they already know, and lift one.
 */

/** Suppresses each value (an erasure); a value already suppressed keeps its entry. */
export async function suppress(values: readonly SuppressibleValue[], by: string, at: string, reason?: string): Promise<Suppression[]> {
  return Promise.all(values.map((value) => putSuppression({ id: suppressionHash(value), kind: value.kind, createdAt: at, by, ...(reason ? { reason } : {}) })));
}

/** The API shape of an entry; `byName` from the user directory, as merges name their staff. */
const view = (entry: Suppression, staff: ReadonlyMap<string, string>) => ({
  id: entry.id,
  kind: entry.kind,
  createdAt: entry.createdAt,
  by: entry.by,
  byName: staff.get(entry.by) ?? '',
  reason: entry.reason ?? null,
});

async function views(entries: Suppression[]) {
  const staff = await userNames([...new Set(entries.map((e) => e.by))]);
  return entries.map((e) => view(e, staff));
}

/**
 * A value typed by an admin, normalized as contacts store it: an email
 * (anything with an `@`) trimmed and lower-cased, otherwise a phone in
 * E.164 read in the tenant's region. Neither is a field-level 400.
 */
export function lookupValue(text: string): SuppressibleValue {
  const region = config().defaultPhoneRegion;
  if (text.includes('@')) {
    const parsed = parseContactFields({ email: text }, { mode: 'patch', defaultRegion: region });
    if (parsed.ok && parsed.value.email) return { kind: 'email', value: parsed.value.email };
  } else {
    const phone = phoneValue(text, region);
    if (phone) return phone;
  }
  throw new ValidationError({ value: 'must be a phone number or an email address' });
}

/** `GET /v1/suppressions[?value=]`: a page of entries, or the entry of one value (an empty page when it is not suppressed). */
export async function listSuppressions(query: { value?: string; limit: number; cursor?: string }) {
  if (query.value !== undefined) {
    const entry = await getSuppression(suppressionHash(lookupValue(query.value)));
    return { items: entry ? await views([entry]) : [], cursor: null };
  }
  const page = await suppressionsPage(query);
  return { items: await views(page.items), cursor: page.cursor };
}

/** `DELETE /v1/suppressions/{id}`: the value may be used again. */
export async function liftSuppression(id: string): Promise<void> {
  if (!(await deleteSuppression(id))) throw new NotFoundError('suppression');
}
