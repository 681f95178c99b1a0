/** What a reconciliation run checked, repaired and left alone: counted as it goes, kept when it finishes. */

export type Kind = 'engagementCounters' | 'activityStates' | 'aggregates';
export const KINDS: Kind[] = ['engagementCounters', 'activityStates', 'aggregates'];
const EXAMPLES = 5;

export interface ReconcileSummary {
  runId: string;
  trigger: string;
  startedAt: string;
  finishedAt: string;
  chunks: number;
  /** What was compared. */
  checked: { contacts: number; counterItems: number; states: number; aggregateItems: number };
  /** Items rewritten because their numbers differed (created ones included). */
  repaired: Record<Kind, number>;
  details: {
    counterFields: number;
    counterItemsCreated: number;
    statesCreated: number;
    aggregateAttributes: number;
    aggregateItemsCreated: number;
    /** Zeroed counter items and states marked to expire (no number changed). */
    tombstonesMarked: number;
    /** Band snapshots moved after counters were repaired. */
    bandsMoved: number;
    /** Contacts without a profile that still hold history (counted as a fold of it; a late event after a purge, or a merge under way). */
    orphanHistory: number;
  };
  /** Differences left alone because the stream was changing them (see reconcile.ts); the next run looks again. */
  unsettled: Record<Kind, number>;
  /** A few keys of each kind, with what changed. */
  examples: Record<Kind | 'unsettled', string[]>;
  /** The run before this one. */
  previousRunId?: string;
}

/** The summary while the run is under way. */
export type RunningSummary = Omit<ReconcileSummary, 'finishedAt' | 'chunks'>;

export function emptySummary(runId: string, trigger: string, startedAt: string, previousRunId?: string): RunningSummary {
  const perKind = () => ({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
  return {
    runId,
    trigger,
    startedAt,
    checked: { contacts: 0, counterItems: 0, states: 0, aggregateItems: 0 },
    repaired: perKind(),
    details: { counterFields: 0, counterItemsCreated: 0, statesCreated: 0, aggregateAttributes: 0, aggregateItemsCreated: 0, tombstonesMarked: 0, bandsMoved: 0, orphanHistory: 0 },
    unsettled: perKind(),
    examples: { engagementCounters: [], activityStates: [], aggregates: [], unsettled: [] },
    ...(previousRunId ? { previousRunId } : {}),
  };
}

/** Items repaired so far, every kind together. */
export const repairCount = (summary: RunningSummary): number => KINDS.reduce((sum, kind) => sum + summary.repaired[kind], 0);

export function example(summary: RunningSummary, kind: Kind | 'unsettled', text: string): void {
  if (summary.examples[kind].length < EXAMPLES) summary.examples[kind].push(text);
}

/** A difference in an example: its first few fields with their signed amounts. */
export const describe = (add: Record<string, number>) =>
  Object.entries(add)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 4)
    .map(([field, n]) => `${field}${n > 0 ? '+' : ''}${n}`)
    .join(' ') + (Object.keys(add).length > 4 ? ' ...' : '');

/** JSON with keys sorted: two reads of the same difference compare equal. */
export function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
