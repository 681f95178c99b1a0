import { ulid } from 'ulid';
import { DEFAULT_ORIGINS, type ContactFields, type Origin } from '../../shared/contact-schema.js';
import { channelItems, channelsOf } from '../data/channel.js';
import { CONTACT_TYPE, fromContactItem, getContactItem, profileItemOf, profileItems, putNewContact, replaceContactFields, setContactBlocked, type ContactRecord } from '../data/contact.js';
import { ENGAGEMENT_COUNTER_PREFIX } from '../data/keys.js';
import { bandAmong } from '../data/contact-band.js';
import { membershipsOf } from '../data/membership.js';
import { getCatalogItem } from '../data/catalog-entity.js';
import { validateCustomFieldValues } from '../catalog/custom-field-validation.js';
import { buildProfileEngagement } from '../engagement/profile-engagement.js';
import { withBackoff } from '../lib/backoff.js';
import { config } from '../lib/config.js';
import { ConflictError, isConditionFailure, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Principal } from '../lib/http.js';
import { isMergeMarker, profileItemsDuringMerge } from '../merge/merge-reads.js';
import { assertNotSuppressed } from '../privacy/suppression-check.js';
import { contactSummary } from './contact-view.js';

/**
 * A contact's own life: create, read, patch, block. Its lists and tags are
 * in ./memberships.ts, its channel states in ./channels.ts, the contact
 * base's pages in ./contact-search.ts, deletion in ./purge.ts; the items
 * themselves in functions/data/contact.ts.
 */
export type OriginSource = 'bearer' | 'apiKey';

async function resolveCatalogRefs(fields: ContactFields): Promise<Pick<ContactRecord, 'company' | 'department'> & { errors: Record<string, string> }> {
  const errors: Record<string, string> = {};
  const out: Pick<ContactRecord, 'company' | 'department'> = {};
  const lookups: Promise<void>[] = [];
  if (fields.companyId) {
    lookups.push(
      getCatalogItem('company', fields.companyId).then(
        (c) => void (out.company = { id: c.id, name: c.name }),
        () => void (errors.companyId = 'no company has this id'),
      ),
    );
  }
  if (fields.departmentId) {
    lookups.push(
      getCatalogItem('department', fields.departmentId).then(
        (d) => void (out.department = { id: d.id, name: d.name }),
        () => void (errors.departmentId = 'no department has this id'),
      ),
    );
  }
  if (fields.assignee) {
    lookups.push(
      getCatalogItem('agent', fields.assignee.id).then(
        (a) => {
          if (a.kind && a.kind !== fields.assignee!.type) errors['assignee.type'] = `this id is a ${String(a.kind)}`;
        },
        () => void (errors['assignee.id'] = 'no agent or group has this id'),
      ),
    );
  }
  await Promise.all(lookups);
  return { ...out, errors };
}

/**
 * Creates a contact from fields its route's schema parsed (shared/schemas/contacts.ts);
 * custom field values are checked here, against the stored definitions. `fields` may
 * carry an origin, otherwise the source's default applies.
 */
export async function createContact(fields: ContactFields, source: OriginSource, principal?: Principal): Promise<ContactRecord> {
  const [customFields] = await Promise.all([validateCustomFieldValues(fields.customFields), assertNotSuppressed(fields)]);
  return insertContact({ ...fields, customFields }, { origin: fields.origin ?? { ...DEFAULT_ORIGINS[source] }, createdBy: principal?.sub });
}

/** Fields a contact is created with as given (a null is no value). */
const CREATED_FIELDS = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'assignee'] as const;

/** Writes a new, already validated contact (also used by CSV import). */
export async function insertContact(
  fields: ContactFields,
  options: { origin: Origin; createdBy?: string; now?: string; id?: string },
): Promise<ContactRecord> {
  const refs = await resolveCatalogRefs(fields);
  if (Object.keys(refs.errors).length > 0) throw new ValidationError(refs.errors);
  const now = options.now ?? new Date().toISOString();
  const record = {
    id: options.id ?? ulid(),
    ...Object.fromEntries(CREATED_FIELDS.map((key) => [key, fields[key] ?? undefined])),
    origin: options.origin,
    company: refs.company,
    department: refs.department,
    customFields: fields.customFields ?? {},
    blocked: false,
    createdAt: now,
    updatedAt: now,
    createdBy: options.createdBy,
  } as ContactRecord;
  await putNewContact(record, channelItems(record.id, fields.channels, now));
  return record;
}

export async function getContact(id: string): Promise<ContactRecord> {
  const item = await getContactItem(id);
  if (!item) throw new NotFoundError('contact');
  return fromContactItem(item);
}

const PATCHABLE = ['firstName', 'lastName', 'phone', 'email', 'country', 'language', 'origin', 'assignee', 'customFields'] as const;

/** Applies a parsed patch (custom field values checked here); optimistic concurrency on `version` so concurrent edits never lose index updates. */
export async function updateContact(id: string, fields: ContactFields): Promise<ContactRecord> {
  const [customFields] = await Promise.all([validateCustomFieldValues(fields.customFields), assertNotSuppressed(fields)]);
  return patchContact(id, { ...fields, customFields });
}

/** The contact `current` with `fields` applied (null clears a field). */
function applyPatch(current: ContactRecord, fields: ContactFields, refs: Pick<ContactRecord, 'company' | 'department'>): ContactRecord {
  const next: ContactRecord = { ...current };
  for (const key of PATCHABLE) {
    if (fields[key] === undefined) continue;
    (next as unknown as Record<string, unknown>)[key] = fields[key] === null ? undefined : fields[key];
  }
  if (fields.customFields) next.customFields = { ...current.customFields, ...fields.customFields };
  if (fields.companyId !== undefined) next.company = fields.companyId ? refs.company : undefined;
  if (fields.departmentId !== undefined) next.department = fields.departmentId ? refs.department : undefined;
  if (!next.firstName && !next.phone && !next.email) {
    throw new ValidationError({ firstName: 'one of firstName, phone or email is required' });
  }
  return next;
}

/** Reads, patches and writes back on the read version; a racing write makes it read again (409 after six tries). */
export async function patchContact(id: string, fields: ContactFields): Promise<ContactRecord> {
  const refs = await resolveCatalogRefs(fields);
  if (Object.keys(refs.errors).length > 0) throw new ValidationError(refs.errors);
  try {
    return await withBackoff(
      async () => {
        const item = await getContactItem(id, { consistent: true });
        if (!item) throw new NotFoundError('contact');
        const next = applyPatch(fromContactItem(item), fields, refs);
        next.updatedAt = new Date().toISOString();
        await replaceContactFields(item, next, channelItems(id, fields.channels, next.updatedAt));
        return next;
      },
      { attempts: 6, retryable: isConditionFailure },
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new ConflictError('The contact changed while saving; try again.');
    throw error;
  }
}

/** The full profile: one Query of the contact's profile collection (more only while a merge involving it runs). */
export async function getProfile(id: string, now = new Date()) {
  let items = await profileItems(id);
  if (items.some(isMergeMarker)) items = await profileItemsDuringMerge(id, items);
  const profileItem = profileItemOf(items);
  if (!profileItem || profileItem.type !== CONTACT_TYPE) throw new NotFoundError('contact');
  const engagementItems = items.filter((item) => String(item.sk).startsWith(ENGAGEMENT_COUNTER_PREFIX));
  return {
    ...contactSummary({ ...fromContactItem(profileItem), band: bandAmong(items, profileItem) }),
    channels: channelsOf(items),
    ...membershipsOf(items),
    ...buildProfileEngagement(engagementItems, now, config().timezone),
  };
}

export async function setBlocked(contactId: string, blocked: boolean) {
  if (!(await setContactBlocked(contactId, blocked, new Date().toISOString()))) throw new NotFoundError('contact');
  return getProfile(contactId);
}
