/**
 * What the SPA offers to each role. The role matrix itself (API.md "Roles")
 * lives in shared/roles.ts, which the API authorizes with; here each screen
 * action names the permission of that matrix it needs, so the UI hides
 * exactly what the API would refuse.
 */
import {
  can as roleCan,
  highestRole as highestOf,
  isRole,
  ROLES,
  type Permission,
  type Role,
} from '../../../shared/roles.js';

export { isRole, ROLES, type Role };

export const ACTIONS = {
  'contacts.read': 'read',
  'catalog.read': 'read',
  'jobs.read': 'read',

  'analytics.view': 'viewAnalytics',
  'dispatches.view': 'viewDispatches',

  'contacts.create': 'work',
  'contacts.edit': 'work',
  'lists.addMember': 'work',
  'lists.removeMember': 'work',
  'tags.assign': 'work',
  'contacts.block': 'work',
  'channels.subscription': 'work',
  'messages.send': 'work',
  'lists.create': 'work',
  'lists.rename': 'work',
  'tags.create': 'work',
  'companies.create': 'work',
  'companies.rename': 'work',
  'departments.create': 'work',
  'departments.rename': 'work',
  'contacts.import': 'work',
  'contacts.export': 'work',
  'contacts.delete': 'work',
  'contacts.deleteSelected': 'work',
  'merge.run': 'work',
  'merge.undo': 'work',

  'tags.unassign': 'administer',
  'tags.delete': 'administer',
  'lists.delete': 'administer',
  'companies.delete': 'administer',
  'departments.delete': 'administer',
  'contacts.unblock': 'administer',
  'channels.remove': 'administer',
  'contacts.deleteAll': 'administer',
  'merge.history': 'administer',
  'apiKeys.manage': 'administer',
  'customFields.manage': 'administer',
  'agents.manage': 'administer',
} as const satisfies Record<string, Permission>;

export type Action = keyof typeof ACTIONS;

export function can(role: Role | null | undefined, action: Action): boolean {
  return roleCan(role ?? undefined, ACTIONS[action]);
}

/** The highest role among Cognito groups (admin > operator > agent); unknown groups are ignored. */
export function highestRole(groups: unknown): Role | null {
  const list = Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? groups.split(/[\s,]+/) : [];
  return highestOf(list) ?? null;
}
