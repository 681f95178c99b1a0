import { gsi } from './keys.js';
import { queryAll, queryCount, type Item } from './query.js';

/**
 * Reads of the contact base for bulk jobs (functions/jobs): the count of
 * contacts an index partition holds, for a job's progress bar, and every
 * contact's phone and email, for an import's de-duplication. The contact
 * items themselves are functions/data/contact.ts.
 */
const CONTACTS = 'CONTACT';

/** The index partitions a selection can be counted on. */
export type CountedContacts = { by: 'all' } | { by: 'blocked' } | { by: 'band'; band: string } | { by: 'assignee'; type: string; id: string };

function partitionOf(counted: CountedContacts) {
  switch (counted.by) {
    case 'all':
      return { index: 'byType', partition: CONTACTS } as const;
    case 'blocked':
      return { index: 'byFilter', partition: gsi.blocked('').gsi6pk } as const;
    case 'band':
      return { index: 'byBand', partition: gsi.band(counted.band, '').gsi7pk } as const;
    case 'assignee':
      return { index: 'byAssignee', partition: gsi.assignee(counted.type, counted.id, '').gsi8pk } as const;
  }
}

/** How many contacts the partition holds (COUNT queries); null when counting would run past `deadline` (epoch ms). */
export function countContacts(counted: CountedContacts, deadline: number): Promise<number | null> {
  return queryCount({ ...partitionOf(counted), deadline });
}

/** id, phone and email of every contact, oldest first (so the oldest holder of a value comes first). */
export function allContactValues(): Promise<Item[]> {
  return queryAll({ index: 'byType', partition: CONTACTS, projection: 'id, phone, email', newestFirst: false });
}
