import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { allMergedAliases, isMergedAlias, mergedAliasKey } from '../data/alias.js';
import { contactKey } from '../data/keys.js';
import { getManyRaw, keyId } from '../data/raw-item.js';
import { ddb, tableName } from '../lib/dynamo.js';

/**
 * Phones and emails of merged duplicates, for de-duplication (the CSV
 * import): while a merge stands, the duplicate's phone and email belong to
 * the contact it was merged into, exactly as events that name them land
 * there (functions/events/resolve-contact.ts). A primary that was itself
 * merged on leads further; one that was deleted holds nothing.
 */
type Item = Record<string, unknown>;
/** A merge chain longer than this is not followed (each link is a merge of a primary into another contact). */
const MAX_HOPS = 16;

export interface Holder {
  id: string;
  /** True when the value was found on a merged duplicate's alias, not on the contact itself. */
  viaAlias: boolean;
}

/** The contact a merged duplicate leads to now, or undefined when its chain ends in a deleted contact. */
async function followAlias(primaryId: string): Promise<string | undefined> {
  let id = primaryId;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const { Item: profile } = await ddb().send(new GetCommand({ TableName: tableName(), Key: contactKey(id), ProjectionExpression: '#t', ExpressionAttributeNames: { '#t': 'type' } }));
    if (profile?.type === 'contact') return id;
    const { Item: alias } = await ddb().send(new GetCommand({ TableName: tableName(), Key: mergedAliasKey(id), ProjectionExpression: '#t, mergedInto', ExpressionAttributeNames: { '#t': 'type' } }));
    if (!isMergedAlias(alias)) return undefined;
    id = String(alias.mergedInto);
  }
  return undefined;
}

/**
 * The holder of a phone or email given its `byPhone`/`byEmail` Query
 * (oldest contact id first): the first contact, or the first merged
 * duplicate whose merge still leads to a contact.
 */
export async function holderOf(items: Item[]): Promise<Holder | undefined> {
  for (const item of items) {
    if (item.type === 'contact') return { id: String(item.id), viaAlias: false };
    if (!isMergedAlias(item)) continue;
    const id = await followAlias(String(item.mergedInto));
    if (id) return { id, viaAlias: true };
  }
  return undefined;
}

export interface ValueHolders {
  phones: Map<string, string | null>;
  emails: Map<string, string | null>;
  /** `phone:<e164>` / `email:<address>` values whose holder was found through a merged duplicate. */
  aliased: Set<string>;
}

/**
 * Adds every standing merged duplicate's phone and email to maps filled
 * from the contacts (oldest holder wins, as for events): one paged Query of
 * the aliases' sparse type index, then one BatchGet of the contacts they
 * lead to.
 */
export async function addMergedAliases(holders: ValueHolders): Promise<void> {
  const aliases = await allMergedAliases();
  const next = new Map(aliases.map((a) => [String(a.id), String(a.mergedInto)]));
  const leadsTo = (id: string) => {
    let at = next.get(id)!;
    for (let hop = 0; hop < MAX_HOPS && next.has(at); hop++) at = next.get(at)!;
    return at;
  };
  const targets = new Map(aliases.map((a) => [String(a.id), leadsTo(String(a.id))]));
  const live = await getManyRaw([...new Set(targets.values())].map(contactKey));
  for (const alias of aliases) {
    const target = targets.get(String(alias.id))!;
    if (live.get(keyId(contactKey(target)))?.type?.S !== 'contact') continue;
    for (const [kind, map] of [['phone', holders.phones], ['email', holders.emails]] as const) {
      const value = alias[kind];
      if (typeof value !== 'string') continue;
      const current = map.get(value);
      // Contact ids are ULIDs: an alias older than the contact holding the value comes first, as in the index.
      if (!current || String(alias.id) < current) {
        map.set(value, target);
        holders.aliased.add(`${kind}:${value}`);
      }
    }
  }
}

/**
 * An import row's fields for the contact it updates: a phone or email it
 * matched through a merged duplicate stays the duplicate's (still leading
 * to this contact) instead of replacing the contact's own.
 */
export function withoutAliasedValues<T extends { phone?: unknown; email?: unknown }>(holders: Pick<ValueHolders, 'aliased'>, fields: T): T {
  const out = { ...fields };
  if (typeof out.phone === 'string' && holders.aliased.has(`phone:${out.phone}`)) delete out.phone;
  if (typeof out.email === 'string' && holders.aliased.has(`email:${out.email}`)) delete out.email;
  return out;
}
