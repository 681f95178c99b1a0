import { describe, expect, it } from 'vitest';
import {
  bandOf,
  channelEngagement,
  effectiveStages,
  furthestStatus,
  percentage,
  satisfactionIndex,
  type MessageStatus,
} from '../../shared/engagement.js';
import type { Channel } from '../../shared/contact-schema.js';

const reported = (...statuses: MessageStatus[]) => Object.fromEntries(statuses.map((s) => [s, '2026-01-01T10:00:00.000Z']));

describe('effectiveStages', () => {
  it('counts any event, failed included, as sent', () => {
    for (const status of ['sent', 'delivered', 'read', 'clicked', 'replied', 'failed'] as const) {
      expect(effectiveStages('sms', reported(status)).sent).toBe(true);
    }
    expect(effectiveStages('sms', {}).sent).toBe(false);
  });

  it.each<[Channel, MessageStatus, Partial<Record<string, boolean>>]>([
    ['whatsapp', 'read', { delivered: true, read: true, clicked: false, engaged: true }],
    ['whatsapp', 'clicked', { delivered: true, read: true, clicked: true, engaged: true }],
    ['whatsapp', 'replied', { delivered: true, read: false, replied: true, engaged: true }],
    ['rcs', 'clicked', { delivered: true, read: true, clicked: true }],
    ['email', 'clicked', { delivered: true, read: true, clicked: true }],
    ['sms', 'replied', { delivered: true, replied: true, engaged: true }],
  ])('on %s, %s implies the earlier stages', (channel, status, expected) => {
    expect(effectiveStages(channel, reported(status))).toMatchObject(expected);
  });

  it.each<[Channel, MessageStatus]>([
    ['sms', 'read'],
    ['sms', 'clicked'],
    ['rcs', 'replied'],
    ['email', 'replied'],
  ])('ignores %s %s, a stage the channel lacks, and it implies nothing', (channel, status) => {
    const stages = effectiveStages(channel, reported('sent', status));
    expect(stages).toMatchObject({ sent: true, delivered: false, read: false, clicked: false, replied: false, engaged: false });
  });

  it('keeps failed only while nothing delivered-or-later arrived', () => {
    expect(effectiveStages('sms', reported('failed')).failed).toBe(true);
    expect(effectiveStages('sms', reported('failed', 'delivered')).failed).toBe(false);
    expect(effectiveStages('whatsapp', reported('failed', 'read')).failed).toBe(false);
    expect(effectiveStages('sms', reported('failed', 'read')).failed).toBe(true);
  });

  it('delivered alone is not engagement', () => {
    expect(effectiveStages('email', reported('sent', 'delivered')).engaged).toBe(false);
  });

  it('counts messages on channels without receipts as sent only', () => {
    expect(effectiveStages('webchat', reported('delivered', 'read', 'replied'))).toMatchObject({ sent: true, delivered: false, read: false, replied: false, engaged: false });
  });

  it('names the furthest stage for the dispatch report', () => {
    expect(furthestStatus(effectiveStages('whatsapp', reported('sent', 'clicked')))).toBe('clicked');
    expect(furthestStatus(effectiveStages('sms', reported('sent', 'failed')))).toBe('failed');
    expect(furthestStatus(effectiveStages('sms', reported('failed', 'delivered')))).toBe('delivered');
    expect(furthestStatus(effectiveStages('sms', reported('sent')))).toBe('sent');
    expect(furthestStatus(effectiveStages('sms', {}))).toBeUndefined();
  });
});

describe('percentage', () => {
  it('rounds to 2 decimals and gives null for a zero denominator', () => {
    expect(percentage(1, 3)).toBe(33.33);
    expect(percentage(2, 3)).toBe(66.67);
    expect(percentage(1, 8)).toBe(12.5);
    expect(percentage(0, 5)).toBe(0);
    expect(percentage(5, 5)).toBe(100);
    expect(percentage(0, 0)).toBeNull();
    expect(percentage(1999, 10000)).toBe(19.99);
  });
});

describe('bandOf', () => {
  it.each([
    [0, 'none'],
    [19.99, 'none'],
    [20, 'low'],
    [49.99, 'low'],
    [50, 'high'],
    [74.99, 'high'],
    [75, 'very_high'],
    [100, 'very_high'],
  ] as const)('puts %d in %s', (rate, band) => {
    expect(bandOf(rate)).toBe(band);
  });

  it('has no band without a rate', () => {
    expect(bandOf(null)).toBeNull();
  });
});

describe('channelEngagement', () => {
  const counts = { sent: 8, delivered: 6, read: 3, clicked: 2, replied: 1 };

  it('gives SMS delivery and response rates only', () => {
    expect(channelEngagement('sms', counts)).toEqual({ sent: 8, delivered: 6, replied: 1, deliveryRate: 75, responseRate: 16.67 });
  });

  it('gives WhatsApp every rate', () => {
    expect(channelEngagement('whatsapp', counts)).toEqual({
      sent: 8, delivered: 6, read: 3, clicked: 2, replied: 1, deliveryRate: 75, openRate: 50, clickRate: 33.33, responseRate: 16.67,
    });
  });

  it.each(['rcs', 'email'] as const)('gives %s delivery, open and click rates', (channel) => {
    expect(channelEngagement(channel, counts)).toEqual({ sent: 8, delivered: 6, read: 3, clicked: 2, deliveryRate: 75, openRate: 50, clickRate: 33.33 });
  });

  it('answers null rates when nothing was sent or delivered', () => {
    expect(channelEngagement('whatsapp', { sent: 2, delivered: 0, read: 0, clicked: 0, replied: 0 })).toMatchObject({
      deliveryRate: 0, openRate: null, clickRate: null, responseRate: null,
    });
    expect(channelEngagement('email', { sent: 0, delivered: 0, read: 0, clicked: 0, replied: 0 }).deliveryRate).toBeNull();
  });

  it('gives channels without receipts no rates', () => {
    expect(channelEngagement('instagram', { ...counts, delivered: 0 })).toEqual({ sent: 8, delivered: 0 });
  });
});

describe('satisfactionIndex', () => {
  it('follows the net sentiment of the contact messages', () => {
    expect(satisfactionIndex({ positive: 0, neutral: 0, negative: 0, mixed: 0 })).toBeNull();
    expect(satisfactionIndex({ positive: 1, neutral: 3, negative: 0, mixed: 0 })).toBe('satisfied');
    expect(satisfactionIndex({ positive: 1, neutral: 4, negative: 0, mixed: 0 })).toBe('neutral');
    expect(satisfactionIndex({ positive: 0, neutral: 2, negative: 2, mixed: 0 })).toBe('dissatisfied');
    expect(satisfactionIndex({ positive: 2, neutral: 0, negative: 2, mixed: 1 })).toBe('neutral');
  });
});
