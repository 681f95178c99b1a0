import type { ContactRecord } from '../data/contact.js';

/** The public JSON of a contact in lists and pages (the profile adds channels, lists, tags and engagement). */
export function contactSummary(c: ContactRecord) {
  return {
    id: c.id,
    firstName: c.firstName ?? null,
    lastName: c.lastName ?? null,
    phone: c.phone ?? null,
    email: c.email ?? null,
    country: c.country ?? null,
    language: c.language ?? null,
    origin: c.origin,
    companyId: c.company?.id ?? null,
    departmentId: c.department?.id ?? null,
    company: c.company ?? null,
    department: c.department ?? null,
    assignee: c.assignee ?? null,
    customFields: c.customFields,
    blocked: c.blocked,
    band: c.band ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export type ContactSummary = ReturnType<typeof contactSummary>;
