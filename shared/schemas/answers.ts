/**
 * What the API answers, route by route (the route tables name these):
 * documentation only, for `GET /v1/openapi.json`. The functions build their
 * answers themselves and never bundle this module.
 */
import * as z from 'zod/mini';
import { CHANNELS } from '../channels.js';
import { SUBSCRIPTION_STATUSES } from '../contact-schema.js';
import { ROLES } from '../roles.js';
import { AGENT_KINDS, CUSTOM_FIELD_TYPES } from './catalog.js';

const id = z.string().register(z.globalRegistry, { description: 'An opaque id.' });
const isoTime = z.string().register(z.globalRegistry, { format: 'date-time' });
/** `{"items":[...],"cursor":"<opaque>"|null}` */
const page = <Item extends z.ZodMiniType>(item: Item) => z.object({ items: z.array(item), cursor: z.nullable(z.string()) });
const ref = z.object({ id, name: z.string() });

const Contact = z.looseObject({
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

const List = z.object({ id, name: z.string(), memberCount: z.number(), createdAt: z.nullable(isoTime) });
const Tag = z.object({ id, name: z.string(), contactCount: z.number(), createdAt: z.nullable(isoTime) });
const Named = z.object({ id, name: z.string(), createdAt: z.nullable(isoTime) });
const Agent = z.object({ id, name: z.string(), kind: z.enum(AGENT_KINDS), type: z.enum(AGENT_KINDS), createdAt: z.nullable(isoTime) });
const CustomField = z.object({ id, name: z.string(), key: z.string(), type: z.enum(CUSTOM_FIELD_TYPES), choices: z.optional(z.array(z.string())), createdAt: z.nullable(isoTime) });

const Job = z.looseObject({
  id,
  type: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  total: z.nullable(z.number()),
  processed: z.number(),
  failed: z.number(),
  errors: z.array(z.object({ row: z.optional(z.number()), message: z.string(), fields: z.optional(z.record(z.string(), z.string())) })),
  errorCount: z.number(),
  downloadUrl: z.optional(z.string().register(z.globalRegistry, { description: 'Only for roles that may export.' })),
  createdAt: isoTime,
  updatedAt: isoTime,
});

const ApiKey = z.object({ id, name: z.string(), createdAt: z.optional(isoTime), createdBy: z.optional(z.string()) });

const Merge = z.looseObject({ id, primaryId: id, duplicateIds: z.array(id), at: isoTime, by: z.unknown(), status: z.optional(z.string()) });
const Suggestion = z.object({
  key: z.string().register(z.globalRegistry, { description: '`phone:+55...` or `email:...`' }),
  contacts: z.array(z.object({ id, name: z.optional(z.string()), phone: z.optional(z.string()), email: z.optional(z.string()) })),
});

export const ANSWERS = {
  Error: z.object({
    error: z.object({
      code: z.enum(['validation_error', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'suppressed', 'too_large', 'throttled', 'internal']),
      message: z.string(),
      fields: z.optional(z.record(z.string(), z.string())),
    }),
  }),
  Me: z.object({ sub: z.string(), name: z.string(), role: z.enum(ROLES) }),
  ContactPage: page(Contact),
  /** Every contact field plus channels, lists, tags, company, department and the engagement figures (METRICS.md). */
  Profile: z.looseObject({
    ...Contact.shape,
    channels: z.record(z.string(), z.object({ status: z.enum(SUBSCRIPTION_STATUSES), connectedAt: z.optional(isoTime) })),
    lists: z.array(ref),
    tags: z.array(ref),
    company: z.optional(z.nullable(ref)),
    department: z.optional(z.nullable(ref)),
    engagement: z.optional(z.looseObject({})),
    tickets: z.optional(z.looseObject({})),
    satisfaction: z.optional(z.looseObject({})),
  }),
  TagRef: ref,
  DispatchAnswer: z.object({ id, status: z.enum(['queued', 'sending_error']), reason: z.optional(z.enum(['blocked', 'unsubscribed'])) }),
  DispatchPage: page(z.object({ id, contactId: id, channel: z.enum(CHANNELS), status: z.string(), reason: z.optional(z.string()), at: isoTime })),
  List,
  ListPage: page(List),
  Tag,
  TagPage: page(Tag),
  Named,
  NamedPage: page(Named),
  Agent,
  AgentPage: page(Agent),
  CustomField,
  CustomFieldPage: page(CustomField),
  Job,
  JobPage: page(Job),
  EventsAccepted: z.object({
    accepted: z.number(),
    duplicates: z.number(),
    rejected: z.array(z.object({ id: z.optional(z.string()), index: z.optional(z.number()), reason: z.string() })),
  }),
  ApiKeyCreated: z.object({ ...ApiKey.shape, key: z.string().register(z.globalRegistry, { description: 'Shown once; stored only as a hash.' }) }),
  ApiKeyPage: page(ApiKey),
  ActivityPage: page(
    z.object({
      id,
      at: isoTime,
      by: z.nullable(z.object({ sub: z.string(), name: z.string() })),
      action: z.string(),
      details: z.looseObject({}),
    }),
  ),
  AuditPage: page(
    z.object({
      id,
      at: isoTime,
      by: z.union([z.object({ sub: z.string(), name: z.string() }), z.object({ apiKeyId: z.string(), name: z.string() })]),
      action: z.string().register(z.globalRegistry, { description: '`<target type>.<verb>`, for example `contact.created`.' }),
      target: z.object({ type: z.string(), id: z.nullable(z.string()) }),
      details: z.looseObject({}),
    }),
  ),
  ContactBehaviorPanel: z.looseObject({}).register(z.globalRegistry, { description: 'The Contact Behavior panel for the period: see METRICS.md.' }),
  Merge,
  MergePage: page(Merge),
  SuggestionPage: page(Suggestion),
  RecycleBinPage: page(
    z.object({
      id,
      firstName: z.nullable(z.string()),
      lastName: z.nullable(z.string()),
      phone: z.nullable(z.string()),
      email: z.nullable(z.string()),
      deletedAt: isoTime,
      deletedBy: z.nullable(z.object({ sub: z.string(), name: z.string() })),
      purgeAt: z.string().register(z.globalRegistry, { format: 'date-time', description: 'When the purge schedule removes it for good (deletion + the tenant setting recycleDays).' }),
    }),
  ),
  Erasure: z.object({ erasedAt: isoTime, suppressions: z.array(z.object({ id, kind: z.enum(['phone', 'email']) })) }),
  SuppressionPage: page(
    z.object({
      id,
      kind: z.enum(['phone', 'email']),
      createdAt: isoTime,
      by: z.string().register(z.globalRegistry, { description: 'Sub of the admin whose erasure suppressed the value (never the value itself).' }),
      byName: z.string(),
      reason: z.nullable(z.string()),
    }),
  ),
};

export type AnswerName = keyof typeof ANSWERS;
