/**
 * Jobs: request and answer schemas. A job's fields depend on its type and
 * some need the catalog (a list or tag that must exist) or the caller's role
 * (a broad delete is for admins), so the job service checks them per type;
 * this schema checks the body and the type, and documents each type.
 */
import * as z from 'zod/mini';
import { validatedBy, type FieldErrors } from './core.js';

export const JOB_TYPES = ['delete-contacts', 'restore-contacts', 'import-contacts', 'export-contacts', 'tag-contacts', 'add-to-list'] as const;

const contactFilter = z.object({
  tag: z.optional(z.string()),
  list: z.optional(z.string()),
  blocked: z.optional(z.boolean()),
  band: z.optional(z.string()),
  assignee: z.optional(z.string()),
  q: z.optional(z.string()),
});
/** `contactIds`, `filter` or `all: true`: exactly one. */
const selection = {
  contactIds: z.optional(z.array(z.string())),
  filter: z.optional(contactFilter),
  all: z.optional(z.literal(true)),
};

const jobDoc = z.discriminatedUnion('type', [
  z.object({ type: z.literal('delete-contacts'), ...selection }),
  z.object({ type: z.literal('restore-contacts'), contactIds: z.optional(z.array(z.string())), all: z.optional(z.literal(true)) }),
  z.object({
    type: z.literal('import-contacts'),
    fileName: z.string(),
    csv: z.optional(z.string()),
    csvGzipBase64: z.optional(z.string()),
    mapping: z.optional(z.record(z.string(), z.string())),
    onDuplicate: z.optional(z.enum(['update', 'skip', 'create'])),
    listId: z.optional(z.string()),
  }),
  z.object({ type: z.literal('export-contacts'), filter: z.optional(contactFilter) }),
  z.object({ type: z.literal('tag-contacts'), ...selection, tagName: z.optional(z.string()), tagId: z.optional(z.string()) }),
  z.object({ type: z.literal('add-to-list'), ...selection, listId: z.string() }),
]);

export const jobBody = validatedBy(jobDoc, (body): FieldErrors | undefined => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { body: 'must be a JSON object' };
  if (!(JOB_TYPES as readonly unknown[]).includes((body as { type?: unknown }).type)) return { type: `must be one of ${JOB_TYPES.join(', ')}` };
  return undefined;
});
