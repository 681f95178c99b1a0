import type { ConversationHour, ConversationItem, MessageItem } from '../engagement/items.js';
import { unionKeptIds } from '../events/message-ids.js';

/**
 * Two partial states of the same message or conversation in one contact
 * collection (a duplicate's item arriving where the primary already holds
 * one: an event named the duplicate while the item was being moved). The
 * reducers in functions/events/apply-event.ts make state items convergent,
 * so two partial states combine like the events behind them: earliest time
 * per stage, latest status by event time, message counts added (each event
 * id reached one of the two; each item keeps the ids of the messages it
 * counted, `msgIds`, and the combination keeps both lists, so a later retry
 * is still known as counted. A message a client retries while the merge
 * switches can reach both, and is then counted twice: the item ids, unlike
 * the global EVT# markers before them, cannot see across contacts).
 *
 * `into` is the item that stays (its key, owner and version lineage);
 * the result carries `into.version + 1` for the optimistic write.
 */
const earliest = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : a < b ? a : b);
const latest = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : a > b ? a : b);

export function combineMessages(into: MessageItem, from: MessageItem): MessageItem {
  const first = from.firstAt < into.firstAt ? from : into;
  const stages: MessageItem['stages'] = { ...into.stages };
  for (const [stage, at] of Object.entries(from.stages ?? {}) as [keyof MessageItem['stages'], string][]) stages[stage] = earliest(stages[stage], at);
  return {
    ...into,
    channel: first.channel,
    broadcast: first.broadcast,
    stages,
    firstAt: earliest(into.firstAt, from.firstAt)!,
    version: (into.version ?? 0) + 1,
    updatedAt: latest(into.updatedAt, from.updatedAt)!,
  };
}

const HOUR_FIELDS = ['contact', 'agent', 'positive', 'neutral', 'negative', 'mixed'] as const;

export function combineConversations(into: ConversationItem, from: ConversationItem): ConversationItem {
  const first = from.firstAt < into.firstAt ? from : into;
  const hours: Record<string, ConversationHour> = { ...into.hours };
  for (const [hour, counts] of Object.entries(from.hours ?? {})) {
    const sum: ConversationHour = { ...(hours[hour] ?? {}) };
    for (const field of HOUR_FIELDS) if (counts[field]) sum[field] = (sum[field] ?? 0) + counts[field]!;
    hours[hour] = sum;
  }
  // Latest status by event time; on a tie `resolved` wins (as applyConversationStatus decides).
  let status = into.status;
  let statusAt = into.statusAt;
  if (from.statusAt !== undefined && (statusAt === undefined || from.statusAt > statusAt || (from.statusAt === statusAt && from.status === 'resolved'))) {
    status = from.status;
    statusAt = from.statusAt;
  }
  const out: ConversationItem = {
    ...into,
    hours,
    firstAt: earliest(into.firstAt, from.firstAt)!,
    contactMessages: (into.contactMessages ?? 0) + (from.contactMessages ?? 0),
    agentMessages: (into.agentMessages ?? 0) + (from.agentMessages ?? 0),
    version: (into.version ?? 0) + 1,
    updatedAt: latest(into.updatedAt, from.updatedAt)!,
  };
  const kind = first.kind ?? into.kind ?? from.kind;
  const openedAt = earliest(into.openedAt, from.openedAt);
  const resolvedAt = earliest(into.resolvedAt, from.resolvedAt);
  if (kind !== undefined) out.kind = kind;
  if (status !== undefined) out.status = status;
  if (statusAt !== undefined) out.statusAt = statusAt;
  if (openedAt !== undefined) out.openedAt = openedAt;
  if (resolvedAt !== undefined) out.resolvedAt = resolvedAt;
  const msgIds = unionKeptIds(into.msgIds, from.msgIds);
  if (msgIds !== undefined) out.msgIds = msgIds;
  return out;
}

/** The combined state, or undefined when the items are not state items of the same kind (those never combine). */
export function combineStates(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> | undefined {
  if (into.type === 'message' && from.type === 'message') return combineMessages(into as unknown as MessageItem, from as unknown as MessageItem) as unknown as Record<string, unknown>;
  if (into.type === 'conversation' && from.type === 'conversation') {
    return combineConversations(into as unknown as ConversationItem, from as unknown as ConversationItem) as unknown as Record<string, unknown>;
  }
  return undefined;
}
