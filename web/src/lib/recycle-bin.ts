/** What deleting and restoring say about the recycle bin (API.md "Recycle bin"). */
import { i18n, t } from './i18n.svelte';
import { session } from './session.svelte';
import type { ToastLink } from './toasts.svelte';

/** The toast link to the bin after a delete, for the roles that may open it. */
export const recycleBinLink = (): ToastLink | undefined =>
  session.can('recycleBin.read') ? { label: t('recycleBin.open'), href: '#/recycle-bin' } : undefined;

const DAY_MS = 86_400_000;

/** "purged in N days" for a purge time (`now` for tests); a time already past reads "today": the schedule has not come yet. */
export function purgeIn(purgeAt: string, now = Date.now()): string {
  const at = new Date(purgeAt).getTime();
  if (Number.isNaN(at)) return '—';
  const days = Math.ceil((at - now) / DAY_MS);
  if (days <= 0) return t('recycleBin.purgeToday');
  if (days === 1) return t('recycleBin.purgeInOne');
  return t('recycleBin.purgeIn', { n: i18n.number(days) });
}
