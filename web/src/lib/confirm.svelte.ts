/** One confirmation dialog for the whole app: `await confirmDialog.ask({...})` resolves true on confirm. */
import { t } from './i18n.svelte';
import { toasts } from './toasts.svelte';

export interface ConfirmRequest {
  title: string;
  message: string;
  /** What the action takes away, one line each, under the message (an erasure names everything it removes). */
  items?: string[];
  /** A last word under the items. */
  note?: string;
  confirmLabel?: string;
  danger?: boolean;
  /** Text the user must type (a count of contacts) before the confirm button is enabled. */
  typeToConfirm?: string;
}

class ConfirmDialog {
  current = $state<(ConfirmRequest & { resolve: (ok: boolean) => void }) | null>(null);

  ask(request: ConfirmRequest): Promise<boolean> {
    this.current?.resolve(false);
    return new Promise((resolve) => {
      this.current = { ...request, resolve };
    });
  }

  answer(ok: boolean): void {
    const current = this.current;
    this.current = null;
    current?.resolve(ok);
  }
}

export const confirmDialog = new ConfirmDialog();

/**
 * Asks first (a danger dialog), then runs `action` and toasts `success`; a
 * failure becomes an error toast. Resolves true once the action succeeded.
 */
export async function confirmThen(request: ConfirmRequest, action: () => Promise<unknown>, success: string): Promise<boolean> {
  if (!(await confirmDialog.ask({ danger: true, ...request }))) return false;
  try {
    await action();
    toasts.success(success);
    return true;
  } catch (err) {
    toasts.error(err);
    return false;
  }
}

/** The dialog that asks before deleting the entry called `name`. */
export const deleteRequest = (name: string, message: string): ConfirmRequest => ({ title: t('catalog.deleteTitle', { name }), message, confirmLabel: t('common.delete') });
