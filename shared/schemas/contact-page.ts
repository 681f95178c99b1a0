/** A page of contacts, as `GET /v1/contacts` and a list's members answer it (apart, so the catalog bundles no contact body schema). */
import * as z from 'zod/mini';
import { id, isoTime, page } from './core.js';

/** A contact as listings show it: its fields and when it was created and changed. */
export const contact = z.looseObject({
  id,
  firstName: z.optional(z.string()),
  lastName: z.optional(z.string()),
  phone: z.optional(z.string()),
  email: z.optional(z.string()),
  country: z.optional(z.string()),
  language: z.optional(z.string()),
  origin: z.optional(z.object({ type: z.string(), label: z.string() })),
  customFields: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
  createdAt: isoTime,
  updatedAt: isoTime,
  blocked: z.optional(z.boolean()),
});

export const contactPage = page(contact);
