/**
 * Definitions of the Contact Behavior panel (METRICS.md, "Contact Behavior
 * panel") shared by the API and the SPA: calendar days in the tenant's
 * timezone, periods, variation, months, and the panel's JSON shape.
 */
import { percentage, type Stage } from './engagement.js';

export const DEFAULT_TIMEZONE = 'America/Sao_Paulo';
/** The periods the panel offers; any other from/to is a custom period. */
export const PRESET_PERIOD_DAYS = [7, 30, 90] as const;
export const DEFAULT_PERIOD_DAYS = 30;
/**
 * The longest period a request may ask for. The exact distinct counts keep,
 * per activity day, how far back the contact's previous activity was, up to
 * this many days (functions/analytics/distinct-nodes.ts), so it bounds both
 * what is stored and what a panel read costs.
 */
export const MAX_PERIOD_DAYS = 366;
export const MONTHS_SHOWN = 6;
/** Journey funnel: a sales conversation counts when opened within this long after the broadcast. */
export const CONVERSION_WINDOW_MS = 7 * 86_400_000;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** A calendar day `YYYY-MM-DD` as a number of days since 1970-01-01, for arithmetic. */
export function dayNumber(day: string): number {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new RangeError(`not a day: ${day}`);
  return Math.floor(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / MS_PER_DAY);
}

export function dayString(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return dayString(dayNumber(day) + days);
}

/** True for a real calendar day written `YYYY-MM-DD` (2026-02-30 is not one). */
export function isDay(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DAY_PATTERN.exec(value);
  if (!match) return false;
  return dayString(dayNumber(value)) === value && Number(match[1]) >= 1970;
}

/** 0 = Sunday ... 6 = Saturday, for a calendar day (no timezone involved). */
export function weekdayOf(day: string): number {
  return (dayNumber(day) + 4) % 7; // 1970-01-01 was a Thursday
}

export function monthOf(day: string): string {
  return day.slice(0, 7);
}

export function lastDayOfMonth(day: string): string {
  const [y, m] = day.split('-').map(Number);
  return dayString(Math.floor(Date.UTC(y, m, 1) / MS_PER_DAY) - 1);
}

/** The `count` calendar months ending with the month of `day`, oldest first (`YYYY-MM`). */
export function monthsEnding(day: string, count = MONTHS_SHOWN): string[] {
  const [y, m] = day.split('-').map(Number);
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const index = y * 12 + (m - 1) - i;
    out.push(`${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

export interface LocalTime {
  /** Calendar day in the timezone, `YYYY-MM-DD`. */
  readonly day: string;
  /** 0-23 */
  readonly hour: number;
  /** 0 = Sunday */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Local times by time zone and UTC minute: every zone's offset is whole minutes, so one minute has one answer. */
const localTimes = new Map<string, LocalTime>();
const MAX_CACHED_TIMES = 50_000;

/** Where an instant falls on the tenant's calendar and clock. */
export function localTime(instant: string | number | Date, timeZone: string): LocalTime {
  const date = instant instanceof Date ? instant : new Date(instant);
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${String(instant)}`);
  const key = `${timeZone}|${Math.floor(ms / 60_000)}`;
  const cached = localTimes.get(key);
  if (cached) return { ...cached };
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(date)) parts[part.type] = part.value;
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  const local = { day, hour: Number(parts.hour) % 24, weekday: weekdayOf(day) };
  if (localTimes.size >= MAX_CACHED_TIMES) localTimes.clear();
  localTimes.set(key, local);
  return { ...local };
}

export function localDay(instant: string | number | Date, timeZone: string): string {
  return localTime(instant, timeZone).day;
}

/** `(value - previous) / previous * 100`, rounded to 2 decimals; null when there is nothing to compare with. */
export function variation(value: number, previous: number): number | null {
  return percentage(value - previous, previous);
}

export interface Comparison {
  value: number;
  previous: number;
  variation: number | null;
}

export function compare(value: number, previous: number): Comparison {
  return { value, previous, variation: variation(value, previous) };
}

export interface Period {
  from: string;
  to: string;
  days: number;
  /** The same number of days just before `from`. */
  previousFrom: string;
  previousTo: string;
}

export function periodOf(from: string, to: string): Period {
  const days = dayNumber(to) - dayNumber(from) + 1;
  return { from, to, days, previousFrom: addDays(from, -days), previousTo: addDays(from, -1) };
}

/** The preset period of `days` days ending today (a window of N days). */
export function presetPeriod(days: number, today: string): Period {
  return periodOf(addDays(today, -(days - 1)), today);
}

export type PeriodQuery = { from?: string; to?: string };

/**
 * Validates `from`/`to` of a panel request. Either may be left out: `to`
 * defaults to today, `from` to the 30-day window ending at `to`. Field
 * messages name what is wrong so the SPA can show them beside the inputs.
 */
export function resolvePeriod(query: PeriodQuery, today: string): { period: Period } | { fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const given = (v: string | undefined) => v !== undefined && v !== '';
  if (given(query.from) && !isDay(query.from)) fields.from = 'must be a calendar day written YYYY-MM-DD';
  if (given(query.to) && !isDay(query.to)) fields.to = 'must be a calendar day written YYYY-MM-DD';
  if (Object.keys(fields).length > 0) return { fields };
  const to = given(query.to) ? query.to! : today;
  const from = given(query.from) ? query.from! : addDays(to, -(DEFAULT_PERIOD_DAYS - 1));
  const days = dayNumber(to) - dayNumber(from) + 1;
  if (days < 1) return { fields: { from: 'must not be after to' } };
  if (days > MAX_PERIOD_DAYS) return { fields: { to: `the period may span at most ${MAX_PERIOD_DAYS} days` } };
  return { period: periodOf(from, to) };
}

/** Every calendar day from `from` to `to`, both included. */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let n = dayNumber(from); n <= dayNumber(to); n++) out.push(dayString(n));
  return out;
}

/** The JSON of `GET /v1/analytics/contacts`. */
export interface ContactBehaviorPanel {
  period: { from: string; to: string; previousFrom: string; previousTo: string; timezone: string };
  interactions: {
    contactBase: Comparison;
    reachedContacts: Comparison;
    contactsInSales: Comparison;
    contactsInSupport: Comparison;
  };
  messageFunnel: Record<Stage, number>;
  journeyFunnel: { reached: number; converted: number };
  monthlyContacts: { month: string; contacts: number }[];
  geography: { country: string; state: string | null; contacts: number }[];
  daily: { date: string; broadcasts: number; sales: number; support: number }[];
  serviceDistribution: { sales: number; support: number };
  /** 7 rows, Sunday first, of 24 hours. */
  salesHeatmap: number[][];
}
