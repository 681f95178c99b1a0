import { customFieldValue } from '../../shared/custom-field-key.js';
import { contactIndexAttributes, fromContactItem, type ContactRecord } from '../data/contact.js';
import { gsi, mergedAliasKey } from '../data/keys.js';
import { plain, toRaw, type RawItem } from './raw.js';

/** Contact fields a merge may fill on the primary, in the order a person reads them. */
export const FILLABLE = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'company', 'department', 'assignee'] as const;

const isEmpty = (value: unknown) => value === undefined || value === null || value === '';

/**
 * The primary after the merge: it keeps every value it has and takes a
 * duplicate's value only where its own is empty (duplicates in the order
 * given, so the first one that has a value wins); custom fields merge key by
 * key the same way. Index attributes follow the new values; attributes the
 * merge does not own (engagement band, version lineage) stay as they are.
 */
export function mergedPrimary(primary: RawItem, duplicates: RawItem[], now: string): { item: RawItem; filled: string[] } {
  const base = plain(primary);
  const record: ContactRecord = fromContactItem(base);
  const filled: string[] = [];
  const next = { ...record, customFields: { ...record.customFields } } as unknown as Record<string, unknown> & { customFields: Record<string, unknown> };
  for (const duplicate of duplicates.map((d) => fromContactItem(plain(d)) as unknown as Record<string, unknown> & { customFields?: Record<string, unknown> })) {
    for (const field of FILLABLE) {
      if (isEmpty(next[field]) && !isEmpty(duplicate[field])) {
        next[field] = duplicate[field];
        filled.push(field);
      }
    }
    for (const [key, value] of Object.entries(duplicate.customFields ?? {})) {
      if (isEmpty(customFieldValue(next.customFields, key)) && !isEmpty(value)) {
        next.customFields[key] = value;
        filled.push(`customFields.${key}`);
      }
    }
  }
  if (filled.length === 0) return { item: primary, filled };
  const out: Record<string, unknown> = { ...base };
  for (const field of FILLABLE) if (next[field] !== undefined) out[field] = next[field];
  out.customFields = next.customFields;
  Object.assign(out, contactIndexAttributes(next as unknown as ContactRecord));
  out.updatedAt = now;
  out.version = (typeof base.version === 'number' ? base.version : 0) + 1;
  return { item: toRaw(out), filled: [...new Set(filled)] };
}

/** byType partition of merged-alias items. */
export const MERGED_ALIAS_TYPE = 'MERGED_CONTACT';

/**
 * What stays of a merged duplicate while the merge stands: where its id,
 * phone and email now lead. The item sits in the duplicate's own collection
 * (outside the profile's `P#` read, so the duplicate answers 404) and in the
 * phone and email indexes under the duplicate's id, so event resolution
 * meets it in the same Query, in the same oldest-first order, as it would
 * have met the contact. It is also in `byType` (MERGED_CONTACT), where the
 * import's de-duplication finds every standing alias in one paged Query.
 */
export function mergedAliasItem(duplicate: RawItem, primaryId: string, mergeId: string, at: string): RawItem {
  const d = plain(duplicate);
  const id = String(d.id);
  return toRaw({
    ...mergedAliasKey(id),
    type: 'mergedContact',
    id,
    contactId: id,
    mergedInto: primaryId,
    mergeId,
    mergedAt: at,
    ...gsi.byType(MERGED_ALIAS_TYPE, id),
    ...(typeof d.language === 'string' ? { language: d.language } : {}),
    ...(typeof d.phone === 'string' ? { phone: d.phone, ...gsi.byPhone(d.phone, id) } : {}),
    ...(typeof d.email === 'string' ? { email: d.email, ...gsi.byEmail(d.email, id) } : {}),
  });
}
