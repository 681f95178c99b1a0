import { SvelteMap } from 'svelte/reactivity';
import { api, ApiError } from './api';
import { contactName } from './format';

/**
 * Names of contacts that a listing names by id only (dispatches, the audit
 * log), each read once, four at a time. `get(id)` is `''` while it is read
 * (or when it could not be), the contact's name once read, and `null` when
 * the contact no longer exists (404): a listing links only to contacts
 * that still exist.
 */
export class ContactNames {
  #names = new SvelteMap<string, string | null>();

  get(id: string): string | null | undefined {
    return this.#names.get(id);
  }

  /** Reads the names of the ids not read yet. */
  async resolve(ids: Iterable<string>): Promise<void> {
    const queue = [...new Set(ids)].filter((id) => !this.#names.has(id));
    for (const id of queue) this.#names.set(id, '');
    const worker = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          const contact = await api.contacts.get(id);
          this.#names.set(id, contactName(contact) || id);
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) this.#names.set(id, null);
          // Otherwise the listing keeps showing the id.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
  }
}
