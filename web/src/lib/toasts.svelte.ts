/** Short-lived result messages in the corner of the screen. */
import { ApiError } from './api';
import { describeError } from './errors';

export type ToastKind = 'success' | 'error' | 'info';

/** A link the message offers (the recycle bin after a delete, the contact after a restore). */
export interface ToastLink {
  label: string;
  href: string;
}

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  link?: ToastLink;
}

class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  /** A toast with a link stays longer: there is something to reach for. */
  push(kind: ToastKind, message: string, link?: ToastLink, timeoutMs = kind === 'error' ? 7000 : link ? 8000 : 4000): void {
    const id = this.#next++;
    this.items.push({ id, kind, message, ...(link ? { link } : {}) });
    setTimeout(() => this.dismiss(id), timeoutMs);
  }

  success = (message: string, link?: ToastLink): void => this.push('success', message, link);
  info = (message: string): void => this.push('info', message);
  error = (error: unknown): void => this.push('error', error instanceof ApiError || error instanceof Error ? describeError(error) : String(error));

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
  }
}

export const toasts = new Toasts();
