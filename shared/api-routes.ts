/**
 * Every route of the HTTP API and who may call it: the role matrix of
 * API.md ("Roles") route by route. `functions/http/routes.ts` adds each
 * route's Lambda area, schemas and summary on top of this; the router
 * authorizes with it, the CDK API and the local host put an authorizer on
 * exactly the routes that need a token, and the SPA offers an action only
 * when the route behind it would be allowed. It is plain data (no zod), so
 * the SPA reads it without carrying the schemas.
 *
 * Access is a Permission of shared/roles.ts (a bearer token whose role has
 * it), `apiKey` (an integration's `x-api-key`, checked by the function) or
 * `public` (no credentials at all).
 */
import type { Permission } from './roles.js';

export type RouteAccess = Permission | 'apiKey' | 'public';

export const API_ROUTES = {
  'GET /v1/me': 'read',

  'POST /v1/contacts': 'work',
  'GET /v1/contacts': 'read',
  'GET /v1/contacts/{id}': 'read',
  'GET /v1/contacts/{id}/activity': 'read',
  'PATCH /v1/contacts/{id}': 'work',
  'DELETE /v1/contacts/{id}': 'work',
  'PUT /v1/contacts/{id}/lists/{listId}': 'work',
  'DELETE /v1/contacts/{id}/lists/{listId}': 'work',
  'POST /v1/contacts/{id}/tags': 'work',
  'DELETE /v1/contacts/{id}/tags/{tagId}': 'administer',
  'POST /v1/contacts/{id}/channels/{channel}/unsubscribe': 'work',
  'POST /v1/contacts/{id}/channels/{channel}/subscribe': 'work',
  'DELETE /v1/contacts/{id}/channels/{channel}': 'administer',
  'POST /v1/contacts/{id}/block': 'work',
  'POST /v1/contacts/{id}/unblock': 'administer',
  'POST /v1/contacts/{id}/messages': 'work',
  'POST /v1/contacts/{id}/erase': 'administer',
  'GET /v1/dispatches': 'viewDispatches',

  'GET /v1/recycle-bin': 'work',
  'POST /v1/recycle-bin/{id}/restore': 'administer',
  'DELETE /v1/recycle-bin/{id}': 'administer',

  'GET /v1/lists': 'read',
  'POST /v1/lists': 'work',
  'GET /v1/lists/{id}': 'read',
  'PATCH /v1/lists/{id}': 'work',
  'DELETE /v1/lists/{id}': 'administer',
  'GET /v1/lists/{id}/contacts': 'read',

  'GET /v1/tags': 'read',
  'POST /v1/tags': 'work',
  'GET /v1/tags/{id}': 'read',
  'PATCH /v1/tags/{id}': 'work',
  'DELETE /v1/tags/{id}': 'administer',

  'GET /v1/companies': 'read',
  'POST /v1/companies': 'work',
  'GET /v1/companies/{id}': 'read',
  'PATCH /v1/companies/{id}': 'work',
  'DELETE /v1/companies/{id}': 'administer',

  'GET /v1/departments': 'read',
  'POST /v1/departments': 'work',
  'GET /v1/departments/{id}': 'read',
  'PATCH /v1/departments/{id}': 'work',
  'DELETE /v1/departments/{id}': 'administer',

  'GET /v1/custom-fields': 'read',
  'POST /v1/custom-fields': 'administer',
  'GET /v1/custom-fields/{id}': 'read',
  'PATCH /v1/custom-fields/{id}': 'administer',
  'DELETE /v1/custom-fields/{id}': 'administer',

  'GET /v1/agents': 'read',
  'POST /v1/agents': 'administer',
  'GET /v1/agents/{id}': 'read',
  'PATCH /v1/agents/{id}': 'administer',
  'DELETE /v1/agents/{id}': 'administer',

  /** A broad delete asks more of the role (BROAD_DELETE_ACCESS below); the job service checks it. */
  'POST /v1/jobs': 'work',
  'GET /v1/jobs': 'read',
  'GET /v1/jobs/{id}': 'read',
  'GET /v1/jobs/{id}/download': 'work',
  /** By the role that may start the job's type and selection (a broad delete's: admin); the job service checks it. */
  'POST /v1/jobs/{id}/cancel': 'work',

  'POST /v1/events': 'apiKey',

  'POST /v1/api-keys': 'administer',
  'GET /v1/api-keys': 'administer',
  'DELETE /v1/api-keys/{id}': 'administer',

  'GET /v1/analytics/contacts': 'viewAnalytics',

  'GET /v1/suppressions': 'administer',
  'DELETE /v1/suppressions/{id}': 'administer',

  'GET /v1/merge-suggestions': 'read',
  'GET /v1/contacts/{id}/merge-suggestions': 'read',
  'POST /v1/merges': 'work',
  'GET /v1/merges': 'administer',
  'GET /v1/merges/{id}': 'work',
  'POST /v1/merges/{id}/undo': 'work',

  'GET /v1/audit': 'administer',

  'GET /v1/openapi.json': 'public',
} as const satisfies Record<string, RouteAccess>;

export type RouteKey = keyof typeof API_ROUTES;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What a job asks beyond `POST /v1/jobs` itself (API.md "Jobs"): deleting
 * every contact, those a filter selects, or more than NAMED_DELETE_LIMIT
 * named ones, is for admins; an operator deletes up to that many it names.
 */
export const BROAD_DELETE_ACCESS: Permission = 'administer';

/** An operator's `delete-contacts` job names at most this many contacts; more is a broad delete (API.md "Jobs"). */
export const NAMED_DELETE_LIMIT = 1_000;

export const ROUTE_KEYS = Object.keys(API_ROUTES) as RouteKey[];

/** The query parameters of every listing (API.md "Conventions"). */
export const PAGE_QUERY = ['limit', 'cursor'] as const;

/** `"GET /v1/contacts/{id}"` -> its method and path. */
export function splitRouteKey(key: RouteKey): { method: HttpMethod; path: string } {
  const space = key.indexOf(' ');
  return { method: key.slice(0, space) as HttpMethod, path: key.slice(space + 1) };
}
