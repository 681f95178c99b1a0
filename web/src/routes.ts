/** Every screen, loaded on demand so the first screen stays small. */
import type { Action } from './lib/permissions';
import type { RouteDefinition } from './lib/router.svelte';

const route = (pattern: string, load: RouteDefinition['load'], requires?: Action): RouteDefinition => ({
  pattern,
  load,
  requires,
});

export const ROUTES: readonly RouteDefinition[] = [
  route('/contacts', () => import('./pages/contacts/ContactsPage.svelte')),
  route('/contacts/new', () => import('./pages/contacts/ContactFormPage.svelte'), 'contacts.create'),
  route('/contacts/:id', () => import('./pages/profile/ProfilePage.svelte')),
  route('/contacts/:id/edit', () => import('./pages/contacts/ContactFormPage.svelte'), 'contacts.edit'),
  route('/blocked', () => import('./pages/contacts/BlockedPage.svelte')),
  route('/lists', () => import('./pages/lists/ListsPage.svelte')),
  route('/lists/:id', () => import('./pages/lists/ListDetailPage.svelte')),
  route('/tags', () => import('./pages/catalog/TagsPage.svelte')),
  route('/companies', () => import('./pages/catalog/CompaniesPage.svelte')),
  route('/departments', () => import('./pages/catalog/DepartmentsPage.svelte')),
  route('/custom-fields', () => import('./pages/catalog/CustomFieldsPage.svelte'), 'customFields.manage'),
  route('/agents', () => import('./pages/catalog/AgentsPage.svelte')),
  route('/imports', () => import('./pages/imports/ImportPage.svelte'), 'contacts.import'),
  route('/jobs/:id', () => import('./pages/imports/JobPage.svelte'), 'jobs.read'),
  route('/dispatches', () => import('./pages/DispatchesPage.svelte'), 'dispatches.view'),
  route('/analytics', () => import('./pages/AnalyticsPage.svelte'), 'analytics.view'),
  route('/merge', () => import('./pages/MergePage.svelte'), 'merge.run'),
  route('/merges', () => import('./pages/MergeHistoryPage.svelte'), 'merge.history'),
  route('/settings/api-keys', () => import('./pages/ApiKeysPage.svelte'), 'apiKeys.manage'),
  route('/recycle-bin', () => import('./pages/RecycleBinPage.svelte'), 'recycleBin.read'),
  route('/suppressions', () => import('./pages/SuppressionsPage.svelte'), 'suppressions.read'),
  route('/audit', () => import('./pages/audit/AuditPage.svelte'), 'audit.read'),
];
