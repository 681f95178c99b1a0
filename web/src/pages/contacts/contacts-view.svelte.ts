/** Filters of the contact base, kept while the user opens profiles and comes back. */
export interface ContactFilters {
  q: string;
  tag: string;
  list: string;
  blocked: '' | 'true' | 'false';
  band: string;
  /** `agent:<id>` or `group:<id>` */
  assignee: string;
}

export const emptyFilters = (): ContactFilters => ({ q: '', tag: '', list: '', blocked: '', band: '', assignee: '' });

class ContactsView {
  filters = $state<ContactFilters>(emptyFilters());
  blockedFilters = $state<ContactFilters>({ ...emptyFilters(), blocked: 'true' });
  pageSize = $state(50);
}

export const contactsView = new ContactsView();
