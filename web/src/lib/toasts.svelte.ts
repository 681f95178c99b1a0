/** Short-lived result messages in the corner of the screen. */
import { ApiError } from './api';
import { describeError } from './errors';

export type ToastKind = 'success' | 'error' | 'info';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  push(kind: ToastKind, message: string, timeoutMs = kind === 'error' ? 7000 : 4000): void {
    const id = this.#next++;
    this.items.push({ id, kind, message });
    setTimeout(() => this.dismiss(id), timeoutMs);
  }

  success = (message: string): void => this.push('success', message);
  info = (message: string): void => this.push('info', message);
  error = (error: unknown): void => this.push('error', error instanceof ApiError || error instanceof Error ? describeError(error) : String(error));

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
  }
}

export const toasts = new Toasts();
