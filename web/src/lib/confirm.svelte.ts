/** One confirmation dialog for the whole app: `await confirmDialog.ask({...})` resolves true on confirm. */
export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel?: string;
  danger?: boolean;
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
