/** Cursor pagination with previous/next: keeps the stack of cursors visited so "previous" needs no backwards cursor. */
import type { Page } from './types';

export class Paged<T> {
  items = $state.raw<T[]>([]);
  loading = $state(false);
  error = $state<unknown>(null);
  pageIndex = $state(0);
  nextCursor = $state<string | null>(null);
  loaded = $state(false);
  #cursors: Array<string | undefined> = [undefined];
  #controller: AbortController | null = null;
  #fetch: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>;

  constructor(fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>) {
    this.#fetch = fetchPage;
  }

  get hasNext(): boolean {
    return this.nextCursor !== null;
  }

  get hasPrev(): boolean {
    return this.pageIndex > 0;
  }

  /** Back to the first page (new filter or after a change). */
  reload(): Promise<void> {
    this.#cursors = [undefined];
    this.pageIndex = 0;
    return this.#load();
  }

  /** The same page again (after an edit on it). */
  refresh(): Promise<void> {
    return this.#load();
  }

  next(): Promise<void> {
    if (!this.nextCursor) return Promise.resolve();
    this.#cursors.push(this.nextCursor);
    this.pageIndex = this.#cursors.length - 1;
    return this.#load();
  }

  prev(): Promise<void> {
    if (this.#cursors.length <= 1) return Promise.resolve();
    this.#cursors.pop();
    this.pageIndex = this.#cursors.length - 1;
    return this.#load();
  }

  async #load(): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.loading = true;
    this.error = null;
    try {
      const page = await this.#fetch(this.#cursors[this.#cursors.length - 1], controller.signal);
      if (controller.signal.aborted) return;
      this.items = page.items ?? [];
      this.nextCursor = page.cursor ?? null;
      this.loaded = true;
    } catch (err) {
      if (controller.signal.aborted || (err instanceof DOMException && err.name === 'AbortError')) return;
      this.error = err;
    } finally {
      if (this.#controller === controller) this.loading = false;
    }
  }
}
