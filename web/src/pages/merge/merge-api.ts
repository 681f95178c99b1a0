/**
 * What the merge screens need beyond the shell's `api.merges`: the richer
 * answer shapes of the merge routes and a wait for a merge or undo that the
 * server finishes in the background (very large histories).
 */
import { api, send } from '../../lib/api';
import type { MergeSuggestion } from '../../lib/types';

export type MergeStatus = 'running' | 'completed' | 'undoing' | 'undone' | 'failed';

export interface MergeView {
  id: string;
  primaryId: string;
  duplicateIds: string[];
  at: string;
  by: string;
  byName?: string;
  status: MergeStatus;
  primary: { id: string; name: string };
  duplicates: { id: string; name: string }[];
  filled: string[];
  movedItems: number;
  undoneAt: string | null;
  undoneBy: string | null;
  undoneByName: string | null;
  undoable?: boolean;
  error?: string;
}

export interface Suggestion extends MergeSuggestion {
  field?: 'phone' | 'email';
  value?: string;
  /** How many contacts share the value (the answer shows at most 20). */
  total?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(view: MergeView, busy: MergeStatus): Promise<MergeView> {
  let current = view;
  for (let wait = 800; current.status === busy; wait = Math.min(wait * 1.5, 5000)) {
    await sleep(wait);
    current = await send<MergeView>('GET', `/v1/merges/${encodeURIComponent(view.id)}`);
  }
  return current;
}

/** Merges and waits until the merge has completed (at once for any ordinary history). */
export async function mergeContacts(primaryId: string, duplicateIds: string[], onRunning?: () => void): Promise<MergeView> {
  const view = (await api.merges.create(primaryId, duplicateIds)) as unknown as MergeView;
  if (view.status === 'running') onRunning?.();
  return settle(view, 'running');
}

export async function undoMerge(id: string, onRunning?: () => void): Promise<MergeView> {
  const view = (await api.merges.undo(id)) as MergeView;
  if (view.status === 'undoing') onRunning?.();
  return settle(view, 'undoing');
}

export const listMerges = (query: { limit?: number; cursor?: string }) =>
  send<{ items: MergeView[]; cursor: string | null }>('GET', '/v1/merges', { query });
