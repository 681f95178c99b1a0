import type { RouteKey } from '../../shared/api-routes.js';

/**
 * What each write route records in the audit log (API.md "Activity and
 * audit"): its action (`<target type>.<verb>`), its target and a few
 * details, from the request and its answer. Plain data beside the route
 * table: every route that is not a GET must have an entry (the type below
 * fails to compile otherwise), so a new write route cannot go unaudited.
 *
 * Details never hold a contact's name, phone, email or a message's text:
 * ids, field names, channels and counts only, so an erased contact leaves
 * no personal data in the log.
 */
export interface AuditContext {
  readonly params: Record<string, string>;
  readonly body: unknown;
  /** The route's answer (its JSON body), when it has one. */
  readonly answer: unknown;
}

export interface AuditRecord {
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null };
  readonly details?: Record<string, unknown>;
}

type WriteRoute = Exclude<RouteKey, `GET ${string}`>;
/** What the write did, or undefined when it changed nothing (an events call that accepted none). */
type Describe = (ctx: AuditContext) => AuditRecord | undefined;

const field = (value: unknown, name: string): unknown => (value && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined);
const text = (value: unknown, name: string): string | null => {
  const found = field(value, name);
  return typeof found === 'string' ? found : null;
};

/** An action on the resource the path names (`{id}`), with optional details. */
const onPath =
  (type: string, verb: string, details?: (ctx: AuditContext) => Record<string, unknown>): Describe =>
  (ctx) => ({ action: `${type}.${verb}`, target: { type, id: ctx.params.id ?? null }, details: details?.(ctx) });

/** A creation: the new resource's id is in the answer. */
const created =
  (type: string, details?: (ctx: AuditContext) => Record<string, unknown>): Describe =>
  (ctx) => ({ action: `${type}.created`, target: { type, id: text(ctx.answer, 'id') }, details: details?.(ctx) });

/** Names of catalog entries (lists, tags…) are the tenant's words, not personal data. */
const named = (ctx: AuditContext) => ({ name: text(ctx.body, 'name') ?? text(ctx.answer, 'name') });
/** Which fields a change touched, never their values. */
const fieldsOf = (ctx: AuditContext) => ({ fields: Object.keys((ctx.body as Record<string, unknown>) ?? {}).sort() });
const channel = (ctx: AuditContext) => ({ channel: ctx.params.channel ?? text(ctx.body, 'channel') });

export const AUDIT_ACTIONS: { readonly [K in WriteRoute]: Describe } = {
  'POST /v1/contacts': created('contact'),
  'PATCH /v1/contacts/{id}': onPath('contact', 'updated', fieldsOf),
  'DELETE /v1/contacts/{id}': onPath('contact', 'deleted'),
  'PUT /v1/contacts/{id}/lists/{listId}': onPath('contact', 'listed', (ctx) => ({ listId: ctx.params.listId })),
  'DELETE /v1/contacts/{id}/lists/{listId}': onPath('contact', 'unlisted', (ctx) => ({ listId: ctx.params.listId })),
  'POST /v1/contacts/{id}/tags': onPath('contact', 'tagged', (ctx) => ({ tagId: text(ctx.answer, 'id') })),
  'DELETE /v1/contacts/{id}/tags/{tagId}': onPath('contact', 'untagged', (ctx) => ({ tagId: ctx.params.tagId })),
  'POST /v1/contacts/{id}/channels/{channel}/unsubscribe': onPath('contact', 'unsubscribed', channel),
  'POST /v1/contacts/{id}/channels/{channel}/subscribe': onPath('contact', 'subscribed', channel),
  'DELETE /v1/contacts/{id}/channels/{channel}': onPath('contact', 'channel_removed', channel),
  'POST /v1/contacts/{id}/block': onPath('contact', 'blocked'),
  'POST /v1/contacts/{id}/unblock': onPath('contact', 'unblocked'),
  'POST /v1/contacts/{id}/messages': onPath('contact', 'message_sent', channel),
  'POST /v1/contacts/{id}/erase': onPath('contact', 'erased'),
  'POST /v1/recycle-bin/{id}/restore': onPath('contact', 'restored'),
  'DELETE /v1/recycle-bin/{id}': onPath('contact', 'purged'),

  'POST /v1/lists': created('list', named),
  'PATCH /v1/lists/{id}': onPath('list', 'updated', fieldsOf),
  'DELETE /v1/lists/{id}': onPath('list', 'deleted'),
  'POST /v1/tags': created('tag', named),
  'PATCH /v1/tags/{id}': onPath('tag', 'updated', fieldsOf),
  'DELETE /v1/tags/{id}': onPath('tag', 'deleted'),
  'POST /v1/companies': created('company', named),
  'PATCH /v1/companies/{id}': onPath('company', 'updated', fieldsOf),
  'DELETE /v1/companies/{id}': onPath('company', 'deleted'),
  'POST /v1/departments': created('department', named),
  'PATCH /v1/departments/{id}': onPath('department', 'updated', fieldsOf),
  'DELETE /v1/departments/{id}': onPath('department', 'deleted'),
  'POST /v1/custom-fields': created('custom_field', (ctx) => ({ key: text(ctx.answer, 'key'), type: text(ctx.answer, 'type') })),
  'PATCH /v1/custom-fields/{id}': onPath('custom_field', 'updated', fieldsOf),
  'DELETE /v1/custom-fields/{id}': onPath('custom_field', 'deleted'),
  // An agent's name is a person's: the log keeps the agent's id only.
  'POST /v1/agents': created('agent'),
  'PATCH /v1/agents/{id}': onPath('agent', 'updated', fieldsOf),
  'DELETE /v1/agents/{id}': onPath('agent', 'deleted'),

  'POST /v1/jobs': (ctx) => {
    const ids = field(ctx.body, 'contactIds');
    return {
      action: 'job.started',
      target: { type: 'job', id: text(ctx.answer, 'id') },
      details: {
        type: text(ctx.body, 'type'),
        ...(Array.isArray(ids) ? { contacts: ids.length } : {}),
        ...(field(ctx.body, 'all') === true ? { all: true } : {}),
        ...(field(ctx.body, 'filter') ? { filtered: true } : {}),
      },
    };
  },
  'POST /v1/jobs/{id}/cancel': onPath('job', 'cancelled', (ctx) => ({ type: text(ctx.answer, 'type') })),

  'POST /v1/events': (ctx) => {
    const rejected = field(ctx.answer, 'rejected');
    if (field(ctx.answer, 'accepted') === 0) return undefined;
    return {
      action: 'events.received',
      target: { type: 'events', id: null },
      details: { accepted: field(ctx.answer, 'accepted'), duplicates: field(ctx.answer, 'duplicates'), rejected: Array.isArray(rejected) ? rejected.length : 0 },
    };
  },

  'POST /v1/api-keys': created('api_key', named),
  'DELETE /v1/api-keys/{id}': onPath('api_key', 'deleted'),
  'DELETE /v1/suppressions/{id}': onPath('suppression', 'lifted'),

  'POST /v1/merges': (ctx) => ({
    action: 'merge.created',
    target: { type: 'merge', id: text(ctx.answer, 'id') },
    details: { primaryId: text(ctx.body, 'primaryId'), duplicateIds: field(ctx.body, 'duplicateIds') },
  }),
  'POST /v1/merges/{id}/undo': onPath('merge', 'undone'),
};

export function describeWrite(route: string, ctx: AuditContext): AuditRecord | undefined {
  return (AUDIT_ACTIONS as Record<string, Describe>)[route]?.(ctx);
}
