import { customFieldValue } from '../../shared/custom-field-key.js';
import { contactIndexAttributes, fromContactItem, type ContactRecord } from '../data/contact.js';
import { plain, toRaw, type RawItem } from '../data/raw-item.js';

/** Contact fields a merge may fill on the primary, in the order a person reads them. */
export const FILLABLE = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'company', 'department', 'assignee'] as const;

const isEmpty = (value: unknown) => value === undefined || value === null || value === '';

/**
 * The primary after the merge: it keeps every value it has and takes a
 * duplicate's value only where its own is empty (duplicates in the order
 * given, so the first one that has a value wins); custom fields merge key by
 * key the same way; a blocked duplicate blocks it (undo lifts that block
 * unless someone changed it since). Index attributes follow the new values; attributes the
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
    // Blocks hold (API.md): a blocked duplicate leaves the merged contact blocked.
    if (next.blocked !== true && duplicate.blocked === true) {
      next.blocked = true;
      filled.push('blocked');
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
  if (next.blocked === true) out.blocked = true;
  out.customFields = next.customFields;
  Object.assign(out, contactIndexAttributes(next as unknown as ContactRecord));
  out.updatedAt = now;
  out.version = (typeof base.version === 'number' ? base.version : 0) + 1;
  return { item: toRaw(out), filled: [...new Set(filled)] };
}
