import { liveBandEntries } from './contact-band.js';
import { gsi } from './keys.js';
import { queryAll, queryCount, queryFrom, type Item } from './query.js';

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

/**
 * How many contacts the partition holds (COUNT queries); null when counting
 * would run past `deadline` (epoch ms). A band's partition holds band items
 * (data/contact-band.ts), which stay while their contact is in the recycle
 * bin or until a refresh finds it merged away: those are counted against
 * the live profiles, a page of entries and one BatchGet at a time.
 */
export function countContacts(counted: CountedContacts, deadline: number): Promise<number | null> {
  if (counted.by === 'band') return countBand(counted.band, deadline);
  return queryCount({ ...partitionOf(counted), deadline });
}

/** Entries per page of a band count (each page is one Query and BatchGets of their profiles' type). */
const BAND_COUNT_PAGE = 500;

async function countBand(band: string, deadline: number): Promise<number | null> {
  let count = 0;
  let startKey: Item | undefined;
  do {
    if (Date.now() > deadline) return null;
    const page = await queryFrom({ ...partitionOf({ by: 'band', band }), limit: BAND_COUNT_PAGE, projection: 'pk, sk, gsi7sk' }, startKey);
    count += (await liveBandEntries(band, page.items, { projection: 'pk, #t, gsi7pk', names: { '#t': 'type' } })).length;
    startKey = page.next;
  } while (startKey);
  return count;
}

/** id, phone and email of every contact, oldest first (so the oldest holder of a value comes first). */
export function allContactValues(): Promise<Item[]> {
  return queryAll({ index: 'byType', partition: CONTACTS, projection: 'id, phone, email', newestFirst: false });
}
