/**
 * The role matrix of API.md ("Roles"), used by the API to authorize and by
 * the SPA to decide which actions to offer. Roles are Cognito groups.
 */
export const ROLES = ['agent', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { agent: 0, operator: 1, admin: 2 };

export const PERMISSIONS = {
  /** read contacts, profiles, lists, tags, companies, departments, jobs */
  read: 'agent',
  /** analytics panel, dispatch report */
  viewAnalytics: 'operator',
  viewDispatches: 'operator',
  /** create/edit contacts, lists, tags, companies, departments; memberships; block; channels; send; import; export; delete contacts; merge and undo */
  work: 'operator',
  /** remove a tag from a contact; delete a tag, list, company or department; unblock; remove a channel; delete all contacts; merge history; API keys; custom field definitions */
  administer: 'admin',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role | undefined, permission: Permission): boolean {
  if (!role) return false;
  return RANK[role] >= RANK[PERMISSIONS[permission]];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The highest role among a user's groups, or undefined when none is a role. */
export function highestRole(groups: readonly string[]): Role | undefined {
  let best: Role | undefined;
  for (const group of groups) {
    if (isRole(group) && (!best || RANK[group] > RANK[best])) best = group;
  }
  return best;
}
