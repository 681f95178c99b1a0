import { describe, expect, it } from 'vitest';
import { dailyAt, nextScheduleTime, parseScheduleExpression, ScheduleExpressionError } from '../../functions/scheduled/schedule-expression.js';

/** The tenant setting `reconcileSchedule`: EventBridge expressions as the CDK rule takes them and the local host's timers read them. */
describe('schedule expressions', () => {
  it('accepts EventBridge cron and rate expressions and refuses others with a reason', () => {
    expect(parseScheduleExpression('cron(0 6 * * ? *)').kind).toBe('cron');
    expect(parseScheduleExpression('cron(15 2 ? * MON-FRI *)').kind).toBe('cron');
    expect(parseScheduleExpression('rate(12 hours)')).toEqual({ kind: 'rate', everyMs: 12 * 3_600_000 });
    expect(parseScheduleExpression('rate(1 day)')).toEqual({ kind: 'rate', everyMs: 86_400_000 });
    for (const bad of ['cron(0 6 * * * *)', 'cron(0 6 * *)', 'cron(61 6 * * ? *)', 'rate(1 hours)', 'rate(2 hour)', 'nightly', 'cron(0 6 L * ? *)']) {
      expect(() => parseScheduleExpression(bad), bad).toThrow(ScheduleExpressionError);
    }
  });

  it('finds the next time a cron expression fires, in UTC', () => {
    const from = new Date('2026-12-06T07:30:00Z');
    expect(nextScheduleTime('cron(0 6 * * ? *)', from)?.toISOString()).toBe('2026-12-07T06:00:00.000Z');
    expect(nextScheduleTime('cron(0 8 * * ? *)', from)?.toISOString()).toBe('2026-12-06T08:00:00.000Z');
    expect(nextScheduleTime('cron(*/20 * * * ? *)', from)?.toISOString()).toBe('2026-12-06T07:40:00.000Z');
    // 2026-12-06 is a Sunday: the next Monday-to-Friday 02:15.
    expect(nextScheduleTime('cron(15 2 ? * MON-FRI *)', from)?.toISOString()).toBe('2026-12-07T02:15:00.000Z');
    expect(nextScheduleTime('cron(0 0 1 JAN ? *)', from)?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextScheduleTime('cron(0 0 1 1 ? 2020)', from)).toBeUndefined();
    expect(nextScheduleTime('rate(5 minutes)', from)?.toISOString()).toBe('2026-12-06T07:35:00.000Z');
  });

  it('turns a local time of day into the UTC cron EventBridge rules need', () => {
    expect(dailyAt(3, 0, 'America/Sao_Paulo')).toBe('cron(0 6 * * ? *)');
    expect(dailyAt(3, 0, 'Asia/Kolkata')).toBe('cron(30 21 * * ? *)');
    expect(dailyAt(3, 0, 'UTC')).toBe('cron(0 3 * * ? *)');
    expect(dailyAt(3, 0, 'America/New_York', new Date('2026-07-01T12:00:00Z'))).toBe('cron(0 7 * * ? *)');
    expect(dailyAt(3, 0, 'America/New_York', new Date('2026-12-01T12:00:00Z'))).toBe('cron(0 8 * * ? *)');
  });
});
