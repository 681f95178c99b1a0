/**
 * What the SPA offers to each role. Each screen action names the API route
 * it calls (shared/api-routes.ts, the route table's access column, which the
 * API authorizes with), so the UI hides exactly what the API would refuse
 * and restates no part of the role matrix.
 */
import { API_ROUTES, BROAD_DELETE_ACCESS, type RouteAccess, type RouteKey } from '../../../shared/api-routes.js';
import {
  can as roleCan,
  highestRole as highestOf,
  isRole,
  ROLES,
  type Permission,
  type Role,
} from '../../../shared/roles.js';

export { isRole, ROLES, type Role };

/** The route each action calls; a rule inside a route (a broad delete) names its permission. */
export const ACTIONS = {
  'contacts.read': 'GET /v1/contacts',
  'catalog.read': 'GET /v1/lists',
  'jobs.read': 'GET /v1/jobs',

  'analytics.view': 'GET /v1/analytics/contacts',
  'dispatches.view': 'GET /v1/dispatches',

  'contacts.create': 'POST /v1/contacts',
  'contacts.edit': 'PATCH /v1/contacts/{id}',
  'lists.addMember': 'PUT /v1/contacts/{id}/lists/{listId}',
  'lists.removeMember': 'DELETE /v1/contacts/{id}/lists/{listId}',
  'tags.assign': 'POST /v1/contacts/{id}/tags',
  'contacts.block': 'POST /v1/contacts/{id}/block',
  'channels.subscription': 'POST /v1/contacts/{id}/channels/{channel}/unsubscribe',
  'messages.send': 'POST /v1/contacts/{id}/messages',
  'lists.create': 'POST /v1/lists',
  'lists.rename': 'PATCH /v1/lists/{id}',
  'tags.create': 'POST /v1/tags',
  'companies.create': 'POST /v1/companies',
  'companies.rename': 'PATCH /v1/companies/{id}',
  'departments.create': 'POST /v1/departments',
  'departments.rename': 'PATCH /v1/departments/{id}',
  'contacts.import': 'POST /v1/jobs',
  'contacts.export': 'GET /v1/jobs/{id}/download',
  'contacts.delete': 'DELETE /v1/contacts/{id}',
  'contacts.deleteSelected': 'POST /v1/jobs',
  'recycleBin.read': 'GET /v1/recycle-bin',
  'jobs.cancel': 'POST /v1/jobs/{id}/cancel',
  'merge.run': 'POST /v1/merges',
  'merge.undo': 'POST /v1/merges/{id}/undo',

  'tags.unassign': 'DELETE /v1/contacts/{id}/tags/{tagId}',
  'tags.delete': 'DELETE /v1/tags/{id}',
  'lists.delete': 'DELETE /v1/lists/{id}',
  'companies.delete': 'DELETE /v1/companies/{id}',
  'departments.delete': 'DELETE /v1/departments/{id}',
  'contacts.unblock': 'POST /v1/contacts/{id}/unblock',
  'channels.remove': 'DELETE /v1/contacts/{id}/channels/{channel}',
  'contacts.deleteAll': { permission: BROAD_DELETE_ACCESS },
  'recycleBin.restore': 'POST /v1/recycle-bin/{id}/restore',
  /** A restore-contacts job restores as the route does, so it asks what restoring one asks (API.md "Jobs": admin). */
  'recycleBin.restoreSelected': 'POST /v1/recycle-bin/{id}/restore',
  'recycleBin.purge': 'DELETE /v1/recycle-bin/{id}',
  'contacts.erase': 'POST /v1/contacts/{id}/erase',
  'suppressions.read': 'GET /v1/suppressions',
  'suppressions.lift': 'DELETE /v1/suppressions/{id}',
  'merge.history': 'GET /v1/merges',
  'audit.read': 'GET /v1/audit',
  'apiKeys.manage': 'POST /v1/api-keys',
  'customFields.manage': 'POST /v1/custom-fields',
  'agents.manage': 'POST /v1/agents',
} as const satisfies Record<string, RouteKey | { permission: Permission }>;

export type Action = keyof typeof ACTIONS;

/** The permission an action needs: its route's (a route anyone may call needs none). */
function permissionOf(action: Action): Permission | undefined {
  const target = ACTIONS[action];
  if (typeof target !== 'string') return target.permission;
  const access = API_ROUTES[target] as RouteAccess;
  return access === 'public' || access === 'apiKey' ? undefined : access;
}

export function can(role: Role | null | undefined, action: Action): boolean {
  const permission = permissionOf(action);
  return permission === undefined || roleCan(role ?? undefined, permission);
}

/** The highest role among Cognito groups (admin > operator > agent); unknown groups are ignored. */
export function highestRole(groups: unknown): Role | null {
  const list = Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? groups.split(/[\s,]+/) : [];
  return highestOf(list) ?? null;
}
