import { contactActivityKey, contactCollectionRange, contactKey, ENGAGEMENT_COUNTER_PREFIX, mergedAliasKey } from '../data/keys.js';
import { PAGE_LIMIT } from '../lib/dynamo-batch.js';
import { queryAll } from '../lib/dynamo.js';

export type Item = Record<string, unknown>;

/** What reconciliation reads of one contact, in one strongly consistent Query (keys.ts: contactCollectionRange). */
export interface ContactCollection {
  contactId: string;
  /** The profile when the contact exists (type `contact`). */
  profile?: Item;
  /** The merged-alias item: the contact was merged away (an undo may bring it back). */
  alias?: Item;
  /** Message and conversation state items: what every derived number is a fold of. */
  history: Item[];
  /** Engagement counter items (`P#ENGD#<day>`, `P#ENG#SUMMARY`). */
  counters: Item[];
  /** The analytics activity state. */
  state?: Item;
  /** When it was read (epoch ms). */
  readAt: number;
}

export async function readContactCollection(contactId: string): Promise<ContactCollection> {
  const range = contactCollectionRange(contactId);
  const readAt = Date.now();
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': range.pk, ':from': range.from, ':to': range.to },
    ConsistentRead: true,
    Limit: PAGE_LIMIT,
  });
  const out: ContactCollection = { contactId, history: [], counters: [], readAt };
  const [profileSk, aliasSk, stateSk] = [contactKey(contactId).sk, mergedAliasKey(contactId).sk, contactActivityKey(contactId).sk];
  for (const item of items) {
    const sk = String(item.sk);
    if (sk === profileSk) {
      if (item.type === 'contact') out.profile = item;
    } else if (sk === aliasSk) out.alias = item;
    else if (sk === stateSk) out.state = item;
    else if (sk.startsWith(ENGAGEMENT_COUNTER_PREFIX)) out.counters.push(item);
    else if (item.type === 'message' || item.type === 'conversation') out.history.push(item);
  }
  return out;
}
