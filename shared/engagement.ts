/**
 * Engagement math of METRICS.md, shared by the functions (counting,
 * profile) and the SPA (band colours and words): which stages a message
 * reached on its channel, rates, bands and the satisfaction index.
 */
import type { Channel } from './contact-schema.js';

export const MESSAGE_STATUSES = ['sent', 'delivered', 'read', 'clicked', 'replied', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Stages counted per message, in funnel order. */
export const STAGES = ['sent', 'delivered', 'read', 'clicked', 'replied'] as const;
export type Stage = (typeof STAGES)[number];

type OptionalStage = 'delivered' | 'read' | 'clicked' | 'replied';

/**
 * Stages that exist per channel (METRICS.md). Webchat, Messenger and
 * Instagram have no delivery receipts in the product we follow, so their
 * messages count as sent (dispatched) and take no part in rates; events of
 * a stage a channel lacks are ignored and imply nothing.
 */
export const CHANNEL_STAGES: Record<Channel, Record<OptionalStage, boolean>> = {
  sms: { delivered: true, read: false, clicked: false, replied: true },
  whatsapp: { delivered: true, read: true, clicked: true, replied: true },
  rcs: { delivered: true, read: true, clicked: true, replied: false },
  email: { delivered: true, read: true, clicked: true, replied: false },
  webchat: { delivered: false, read: false, clicked: false, replied: false },
  messenger: { delivered: false, read: false, clicked: false, replied: false },
  instagram: { delivered: false, read: false, clicked: false, replied: false },
};

export function channelHasStage(channel: Channel, stage: Stage): boolean {
  if (stage === 'sent') return true;
  return CHANNEL_STAGES[channel]?.[stage] ?? false;
}

export interface EffectiveStages {
  sent: boolean;
  delivered: boolean;
  read: boolean;
  clicked: boolean;
  replied: boolean;
  /** Failed and never delivered. */
  failed: boolean;
  /** Delivered and reached an interaction stage the channel has (read, clicked or replied). */
  engaged: boolean;
}

/**
 * The stages a message reached, from the statuses reported for it: a later
 * stage implies the earlier ones (read, clicked and replied imply delivered;
 * clicked implies read where the channel has an open stage), and `failed`
 * stands only when nothing delivered-or-later arrived.
 */
export function effectiveStages(channel: Channel, reported: Partial<Record<MessageStatus, unknown>>): EffectiveStages {
  const has = (status: MessageStatus) => reported[status] !== undefined && reported[status] !== null;
  const exists = (stage: OptionalStage) => CHANNEL_STAGES[channel]?.[stage] ?? false;
  const clicked = exists('clicked') && has('clicked');
  const replied = exists('replied') && has('replied');
  const read = exists('read') && (has('read') || clicked);
  const delivered = exists('delivered') && (has('delivered') || read || clicked || replied);
  const sent = MESSAGE_STATUSES.some(has);
  return { sent, delivered, read, clicked, replied, failed: has('failed') && !delivered, engaged: delivered && (read || clicked || replied) };
}

/** The furthest stage a message reached, as the dispatch report shows it. */
export function furthestStatus(stages: EffectiveStages): MessageStatus | undefined {
  if (stages.replied) return 'replied';
  if (stages.clicked) return 'clicked';
  if (stages.read) return 'read';
  if (stages.delivered) return 'delivered';
  if (stages.failed) return 'failed';
  return stages.sent ? 'sent' : undefined;
}

/** A percentage 0-100 rounded to 2 decimals; null when the denominator is 0. */
export function percentage(numerator: number, denominator: number): number | null {
  if (!denominator) return null;
  // Integer arithmetic first, so 1/3 gives 33.33 and not 33.329999...
  return Math.round((numerator * 10_000) / denominator) / 100;
}

export const BANDS = ['none', 'low', 'high', 'very_high'] as const;
export type Band = (typeof BANDS)[number];

/** none below 20, low from 20, high from 50, very_high from 75; null without a rate. */
export function bandOf(rate: number | null): Band | null {
  if (rate === null || Number.isNaN(rate)) return null;
  if (rate < 20) return 'none';
  if (rate < 50) return 'low';
  if (rate < 75) return 'high';
  return 'very_high';
}

export interface ChannelCounts {
  sent: number;
  delivered: number;
  read: number;
  clicked: number;
  replied: number;
}

export interface ChannelEngagement {
  sent: number;
  delivered: number;
  read?: number;
  clicked?: number;
  replied?: number;
  deliveryRate?: number | null;
  openRate?: number | null;
  clickRate?: number | null;
  responseRate?: number | null;
}

/** Counts and rates of one channel, each present only when the channel has that stage. */
export function channelEngagement(channel: Channel, counts: ChannelCounts): ChannelEngagement {
  const out: ChannelEngagement = { sent: counts.sent, delivered: counts.delivered };
  const stages = CHANNEL_STAGES[channel];
  if (stages.read) out.read = counts.read;
  if (stages.clicked) out.clicked = counts.clicked;
  if (stages.replied) out.replied = counts.replied;
  if (stages.delivered) out.deliveryRate = percentage(counts.delivered, counts.sent);
  if (stages.read) out.openRate = percentage(counts.read, counts.delivered);
  if (stages.clicked) out.clickRate = percentage(counts.clicked, counts.delivered);
  if (stages.replied) out.responseRate = percentage(counts.replied, counts.delivered);
  return out;
}

export type SatisfactionIndex = 'satisfied' | 'neutral' | 'dissatisfied';

export interface SentimentCounts {
  positive: number;
  neutral: number;
  negative: number;
  mixed: number;
}

/**
 * Net sentiment of the contact's messages, (positive - negative) / all:
 * satisfied from +0.25, dissatisfied from -0.25, neutral between; null
 * when the contact wrote nothing in the window.
 */
export function satisfactionIndex(counts: SentimentCounts): SatisfactionIndex | null {
  const total = counts.positive + counts.neutral + counts.negative + counts.mixed;
  if (total === 0) return null;
  const net = (counts.positive - counts.negative) / total;
  if (net >= 0.25) return 'satisfied';
  if (net <= -0.25) return 'dissatisfied';
  return 'neutral';
}
