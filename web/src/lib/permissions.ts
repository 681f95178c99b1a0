/**
 * The role matrix of API.md ("Roles"), as the SPA applies it: each action
 * names the lowest role allowed to do it. The UI hides what a role cannot do;
 * the API enforces the same table on its side.
 */
export const ROLES = ['agent', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { agent: 0, operator: 1, admin: 2 };

export const PERMISSIONS = {
  // read contacts, profiles, lists, tags, companies, departments, jobs
  'contacts.read': 'agent',
  'catalog.read': 'agent',
  'jobs.read': 'agent',

  // analytics panel, dispatch report
  'analytics.view': 'operator',
  'dispatches.view': 'operator',
  // create/edit contacts; memberships; tags; block; subscriptions; messages
  'contacts.create': 'operator',
  'contacts.edit': 'operator',
  'lists.addMember': 'operator',
  'lists.removeMember': 'operator',
  'tags.assign': 'operator',
  'contacts.block': 'operator',
  'channels.subscription': 'operator',
  'messages.send': 'operator',
  'lists.create': 'operator',
  'lists.rename': 'operator',
  'tags.create': 'operator',
  'companies.create': 'operator',
  'companies.rename': 'operator',
  'departments.create': 'operator',
  'departments.rename': 'operator',
  'contacts.import': 'operator',
  'contacts.export': 'operator',
  'contacts.delete': 'operator',
  'contacts.deleteSelected': 'operator',
  'merge.run': 'operator',
  'merge.undo': 'operator',

  // admin only
  'tags.unassign': 'admin',
  'tags.delete': 'admin',
  'lists.delete': 'admin',
  'companies.delete': 'admin',
  'departments.delete': 'admin',
  'contacts.unblock': 'admin',
  'channels.remove': 'admin',
  'contacts.deleteAll': 'admin',
  'merge.history': 'admin',
  'apiKeys.manage': 'admin',
  'customFields.manage': 'admin',
  'agents.manage': 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof PERMISSIONS;

export function can(role: Role | null | undefined, action: Action): boolean {
  if (!role) return false;
  return RANK[role] >= RANK[PERMISSIONS[action]];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The highest role among Cognito groups (admin > operator > agent); unknown groups are ignored. */
export function highestRole(groups: unknown): Role | null {
  const list = Array.isArray(groups) ? groups : typeof groups === 'string' ? groups.split(/[\s,]+/) : [];
  let best: Role | null = null;
  for (const group of list) {
    if (isRole(group) && (best === null || RANK[group] > RANK[best])) best = group;
  }
  return best;
}
