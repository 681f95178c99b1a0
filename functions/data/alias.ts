import { gsi, mergedAliasKey } from './keys.js';
import { queryAll, type Item } from './query.js';
import { plain, toRaw, type RawItem } from './raw-item.js';

/**
 * What stays of a merged duplicate while the merge stands
 * (`CONTACT#<dupId>` / `A#MERGED`): where its id, phone and email now lead.
 * The item sits in the duplicate's own collection (outside the profile's
 * `P#` read, so the duplicate answers 404) and in the phone and email
 * indexes under the duplicate's id, so event resolution meets it in the
 * same Query, in the same oldest-first order, as it would have met the
 * contact. It is also in `byType` (MERGED_CONTACT), where the import's
 * de-duplication finds every standing alias in one paged Query.
 */
export const MERGED_ALIAS_TYPE = 'mergedContact';
/** byType partition of merged-alias items. */
export const MERGED_ALIAS_INDEX_TYPE = 'MERGED_CONTACT';
export { mergedAliasKey };

export interface MergedAlias {
  /** The duplicate's id. */
  id: string;
  /** The contact it was merged into. */
  mergedInto: string;
  mergeId: string;
}

export const isMergedAlias = (item: Record<string, unknown> | undefined): item is Record<string, unknown> => item?.type === MERGED_ALIAS_TYPE;

/** The alias item of `duplicate` (its stored profile), as stored. */
export function mergedAliasItem(duplicate: RawItem, primaryId: string, mergeId: string, at: string): RawItem {
  const d = plain(duplicate);
  const id = String(d.id);
  return toRaw({
    ...mergedAliasKey(id),
    type: MERGED_ALIAS_TYPE,
    id,
    contactId: id,
    mergedInto: primaryId,
    mergeId,
    mergedAt: at,
    ...gsi.byType(MERGED_ALIAS_INDEX_TYPE, id),
    ...(typeof d.language === 'string' ? { language: d.language } : {}),
    ...(typeof d.phone === 'string' ? { phone: d.phone, ...gsi.byPhone(d.phone, id) } : {}),
    ...(typeof d.email === 'string' ? { email: d.email, ...gsi.byEmail(d.email, id) } : {}),
  });
}

export const aliasFromRaw = (item: RawItem): MergedAlias => ({ id: item.id.S!, mergedInto: item.mergedInto.S!, mergeId: item.mergeId.S! });

/** Every standing alias's id, phone, email and primary: one paged Query of the sparse type index, oldest first. */
export const allMergedAliases = (): Promise<Item[]> =>
  queryAll({ index: 'byType', partition: MERGED_ALIAS_INDEX_TYPE, projection: 'id, phone, email, mergedInto', newestFirst: false });
