import { describe, expect, it } from 'vitest';
import {
  addDays,
  compare,
  daysOf,
  isDay,
  lastDayOfMonth,
  localDay,
  localTime,
  monthsEnding,
  periodOf,
  presetPeriod,
  resolvePeriod,
  variation,
  weekdayOf,
  MAX_PERIOD_DAYS,
} from '../../shared/analytics.js';
import { areaCodeOf, BRAZIL_STATES, stateOfAreaCode, STATE_BY_DDD } from '../../shared/area-codes.js';

const SP = 'America/Sao_Paulo';

describe('days in the tenant timezone', () => {
  it('puts an event at 02:00 UTC on the previous day in Sao Paulo', () => {
    expect(localDay('2026-03-10T02:00:00.000Z', SP)).toBe('2026-03-09');
    expect(localTime('2026-03-10T02:00:00.000Z', SP)).toEqual({ day: '2026-03-09', hour: 23, weekday: 1 });
  });

  it('keeps an event at 03:00 UTC on the same day in Sao Paulo and follows other timezones', () => {
    expect(localDay('2026-03-10T03:00:00.000Z', SP)).toBe('2026-03-10');
    expect(localTime('2026-03-10T03:00:00.000Z', SP).hour).toBe(0);
    expect(localDay('2026-03-10T02:00:00.000Z', 'UTC')).toBe('2026-03-10');
    expect(localDay('2026-03-09T23:30:00.000Z', 'Asia/Tokyo')).toBe('2026-03-10');
  });

  it('numbers weekdays from Sunday', () => {
    expect(weekdayOf('2026-11-22')).toBe(0); // a Sunday
    expect(weekdayOf('2026-11-28')).toBe(6);
    expect(weekdayOf('1970-01-01')).toBe(4);
  });

  it('validates calendar days strictly', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-13-01')).toBe(false);
    expect(isDay('2026-1-01')).toBe(false);
    expect(isDay('yesterday')).toBe(false);
    expect(isDay(20260101)).toBe(false);
  });

  it('does day arithmetic across months and years', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(daysOf('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(lastDayOfMonth('2028-02-10')).toBe('2028-02-29');
  });
});

describe('periods', () => {
  it('takes the previous period as the same number of days just before', () => {
    expect(periodOf('2026-11-01', '2026-11-30')).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
      days: 30,
      previousFrom: '2026-10-02',
      previousTo: '2026-10-31',
    });
    expect(periodOf('2026-11-21', '2026-11-21')).toMatchObject({ days: 1, previousFrom: '2026-11-20', previousTo: '2026-11-20' });
  });

  it('makes a window of N days end today', () => {
    expect(presetPeriod(7, '2026-11-21')).toMatchObject({ from: '2026-11-15', to: '2026-11-21', days: 7 });
  });

  it('defaults to the last 30 days and to today', () => {
    expect(resolvePeriod({}, '2026-11-21')).toEqual({ period: periodOf('2026-10-23', '2026-11-21') });
    expect(resolvePeriod({ to: '2026-06-30' }, '2026-11-21')).toEqual({ period: periodOf('2026-06-01', '2026-06-30') });
    expect(resolvePeriod({ from: '2026-11-01' }, '2026-11-21')).toEqual({ period: periodOf('2026-11-01', '2026-11-21') });
  });

  it('rejects bad days, reversed periods and periods that are too long, field by field', () => {
    expect(resolvePeriod({ from: '2026-02-30', to: 'x' }, '2026-11-21')).toEqual({
      fields: { from: expect.any(String), to: expect.any(String) },
    });
    expect(resolvePeriod({ from: '2026-11-22', to: '2026-11-21' }, '2026-11-21')).toEqual({ fields: { from: expect.any(String) } });
    expect(resolvePeriod({ from: '2024-12-31', to: '2026-01-01' }, '2026-11-21')).toEqual({ fields: { to: expect.any(String) } });
    expect(resolvePeriod({ from: addDays('2026-11-21', -(MAX_PERIOD_DAYS - 1)), to: '2026-11-21' }, '2026-11-21')).toHaveProperty('period');
  });
});

describe('variation', () => {
  it('is the change against the previous period in percent, rounded to 2 decimals', () => {
    expect(variation(150, 100)).toBe(50);
    expect(variation(50, 100)).toBe(-50);
    expect(variation(1, 3)).toBe(-66.67);
    expect(variation(4, 3)).toBe(33.33);
    expect(variation(7, 7)).toBe(0);
  });

  it('is null when the previous period had nothing', () => {
    expect(variation(10, 0)).toBeNull();
    expect(variation(0, 0)).toBeNull();
    expect(compare(3, 0)).toEqual({ value: 3, previous: 0, variation: null });
  });
});

describe('monthly contacts months', () => {
  it('lists the six months ending with the month of to, oldest first, across a year boundary', () => {
    expect(monthsEnding('2026-02-15')).toEqual(['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsEnding('2026-12-31', 2)).toEqual(['2026-11', '2026-12']);
  });
});

describe('area codes', () => {
  it('maps every assigned DDD to its state and covers all 27 states', () => {
    expect(stateOfAreaCode('11')).toBe('SP');
    expect(stateOfAreaCode('21')).toBe('RJ');
    expect(stateOfAreaCode('61')).toBe('DF');
    expect(stateOfAreaCode('64')).toBe('GO');
    expect(stateOfAreaCode('69')).toBe('RO');
    expect(stateOfAreaCode('99')).toBe('MA');
    expect(Object.keys(STATE_BY_DDD)).toHaveLength(67);
    expect(new Set(Object.values(STATE_BY_DDD)).size).toBe(BRAZIL_STATES.length);
  });

  it('knows no state for unassigned codes', () => {
    for (const code of ['10', '20', '23', '25', '26', '29', '30', '36', '39', '40', '50', '52', '56', '60', '70', '72', '76', '78', '80', '90']) {
      expect(stateOfAreaCode(code)).toBeUndefined();
    }
  });

  it('reads the DDD of Brazilian E.164 numbers only', () => {
    expect(areaCodeOf('+5511987654321')).toBe('11');
    expect(areaCodeOf('+556133334444')).toBe('61');
    expect(areaCodeOf('+14155550100')).toBeUndefined();
    expect(areaCodeOf('+551')).toBeUndefined();
  });
});
