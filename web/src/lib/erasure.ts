/** Erasing a person's data (API.md "Erasure and suppression"): the same question wherever it is asked, the profile or the recycle bin. */
import type { ConfirmRequest } from './confirm.svelte';
import { t } from './i18n.svelte';

/** Names everything that goes, and that the phone and email are suppressed. */
export const eraseRequest = (name: string): ConfirmRequest => ({
  title: t('profile.eraseTitle', { name }),
  message: t('profile.eraseMessage'),
  items: [t('profile.eraseItemProfile'), t('profile.eraseItemMessages'), t('profile.eraseItemMerges'), t('profile.eraseItemBin')],
  note: t('profile.eraseSuppression'),
  confirmLabel: t('profile.eraseConfirm'),
  danger: true,
});
