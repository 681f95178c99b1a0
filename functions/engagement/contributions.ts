import type { Channel } from '../../shared/contact-schema.js';
import { localDay, localTime } from '../../shared/analytics.js';
import { channelHasStage, effectiveStages, type MessageStatus } from '../../shared/engagement.js';
import { engagementDayKey, engagementSummaryKey } from '../data/keys.js';
import type { CounterKey } from './counter-store.js';
import type { ConversationItem, MessageItem } from './items.js';

/**
 * What one state item (message or conversation) adds to the contact's
 * counters, as a pure function of its image. The stream applies
 * contribution(NEW) - contribution(OLD) for every change, which makes late,
 * repeated and out-of-order events, moves between contacts and deletions
 * all come out exact.
 */
export interface Contribution {
  key: CounterKey;
  add: Record<string, number>;
  init: Record<string, unknown>;
}

const INTERACTIONS: MessageStatus[] = ['read', 'clicked', 'replied'];

export function isMessageItem(item: Record<string, unknown> | undefined): item is MessageItem & Record<string, unknown> {
  return item?.type === 'message';
}

export function isConversationItem(item: Record<string, unknown> | undefined): item is ConversationItem & Record<string, unknown> {
  return item?.type === 'conversation';
}

function dayCounters(contactId: string, day: string): Contribution {
  return { key: engagementDayKey(contactId, day), add: {}, init: { type: 'engagementDay', contactId, date: day } };
}

function bump(target: Record<string, number>, field: string, by = 1) {
  target[field] = (target[field] ?? 0) + by;
}

export function messageContribution(item: MessageItem, timezone: string): Contribution[] {
  const channel = item.channel as Channel;
  const reached = effectiveStages(channel, item.stages ?? {});
  if (!reached.sent) return [];
  const day = dayCounters(item.contactId, localDay(item.firstAt, timezone));
  for (const stage of ['sent', 'delivered', 'read', 'clicked', 'replied', 'failed', 'engaged'] as const) {
    if (reached[stage]) bump(day.add, `${channel}_${stage}`);
  }
  // Best time to reach: when the contact actually read, clicked or replied.
  for (const status of INTERACTIONS) {
    const at = item.stages?.[status];
    if (!at || !channelHasStage(channel, status as 'read' | 'clicked' | 'replied')) continue;
    const local = localTime(at, timezone);
    bump(day.add, `bt_${local.weekday}_${local.hour}`);
  }
  return [day];
}

export function conversationContribution(item: ConversationItem, timezone: string): Contribution[] {
  const byDay = new Map<string, Contribution>();
  const dayOf = (d: string) => {
    let c = byDay.get(d);
    if (!c) byDay.set(d, (c = dayCounters(item.contactId, d)));
    return c;
  };
  const own = dayOf(localDay(item.firstAt, timezone));
  bump(own.add, 'cv_all');
  if ((item.contactMessages ?? 0) > 0) bump(own.add, 'cv_contact');
  for (const [hour, counts] of Object.entries(item.hours ?? {})) {
    const labels = (['positive', 'neutral', 'negative', 'mixed'] as const).filter((label) => (counts[label] ?? 0) > 0);
    if (labels.length === 0) continue;
    const target = dayOf(localDay(`${hour}:00:00.000Z`, timezone));
    for (const label of labels) bump(target.add, `sn_${label}`, counts[label]!);
  }
  const out = [...byDay.values()];
  if (item.status) {
    out.push({
      key: engagementSummaryKey(item.contactId),
      add: { [`tk_${item.status}`]: 1 },
      init: { type: 'engagementSummary', contactId: item.contactId },
    });
  }
  return out;
}

export function contributionOf(image: Record<string, unknown> | undefined, timezone: string): Contribution[] {
  if (isMessageItem(image)) return messageContribution(image, timezone);
  if (isConversationItem(image)) return conversationContribution(image, timezone);
  return [];
}

/** contribution(after) - contribution(before), one entry per key, zero fields dropped. */
export function contributionChange(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, timezone: string): Contribution[] {
  const merged = new Map<string, Contribution>();
  const apply = (contributions: Contribution[], sign: 1 | -1) => {
    for (const c of contributions) {
      const id = `${c.key.pk}\u0000${c.key.sk}`;
      let target = merged.get(id);
      if (!target) merged.set(id, (target = { key: c.key, add: {}, init: c.init }));
      for (const [field, amount] of Object.entries(c.add)) bump(target.add, field, sign * amount);
    }
  };
  apply(contributionOf(before, timezone), -1);
  apply(contributionOf(after, timezone), 1);
  const out: Contribution[] = [];
  for (const c of merged.values()) {
    for (const field of Object.keys(c.add)) if (c.add[field] === 0) delete c.add[field];
    if (Object.keys(c.add).length > 0) out.push(c);
  }
  return out;
}
