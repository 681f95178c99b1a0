import { dispatchMergeMarkerKey, mergeMarkerKey } from './keys.js';
import { toRaw, type ItemKey, type RawItem } from './raw-item.js';

/**
 * Merge markers, only while a merge or undo involving the contact runs
 * (functions/merge/markers.ts writes them, functions/merge/merge-reads.ts
 * reads them):
 *   CONTACT#<id>  P#MERGE        inside the profile's own Query
 *   CONTACT#<id>  H#DSP#~MERGE   inside the dispatch report's range, above every dispatch id
 */
export const MERGE_MARKER_TYPE = 'mergeMarker';
export type MarkerRole = 'primary' | 'duplicate';

export const MERGE_MARKER_SK = mergeMarkerKey('').sk;
export const DISPATCH_MERGE_MARKER_SK = dispatchMergeMarkerKey('').sk;
export const isMergeMarker = (item: Record<string, unknown>) => item.sk === MERGE_MARKER_SK;
export const isDispatchMergeMarker = (item: Record<string, unknown>) => item.sk === DISPATCH_MERGE_MARKER_SK;
export { dispatchMergeMarkerKey, mergeMarkerKey };

/** A marker naming the merge; a late duplicate's undo marker holds the profile it gets back (`restore`). */
export function markerItem(key: ItemKey, mergeId: string, primaryId: string, role: MarkerRole, restore?: RawItem): RawItem {
  return {
    ...toRaw({ ...key, type: MERGE_MARKER_TYPE, mergeId, primaryId, role }),
    ...(restore ? { restore: { M: restore } } : {}),
  };
}
