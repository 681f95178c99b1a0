import { conversationKey, messageKey } from '../data/keys.js';
import type { ConversationItem, MessageItem, SentimentLabel } from '../engagement/items.js';
import type { ConversationMessageEvent, ConversationStatusEvent, IntegrationEvent, MessageStatusEvent } from './event-schema.js';

/**
 * Pure reducers from an event to the next state item. They are commutative
 * and idempotent on their own terms (earliest time per stage, latest status
 * by event time, first channel/kind seen), except that a conversation
 * message adds to counts: the ids kept on the conversation item (`msgIds`,
 * checked and written by ingest.ts in the same conditional write) make sure
 * each event id is applied once.
 */
export type StateItem = MessageItem | ConversationItem;

export function targetKey(event: IntegrationEvent, contactId: string): { pk: string; sk: string } {
  return event.type === 'message.status' ? messageKey(contactId, event.messageId) : conversationKey(contactId, event.conversationId);
}

const earliest = (current: string | undefined, at: string) => (current === undefined || at < current ? at : current);

export function applyMessageStatus(current: MessageItem | undefined, event: MessageStatusEvent, contactId: string): MessageItem {
  const base: MessageItem = current
    ? { ...current, stages: { ...current.stages } }
    : {
        ...messageKey(contactId, event.messageId),
        type: 'message',
        contactId,
        messageId: event.messageId,
        channel: event.channel,
        broadcast: event.broadcast,
        stages: {},
        firstAt: event.at,
        version: 0,
        updatedAt: event.at,
      };
  base.stages[event.status] = earliest(base.stages[event.status], event.at);
  base.firstAt = earliest(base.firstAt, event.at);
  return base;
}

function emptyConversation(contactId: string, conversationId: string, at: string): ConversationItem {
  return {
    ...conversationKey(contactId, conversationId),
    type: 'conversation',
    contactId,
    conversationId,
    firstAt: at,
    hours: {},
    contactMessages: 0,
    agentMessages: 0,
    version: 0,
    updatedAt: at,
  };
}

export function applyConversationStatus(current: ConversationItem | undefined, event: ConversationStatusEvent, contactId: string): ConversationItem {
  const next: ConversationItem = current ? { ...current } : emptyConversation(contactId, event.conversationId, event.at);
  next.kind ??= event.kind;
  next.firstAt = earliest(next.firstAt, event.at);
  // Latest by event time; on a tie `resolved` wins, so the order of arrival never decides.
  if (next.statusAt === undefined || event.at > next.statusAt || (event.at === next.statusAt && event.status === 'resolved')) {
    next.status = event.status;
    next.statusAt = event.at;
  }
  if (event.status === 'open') next.openedAt = earliest(next.openedAt, event.at);
  else next.resolvedAt = earliest(next.resolvedAt, event.at);
  return next;
}

export function applyConversationMessage(
  current: ConversationItem | undefined,
  event: ConversationMessageEvent,
  contactId: string,
  sentiment: SentimentLabel | undefined,
): ConversationItem {
  const next: ConversationItem = current ? { ...current, hours: { ...current.hours } } : emptyConversation(contactId, event.conversationId, event.at);
  next.firstAt = earliest(next.firstAt, event.at);
  const hour = event.at.slice(0, 13);
  const counts = { ...(next.hours[hour] ?? {}) };
  counts[event.from] = (counts[event.from] ?? 0) + 1;
  if (event.from === 'contact') {
    next.contactMessages = (next.contactMessages ?? 0) + 1;
    if (sentiment) counts[sentiment] = (counts[sentiment] ?? 0) + 1;
  } else {
    next.agentMessages = (next.agentMessages ?? 0) + 1;
  }
  next.hours[hour] = counts;
  return next;
}

export function applyEvent(current: StateItem | undefined, event: IntegrationEvent, contactId: string, sentiment?: SentimentLabel): StateItem {
  switch (event.type) {
    case 'message.status':
      return applyMessageStatus(current as MessageItem | undefined, event, contactId);
    case 'conversation.status':
      return applyConversationStatus(current as ConversationItem | undefined, event, contactId);
    case 'conversation.message':
      return applyConversationMessage(current as ConversationItem | undefined, event, contactId, sentiment);
  }
}
