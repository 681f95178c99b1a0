/**
 * Builds the profile's `engagement`, `tickets` and `satisfaction` from the
 * engagement items of the contact's profile collection (sort keys under
 * `P#ENG`), read in the same single Query as the rest of the profile.
 * The 90-day window is cut from the day items at read time, so it is exact
 * whether or not the hourly roll has run yet.
 */
import { CHANNELS, type Channel } from '../../shared/contact-schema.js';
import { addDays, dayNumber, localDay } from '../../shared/analytics.js';
import {
  bandOf,
  CHANNEL_STAGES,
  channelEngagement,
  percentage,
  satisfactionIndex,
  type Band,
  type ChannelEngagement,
  type SatisfactionIndex,
} from '../../shared/engagement.js';

export const WINDOW_DAYS = 90;
const TREND_STEP_DAYS = 7;

export interface EngagementView {
  window: { from: string; to: string; days: number };
  dispatched: { total: number; byChannel: Partial<Record<Channel, number>> };
  channels: Partial<Record<Channel, ChannelEngagement>>;
  rate: number | null;
  band: Band | null;
  /** One point per 7 days of the window, oldest first (the last one covers the remaining days). */
  trend: { date: string; rate: number | null; dispatched: number }[];
  /** Weekday (0 = Sunday) and hour with the most reads, clicks and replies in the window; `basis` is how many. */
  bestTime: { weekday: number; hour: number; basis: number } | null;
}

export interface ProfileEngagement {
  engagement: EngagementView;
  tickets: { open: number; resolved: number; all: number };
  satisfaction: { index: SatisfactionIndex | null; interactionRate: number | null };
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function buildProfileEngagement(items: Record<string, unknown>[], now: Date, timezone: string): ProfileEngagement {
  const to = localDay(now, timezone);
  const from = addDays(to, -(WINDOW_DAYS - 1));
  const days = items.filter((item) => item.type === 'engagementDay' && typeof item.date === 'string' && item.date >= from && item.date <= to);
  const summary = items.find((item) => item.type === 'engagementSummary');

  const counts = new Map<Channel, { sent: number; delivered: number; read: number; clicked: number; replied: number }>();
  const buckets = Array.from({ length: Math.ceil(WINDOW_DAYS / TREND_STEP_DAYS) }, (_, i) => ({ date: addDays(from, i * TREND_STEP_DAYS), engaged: 0, delivered: 0, sent: 0 }));
  const bestTimes = new Map<string, number>();
  let engaged = 0;
  let delivered = 0;
  const sentiment = { positive: 0, neutral: 0, negative: 0, mixed: 0 };
  let conversations = 0;
  let conversationsWithContact = 0;

  for (const day of days) {
    const bucket = buckets[Math.floor((dayNumber(String(day.date)) - dayNumber(from)) / TREND_STEP_DAYS)];
    for (const channel of CHANNELS) {
      const sent = num(day[`${channel}_sent`]);
      if (sent === 0 && num(day[`${channel}_delivered`]) === 0) continue;
      const c = counts.get(channel) ?? { sent: 0, delivered: 0, read: 0, clicked: 0, replied: 0 };
      c.sent += sent;
      c.delivered += num(day[`${channel}_delivered`]);
      c.read += num(day[`${channel}_read`]);
      c.clicked += num(day[`${channel}_clicked`]);
      c.replied += num(day[`${channel}_replied`]);
      counts.set(channel, c);
      bucket.sent += sent;
      if (CHANNEL_STAGES[channel].delivered) {
        bucket.delivered += num(day[`${channel}_delivered`]);
        bucket.engaged += num(day[`${channel}_engaged`]);
      }
    }
    for (const [field, value] of Object.entries(day)) {
      if (field.startsWith('bt_')) bestTimes.set(field, (bestTimes.get(field) ?? 0) + num(value));
    }
    for (const label of ['positive', 'neutral', 'negative', 'mixed'] as const) sentiment[label] += num(day[`sn_${label}`]);
    conversations += num(day.cv_all);
    conversationsWithContact += num(day.cv_contact);
  }
  for (const bucket of buckets) {
    engaged += bucket.engaged;
    delivered += bucket.delivered;
  }

  const byChannel: Partial<Record<Channel, number>> = {};
  const channels: Partial<Record<Channel, ChannelEngagement>> = {};
  let total = 0;
  for (const channel of CHANNELS) {
    const c = counts.get(channel);
    if (!c || c.sent === 0) continue;
    byChannel[channel] = c.sent;
    total += c.sent;
    channels[channel] = channelEngagement(channel, c);
  }
  const rate = percentage(engaged, delivered);
  const open = Math.max(0, num(summary?.tk_open));
  const resolved = Math.max(0, num(summary?.tk_resolved));
  return {
    engagement: {
      window: { from, to, days: WINDOW_DAYS },
      dispatched: { total, byChannel },
      channels,
      rate,
      band: bandOf(rate),
      trend: buckets.map((b) => ({ date: b.date, rate: percentage(b.engaged, b.delivered), dispatched: b.sent })),
      bestTime: bestTimeOf(bestTimes),
    },
    tickets: { open, resolved, all: open + resolved },
    satisfaction: { index: satisfactionIndex(sentiment), interactionRate: percentage(conversationsWithContact, conversations) },
  };
}

/** The busiest weekday/hour; ties go to the earliest in the week. */
function bestTimeOf(counts: Map<string, number>): EngagementView['bestTime'] {
  let best: { weekday: number; hour: number; count: number } | undefined;
  let basis = 0;
  for (const [field, count] of counts) {
    if (count <= 0) continue;
    basis += count;
    const [, w, h] = field.split('_');
    const candidate = { weekday: Number(w), hour: Number(h), count };
    if (
      !best ||
      candidate.count > best.count ||
      (candidate.count === best.count && candidate.weekday * 24 + candidate.hour < best.weekday * 24 + best.hour)
    ) {
      best = candidate;
    }
  }
  return best ? { weekday: best.weekday, hour: best.hour, basis } : null;
}
