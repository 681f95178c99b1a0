/** Shapes of the HTTP API (API.md, METRICS.md) as the SPA reads them. Optional where the contract allows absence. */
import type { Channel } from '../../../shared/channels.js';
import type { Assignee as AssigneeRef, ContactFields, SUBSCRIPTION_STATUSES } from '../../../shared/contact-schema.js';
import type { Band, SatisfactionIndex } from '../../../shared/engagement.js';
import type { Role } from './permissions';

export { CHANNELS, type Channel } from '../../../shared/channels.js';
export { BANDS, type Band } from '../../../shared/engagement.js';
export type { SatisfactionIndex };
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface Named {
  id: string;
  name: string;
}

export interface Me {
  sub: string;
  name?: string;
  role: Role;
}

export interface Origin {
  type: string;
  label?: string;
}

export interface Assignee extends AssigneeRef {
  name?: string;
}

export interface ChannelState {
  status?: SubscriptionStatus;
  connectedAt?: string | null;
}

/** The fields a client writes, as the API's schema declares them (shared/contact-schema.ts). */
type WrittenFields = Pick<ContactFields, 'firstName' | 'lastName' | 'phone' | 'email' | 'country' | 'language' | 'companyId' | 'departmentId'>;

export interface Contact extends WrittenFields {
  id: string;
  origin?: Origin | null;
  assignee?: Assignee | null;
  customFields?: Record<string, unknown> | null;
  channels?: Partial<Record<Channel, ChannelState | SubscriptionStatus>> | null;
  blocked?: boolean;
  createdAt?: string;
  updatedAt?: string;
  tags?: Array<Named | string> | null;
  lists?: Named[] | null;
  band?: Band | null;
  engagement?: Partial<Engagement> | null;
}

export interface ChannelRates {
  deliveryRate?: number | null;
  openRate?: number | null;
  clickRate?: number | null;
  responseRate?: number | null;
}

export interface Engagement {
  dispatched: { total: number; byChannel?: Partial<Record<Channel, number>> };
  /** Per-channel rates; the backend may call this `channels` or `byChannel`. */
  channels?: Partial<Record<Channel, ChannelRates>>;
  byChannel?: Partial<Record<Channel, ChannelRates>>;
  rate: number | null;
  band: Band | null;
  trend?: Array<{ date: string; rate: number | null }> | null;
  bestTime?: { weekday: number; hour: number } | null;
}

export interface Tickets {
  open: number;
  resolved: number;
  all: number;
}

export interface Satisfaction {
  index: SatisfactionIndex | null;
  interactionRate: number | null;
}

export interface Profile extends Contact {
  channels?: Partial<Record<Channel, ChannelState>> | null;
  lists?: Named[];
  tags?: Named[];
  company?: Named | null;
  department?: Named | null;
  engagement?: Engagement | null;
  tickets?: Tickets | null;
  satisfaction?: Satisfaction | null;
}

export interface ContactInput extends WrittenFields, Pick<ContactFields, 'assignee' | 'channels'> {
  customFields?: Record<string, unknown>;
}

/** GET /v1/contacts filters (API.md): text filters, a page size and the cursor of the page before. */
export type ContactQuery = Partial<Record<'q' | 'tag' | 'list' | 'blocked' | 'band' | 'assignee' | 'cursor', string>> & { limit?: number };

export interface ListSummary extends Named {
  memberCount?: number;
  createdAt?: string;
}

export interface TagSummary extends Named {
  contactCount?: number;
}

export const CUSTOM_FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'choice'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export interface CustomFieldDefinition {
  id: string;
  /** The key the value is stored under in `contact.customFields`; falls back to `name`. */
  key?: string;
  name: string;
  type: CustomFieldType | string;
  choices?: string[];
}

export interface AgentEntry extends Named {
  type: 'agent' | 'group';
}

export type JobType = 'import-contacts' | 'export-contacts' | 'delete-contacts' | 'restore-contacts' | 'tag-contacts' | 'add-to-list';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Job {
  id: string;
  type: JobType | string;
  status: JobStatus;
  /** Unknown (null) until the job has counted its selection. */
  total?: number | null;
  /** Items done without error; `processed + failed` of `total` have been handled. */
  processed?: number | null;
  failed?: number | null;
  /** The first errors (the job keeps a bounded number); `errorCount` counts them all. */
  errors?: Array<{ row?: number; message: string }>;
  errorCount?: number;
  downloadUrl?: string | null;
  fileName?: string;
  /** Import outcome per row kind. */
  summary?: { created?: number; updated?: number; skipped?: number };
  message?: string;
  listId?: string;
  tagId?: string;
  createdAt?: string;
  finishedAt?: string;
}

/** The contact-base filter a bulk job works on: the same parameters as `GET /v1/contacts`. */
export interface JobFilter {
  q?: string;
  tag?: string;
  list?: string;
  blocked?: boolean;
  band?: string;
  assignee?: string;
}

/** Which contacts a bulk job touches: exactly one of these. `all` deletes are for admins. */
export type JobSelection = { contactIds: string[] } | { filter: JobFilter } | { all: true };

/** A column's destination in an import: a contact field, `customFields.<key>`, or `ignore`. */
export type ImportTarget = string;

export type JobRequest =
  | ({ type: 'delete-contacts' } & JobSelection)
  | ({ type: 'restore-contacts' } & ({ contactIds: string[] } | { all: true }))
  | ({ type: 'tag-contacts'; tagName: string } & JobSelection)
  | ({ type: 'add-to-list'; listId: string } & JobSelection)
  | { type: 'export-contacts'; filter?: JobFilter }
  | ({
      type: 'import-contacts';
      fileName: string;
      mapping?: Record<string, ImportTarget>;
      onDuplicate: 'update' | 'skip' | 'create';
      listId?: string;
    } & ({ csv: string } | { csvGzipBase64: string }));

export interface Dispatch {
  id: string;
  contactId: string;
  channel: Channel | string;
  status: string;
  reason?: string;
  at: string;
  text?: string;
}

export interface MessageResult {
  id: string;
  status: 'queued' | 'sending_error' | string;
  reason?: string;
}

export interface MergeSuggestion {
  key: string;
  contacts: Array<{ id: string; name?: string; phone?: string | null; email?: string | null }>;
}

export interface MergeRecord {
  id: string;
  primaryId: string;
  duplicateIds: string[];
  at: string;
  by?: string;
  undoneAt?: string | null;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  createdAt?: string;
  key?: string;
}

/** Who did something, as the API names a person: a user id, or the id with the directory's name. */
export type Actor = string | { sub: string; name?: string | null } | null;

/** A contact in the recycle bin (API.md "Recycle bin"). */
export interface RecycleBinEntry extends Pick<Contact, 'firstName' | 'lastName' | 'phone' | 'email'> {
  id: string;
  deletedAt: string;
  deletedBy?: Actor;
  purgeAt: string;
}

export type SuppressionKind = 'phone' | 'email';

/** A suppressed phone or email: the API never gives the value back (API.md "Erasure and suppression"). */
export interface Suppression {
  id: string;
  kind: SuppressionKind;
  createdAt: string;
  by?: Actor;
  reason?: string | null;
}

export interface Erasure {
  erasedAt: string;
  suppressions: Array<Pick<Suppression, 'id' | 'kind'>>;
}
